"""Hostile requests through every door of the server (`/v1`, `/api/ask`, the web app's
conversations, the documents API) and the CLI's `ask`, generated from bad questions, bad
options, bad bodies and bad routes: nothing answers 500, no body or log holds a traceback,
and each refusal is one line that reaches the client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.helpers import ROOT
from tests.served import API_KEY, Served, in_process

AUTH = {"authorization": f"Bearer {API_KEY}"}
LEAVE = "How many days of paid annual leave do full-time employees get?"
BAD_QUESTIONS: list[Any] = ["", "   \n\t", "x" * 10_000, "\x00\x07\x1b[31m leave?\u202e",
                            123, None, ["leave"], {"q": "leave"}, True]
BAD_OPTIONS: list[dict[str, Any]] = [
    {"k": 0}, {"k": 999}, {"k": "many"}, {"search_type": "bogus"}, {"fetch_k": -1},
    {"filter": "not a filter"}, {"dense_weight": 1e9}, {"rerank": "maybe"}, {"surprise": 1}]


def _question_doors(question: Any, options: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """The same question and options through each door that answers one."""
    v1 = {"model": "docent", "messages": [{"role": "user", "content": question}],
          **({"docent": options} if options else {})}
    asked = {"question": question, **options}
    return [("POST", "/v1/chat/completions", v1),
            ("POST", "/v1/chat/completions", {**v1, "stream": True}),
            ("POST", "/api/ask", asked),
            ("POST", "/api/conversations/hostile/ask", asked)]


def _cases() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, request keywords) of every hostile request."""
    cases = []
    for question in BAD_QUESTIONS:
        cases += [(m, p, {"json": b}) for m, p, b in _question_doors(question, {})]
    for options in BAD_OPTIONS:
        cases += [(m, p, {"json": b}) for m, p, b in _question_doors(LEAVE, options)]
    v1 = "/v1/chat/completions"
    for body in ({"model": "gpt-4o", "messages": [{"role": "user", "content": LEAVE}]},
                 {"model": "docent", "messages": "hi"}, {"model": "docent", "messages": []},
                 {"model": "docent", "messages": [{"role": "system", "content": LEAVE}]},
                 {"model": "docent", "messages": [{"role": "user", "content": [
                     {"type": "image_url", "image_url": {"url": "data:,"}}]}]},
                 {"model": "docent", "stream": "yes",
                  "messages": [{"role": "user", "content": LEAVE}]},
                 {"model": 7, "messages": [{"content": LEAVE}]}, [], "text", 0):
        cases.append(("POST", v1, {"json": body}))
    json_type = {"content-type": "application/json"}
    for path in (v1, "/api/ask", "/api/conversations/hostile/ask", "/api/documents/path"):
        for raw in (b"{", b"[1,", b"\xff\xfe\x00", b"", b"null", b'{"question": "' + b"a" * 5000):
            cases.append(("POST", path, {"content": raw, "headers": json_type}))
    cases += [("POST", "/api/documents/path", {"json": {"path": 5}}),
              ("POST", "/api/documents/path", {"json": {"path": "/nonexistent/\x00x"}}),
              ("POST", "/api/documents/upload", {"content": b"x"}),
              ("POST", "/api/documents/upload", {"params": {"name": "a.md"}, "content": b"x",
                                                 "headers": {"content-type": "text/plain"}}),
              ("DELETE", "/api/documents", {"params": {"source": "\x00"}}),
              ("GET", "/api/sources/file", {"params": {"source": "/proc/self/environ"}}),
              ("GET", "/api/passages/%00", {}), ("GET", "/api/conversations/%FF", {}),
              ("GET", "/nope", {}), ("GET", "/v1/nope", {}), ("GET", "/static/../x", {}),
              ("GET", v1, {}), ("PUT", "/api/ask", {"json": {}}),
              ("POST", "/login", {"content": b"key=", "headers": {
                  "content-type": "multipart/form-data; boundary=x"}}),
              ("GET", "/v1/models", {"headers": {"x-junk": "j" * 60_000}})]
    return cases


CASES = _cases()


def _check(response: httpx.Response, case: Any) -> None:
    assert response.status_code != 500, case
    assert response.status_code < 500 or response.status_code == 503, case
    assert "Traceback" not in response.text, case
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
            "application/json"):
        message = response.json()["error"]["message"]
        assert message and "\n" not in message, case
    for line in response.text.splitlines():  # a stream's error event is one line too
        if line.startswith("data: {") and '"error"' in line:
            error = json.loads(line[6:])["error"]
            assert "\n" not in (error if isinstance(error, str) else error["message"]), case


def _keywords(request: dict[str, Any]) -> dict[str, Any]:
    """A case's request keywords, with the key added to its headers."""
    return {**request, "headers": {**AUTH, **request.get("headers", {})}}


@pytest.fixture(scope="module")
def client(docent_server: Served) -> Iterator[Any]:
    yield in_process(docent_server.app)


def test_hostile_requests_in_process(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    assert len(CASES) > 100
    for method, path, request in CASES:
        _check(client.request(method, path, **_keywords(request)), (method, path))
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]


def test_hostile_requests_to_the_real_server(docent_server: Served,
                                             capfd: pytest.CaptureFixture[str]) -> None:
    with httpx.Client(base_url=docent_server.url, timeout=60) as http:
        for method, path, request in CASES:
            _check(http.request(method, path, **_keywords(request)), (method, path))
        huge = {**AUTH, **{f"x-{n}": "j" * 8000 for n in range(40)}}  # 320 kB of headers
        _check(http.get("/v1/models", headers=huge), "huge headers")
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("question", ["", "x" * 10_000, "   "])
def test_the_cli_ask_refuses_a_bad_question_in_one_line(tmp_path: Any, question: str) -> None:
    env = {**os.environ, "DOCENT_DATA_DIR": str(tmp_path / "d")}
    done = subprocess.run([sys.executable, "-m", "app", "ask", question], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("docent: error: the question is")
