"""The server's routes in process (FastAPI's TestClient, no uvicorn): the one error map,
the same-origin rule and the upload contract, the Host check on every bind, the key form,
Open WebUI's task prompts, its wrapped questions and "Continue Response", and the event
framing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from core.tuning import MAX_QUESTION_CHARS
from tests.helpers import ROOT
from tests.served import API_KEY, Served, in_process, keyed_app

AUTH = {"authorization": f"Bearer {API_KEY}"}
LEAVE = "How many days of paid annual leave do full-time employees get?"


@pytest.fixture(scope="module")
def client(docent_server: Served) -> Iterator[Any]:
    yield in_process(docent_server.app)


@pytest.fixture(scope="module")
def keyless(docent_server: Served) -> Iterator[Any]:
    """The same store served with no key set (the default)."""
    settings = docent_server.settings.model_copy(update={"api_key": ""})
    yield in_process(keyed_app(settings))


def _error(response: Any) -> dict[str, Any]:
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["message"] and "\n" not in error["message"]
    return error  # type: ignore[no-any-return]


def test_an_over_long_question_on_v1_is_a_400_naming_the_limit(client: Any) -> None:
    """OpenAI clients retry a 503 three times; a 400 they show once."""
    for stream in (False, True):
        response = client.post("/v1/chat/completions", headers=AUTH, json={
            "model": "docent", "stream": stream,
            "messages": [{"role": "user", "content": "why " * 1000}]})
        assert response.status_code == 400
        error = _error(response)
        assert error["code"] == "invalid_question"
        assert f"at most {MAX_QUESTION_CHARS}" in error["message"]


def test_the_openai_client_gets_a_bad_request_error_it_does_not_retry(
        docent_server: Served) -> None:
    from openai import BadRequestError, OpenAI

    client = OpenAI(base_url=f"{docent_server.url}/v1", api_key=API_KEY)  # default retries
    with pytest.raises(BadRequestError) as caught:
        client.chat.completions.create(model="docent",
                                       messages=[{"role": "user", "content": "why " * 1000}])
    assert f"at most {MAX_QUESTION_CHARS}" in caught.value.message


@pytest.mark.parametrize(("path", "body", "code", "says"), [
    ("/api/ask", {"question": " "}, "invalid_question", "the question is empty"),
    ("/api/conversations/t1/ask", {"question": ""}, "invalid_question", "empty"),
    ("/api/ask", {"question": LEAVE, "k": 0}, "invalid_request", "k: Input should be"),
    ("/api/ask", {"question": 12}, "invalid_request", "question: Input should be"),
])
def test_a_bad_question_is_a_400_with_one_line(client: Any, path: str, body: dict[str, Any],
                                               code: str, says: str) -> None:
    response = client.post(path, headers=AUTH, json=body)
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == code and says in error["message"]


def test_a_request_from_a_sandboxed_frame_writes_nothing_even_without_a_key(
        keyless: Any, docent_server: Served) -> None:
    """Origin: null (a sandboxed iframe on any page) with a simple content type."""
    response = keyless.post("/api/documents/upload", params={"name": "evil.md"},
                            content=b"The answer is 45 days.",
                            headers={"origin": "null", "content-type": "text/plain"})
    assert response.status_code == 403 and _error(response)["code"] == "cross_origin"
    assert not (docent_server.settings.uploads_dir / "evil.md").exists()
    for method, path in (("POST", "/api/documents/path"), ("DELETE", "/api/documents"),
                         ("POST", "/api/ask"), ("DELETE", "/api/conversations/x"),
                         ("POST", "/v1/chat/completions")):
        for origin in ("null", "https://evil.example", "http://127.0.0.1:1"):
            refused = keyless.request(method, path, headers={"origin": origin}, json={})
            assert refused.status_code == 403, (method, path, origin)


def test_an_upload_in_a_simple_type_needs_this_sites_origin(keyless: Any,
                                                            docent_server: Served) -> None:
    note = b"# Kiln\n\nThe glaze kiln in the back room fires at 1240 degrees.\n"
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"content-type": content_type} if content_type else {}
        response = keyless.post("/api/documents/upload", params={"name": "kiln.md"},
                                content=note, headers=headers)
        assert response.status_code == 415, content_type
        assert "application/octet-stream" in _error(response)["message"]
    assert not (docent_server.settings.uploads_dir / "kiln.md").exists()
    # the web app's fetch(body: file) sends the file's own type, and its page's Origin
    page = keyless.post("/api/documents/upload", params={"name": "kiln.md"}, content=note,
                        headers={"content-type": "text/plain",
                                 "origin": "http://127.0.0.1"})
    assert page.status_code == 200 and page.json()["exit_code"] == 0
    script = keyless.post("/api/documents/upload", params={"name": "kiln.md"},
                          content=note, headers={"content-type": "application/octet-stream"})
    assert script.status_code == 200 and script.json()["exit_code"] == 0
    keyless.request("DELETE", "/api/documents",
                    params={"source": str(docent_server.settings.uploads_dir / "kiln.md")})


def test_every_bind_checks_the_host_header(docent_server: Served) -> None:
    import socket

    from app.server.security import allowed_hosts

    everywhere = allowed_hosts("0.0.0.0", ["host.docker.internal"])
    assert {"localhost", "127.0.0.1", "[::1]", "host.docker.internal",
            socket.gethostname().lower()} <= set(everywhere)
    assert "attacker.example" not in everywhere
    from app.server.factory import create_app
    from core.resources import Resources

    app = create_app(Resources(docent_server.settings), allowed_hosts=everywhere)
    with in_process(app) as local:
        assert local.get("/health", headers={"host": "attacker.example"}).status_code == 400
        assert local.get("/health", headers={"host": "host.docker.internal:8000"}
                         ).status_code == 200


def test_serving_beyond_this_machine_without_a_key_is_refused(tmp_path: Any) -> None:
    env = {**os.environ, "DOCENT_DATA_DIR": str(tmp_path / "d"), "DOCENT_API_KEY": ""}
    done = subprocess.run([sys.executable, "-m", "app", "serve", "--host", "0.0.0.0",
                           "--port", "1"], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == ("docent: error: set DOCENT_API_KEY to serve on 0.0.0.0: "
                                   "other machines can reach it")


def test_a_wrong_key_shows_the_form_again_with_a_plain_message(
        client: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The form's `<!--error-->` mark (the web app's login.html) becomes the message."""
    from app.server import web_routes

    (tmp_path / "login.html").write_text('<form method="post"><!--error--><input name="key">'
                                         "</form>", encoding="utf-8")
    monkeypatch.setattr(web_routes, "STATIC", tmp_path)
    wrong = client.post("/login", data={"key": "wrong"}, follow_redirects=False)
    assert wrong.status_code == 401 and wrong.headers["content-type"].startswith("text/html")
    assert ('<p class="error" role="alert">That key is not right. Check DOCENT_API_KEY on '
            'the server.</p>') in wrong.text
    assert "<form" in wrong.text
    right = client.post("/login", data={"key": API_KEY}, follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == "/"
    assert "docent_key=" in right.headers["set-cookie"]
    client.cookies.clear()


def test_the_key_forms_style_needs_no_key(client: Any) -> None:
    assert client.get("/static/login.css").status_code != 401
    assert client.get("/static/app.js").status_code == 401


def test_open_webui_task_prompts_get_an_empty_object_not_an_error(client: Any) -> None:
    task = ("### Task:\nGenerate a concise, 3-5 word title with an emoji summarizing the "
            "chat history.\n### Output:\nJSON format: { \"title\": \"your concise title\" }\n"
            "### Chat History:\n<chat_history>\nUSER: " + "leave? " * 400 + "\n</chat_history>")
    done = client.post("/v1/chat/completions", headers=AUTH, json={
        "model": "docent", "messages": [{"role": "user", "content": task}]})
    assert done.status_code == 200
    assert done.json()["choices"][0]["message"]["content"] == "{}"
    streamed = client.post("/v1/chat/completions", headers=AUTH, json={
        "model": "docent", "stream": True, "messages": [{"role": "user", "content": task}]})
    assert _streamed_content(streamed) == "{}"


def test_a_question_open_webui_wrapped_with_an_attached_file_is_answered(client: Any) -> None:
    # with a file attached, Open WebUI 0.12.4 puts its RAG template (a "### Task:" prompt
    # with the file's text as <context>) before the user's question: docent replied `{}`
    wrapped = ("### Task:\nRespond to the user query using the provided context, "
               "incorporating inline citations in the format [id] ...\n\n<context>\n"
               "<source id=\"1\" name=\"notes.txt\">Staff park behind the roastery.</source>"
               "\n</context>\n\n" + LEAVE)
    plain = client.post("/v1/chat/completions", headers=AUTH, json={
        "model": "docent", "messages": [{"role": "user", "content": LEAVE}]}).json()
    answered = client.post("/v1/chat/completions", headers=AUTH, json={
        "model": "docent", "messages": [{"role": "user", "content": wrapped}]})
    assert answered.status_code == 200
    assert answered.json()["docent"]["asked"] == LEAVE
    assert (answered.json()["choices"][0]["message"]["content"]
            == plain["choices"][0]["message"]["content"])


def _streamed_content(response: Any) -> str:
    """A streamed completion's text, put together from its chunks."""
    assert response.status_code == 200
    events = [line[6:] for line in response.text.split("\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    return "".join(json.loads(e)["choices"][0]["delta"].get("content", "")
                   for e in events[:-1])


def test_continuing_an_answer_adds_nothing_and_is_no_error(client: Any) -> None:
    # Open WebUI's "Continue Response" sends the chat ending in docent's answer: a 400
    # showed "the last message must be the user's question" under that answer
    messages = [{"role": "user", "content": LEAVE},
                {"role": "assistant", "content": "18 days [^1]\n\n[^1]: handbook.pdf, page 2"}]
    whole = client.post("/v1/chat/completions", headers=AUTH,
                        json={"model": "docent", "messages": messages})
    assert whole.status_code == 200
    assert whole.json()["choices"][0]["message"] == {"role": "assistant", "content": ""}
    streamed = client.post("/v1/chat/completions", headers=AUTH,
                           json={"model": "docent", "stream": True, "messages": messages})
    assert _streamed_content(streamed) == ""


@pytest.mark.parametrize("path", ["/api/ask", "/api/conversations/frames/ask",
                                  "/v1/chat/completions"])
def test_every_stream_is_data_lines_split_by_blank_lines(client: Any, path: str) -> None:
    body = ({"model": "docent", "stream": True, "messages": [{"role": "user", "content": LEAVE}]}
            if path.startswith("/v1") else {"question": LEAVE})
    response = client.post(path, headers=AUTH, json=body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "\r" not in response.text  # the web app splits events on "\n\n"
    events = [block for block in response.text.split("\n\n") if block.strip()]
    assert all(block.startswith("data: ") and "\n" not in block for block in events)
    if path.startswith("/v1"):
        assert events[-1] == "data: [DONE]"
    else:
        assert "result" in json.loads(events[-1][6:])
