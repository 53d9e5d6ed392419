"""`docent serve`'s OpenAI-compatible API through the official `openai` client and
LangChain's ChatOpenAI, against the real server (tests/served.py: fake model, real Chroma
and BM25 over `data/`)."""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

import httpx
import pytest

from tests.served import API_KEY, Served

LEAVE = "How many days of paid annual leave do full-time employees get?"
ROASTER = "How many kilograms of green beans does the drum roaster hold?"


@pytest.fixture
def client(docent_server: Served) -> Any:
    from openai import OpenAI

    return OpenAI(base_url=f"{docent_server.url}/v1", api_key=API_KEY, max_retries=0)


def _docent(completion: Any) -> dict[str, Any]:
    return completion.model_extra["docent"]


def test_citations_become_footnote_marks_across_streamed_pieces() -> None:
    from app.server.answer_format import FootnoteMarks

    marks = FootnoteMarks()
    pieces = [marks.feed(p) for p in ("18 days [", "1", "][2", "] of [leave] [", "12")]
    assert "".join(pieces) + marks.flush() == "18 days [^1][^2] of [leave] [12"


def test_models_list_docent(client: Any) -> None:
    assert [model.id for model in client.models.list()] == ["docent"]


def test_non_streamed_answer_has_footnotes_sources_evidence_and_usage(client: Any) -> None:
    done = client.chat.completions.create(model="docent",
                                          messages=[{"role": "user", "content": LEAVE}])
    content = done.choices[0].message.content
    assert content.startswith("Full-time employees get 18 days of paid annual leave")
    assert "[^1]" in content and "\n\n[^1]: handbook.pdf, page 2 — “" in content
    assert done.choices[0].finish_reason == "stop" and done.object == "chat.completion"
    docent = _docent(done)
    assert docent["refused"] is False and docent["answer_kind"] == "answer"
    assert PurePath(docent["sources"][0]["source"]).name == "handbook.pdf"
    assert "18 days of paid annual leave" in docent["evidence"][0]["text"]
    usage = done.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_streamed_answer_is_the_checked_answer_then_its_sources(client: Any) -> None:
    stream = client.chat.completions.create(
        model="docent", messages=[{"role": "user", "content": LEAVE}], stream=True,
        stream_options={"include_usage": True})
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and
              c.choices[0].delta.content]
    answer = "Full-time employees get 18 days of paid annual leave per year [^1]."
    assert pieces[0] == answer  # checked, so shown once and never taken back
    text = "".join(pieces)
    assert "[^1]: handbook.pdf, page 2" in text
    [last] = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert PurePath(_docent(last)["sources"][0]["source"]).name == "handbook.pdf"
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0


def test_stream_is_server_sent_events_ending_in_done(docent_server: Served) -> None:
    with httpx.stream("POST", f"{docent_server.url}/v1/chat/completions",
                      headers={"authorization": f"Bearer {API_KEY}"},
                      json={"model": "docent", "stream": True,
                            "messages": [{"role": "user", "content": LEAVE}]}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"
    assert json.loads(events[0][6:])["choices"][0]["delta"]["role"] == "assistant"


def test_follow_up_with_history_is_made_standalone(client: Any) -> None:
    done = client.chat.completions.create(model="docent", messages=[
        {"role": "user", "content": ROASTER},
        {"role": "assistant", "content": "The drum roaster holds 12 kilograms [^1]."},
        {"role": "user", "content": "Tell me more about that."}])
    docent = _docent(done)
    assert docent["question"] == "Tell me more about the drum roaster."
    assert docent["asked"] == "Tell me more about that."


def test_a_question_after_a_refused_one_is_answered_as_typed(client: Any) -> None:
    """Never merged with the refused turn (it was: "Samsung is a Korean…" was streamed)."""
    done = client.chat.completions.create(model="docent", messages=[
        {"role": "user", "content": "Who is the CEO of Samsung?"},
        {"role": "assistant", "content": "The documents do not say."},
        {"role": "user", "content": ROASTER}])
    docent = _docent(done)
    assert docent["question"] == docent["asked"] == ROASTER
    assert "12 kilograms" in done.choices[0].message.content


def test_off_topic_question_is_a_refusal(client: Any) -> None:
    done = client.chat.completions.create(
        model="docent", messages=[{"role": "user", "content": "What is the capital of Mongolia?"}])
    assert done.choices[0].message.content == "The documents do not say."
    docent = _docent(done)
    assert docent["refused"] is True and docent["answer_kind"] == "refusal"
    assert docent["sources"] == []


def test_korean_question_is_answered_from_the_korean_guide(client: Any) -> None:
    question = "매장은 주말에 몇 시까지 영업하나요?"
    done = client.chat.completions.create(
        model="docent", messages=[{"role": "user", "content": question}])
    docent = _docent(done)
    assert PurePath(docent["sources"][0]["source"]).name == "store-guide-ko.md"
    assert "오후 6시까지 영업합니다" in docent["evidence"][0]["text"]


def test_wrong_api_key_is_an_openai_authentication_error(docent_server: Served) -> None:
    from openai import AuthenticationError, OpenAI

    wrong = OpenAI(base_url=f"{docent_server.url}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(AuthenticationError) as caught:
        wrong.models.list()
    assert caught.value.body["code"] == "invalid_api_key"  # type: ignore[index]


def test_oversized_request_is_refused_with_413(client: Any) -> None:
    from openai import APIStatusError

    with pytest.raises(APIStatusError) as caught:
        client.chat.completions.create(
            model="docent", messages=[{"role": "user", "content": "x" * (1024 * 1024 + 1)}])
    assert caught.value.status_code == 413
    assert caught.value.body["code"] == "request_too_large"  # type: ignore[index]


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}, 404,
     "model_not_found"),
    ({"model": "docent", "messages": []}, 400, "invalid_request"),
    ({"model": "docent", "messages": [{"role": "assistant", "content": "hi"}]}, 400,
     "invalid_request"),
])
def test_bad_requests_get_the_openai_error_shape(docent_server: Served, body: dict,
                                                 status: int, code: str) -> None:
    response = httpx.post(f"{docent_server.url}/v1/chat/completions", json=body,
                          headers={"authorization": f"Bearer {API_KEY}"})
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and "type" in error


def test_langchain_chat_openai_invokes_and_streams(docent_server: Served) -> None:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(base_url=f"{docent_server.url}/v1", api_key=API_KEY,  # type: ignore[arg-type]
                      model="docent", max_retries=0)
    answer = chat.invoke(LEAVE)
    assert "18 days of paid annual leave" in str(answer.content)
    assert "[^1]: handbook.pdf, page 2" in str(answer.content)
    streamed = "".join(str(piece.content) for piece in chat.stream(ROASTER))
    assert "12 kilograms" in streamed and "roasting-schedule.md" in streamed


def test_empty_store_is_a_503_naming_the_ingest_command(tmp_path: Any) -> None:
    """An empty store is a 503 naming the command that fixes it, not a stream."""
    from app.server.factory import create_app
    from core.resources import Resources
    from core.settings import Settings
    from tests.fakes import HashingEmbeddings
    from tests.served import run_uvicorn

    settings = Settings(_env_file=None, data_dir=tmp_path / "empty",
                        embedding_model="test:hashing")
    app = create_app(Resources(settings, embeddings=HashingEmbeddings()))
    for url in run_uvicorn(app):
        for stream in (False, True):
            response = httpx.post(f"{url}/v1/chat/completions", json={
                "model": "docent", "stream": stream,
                "messages": [{"role": "user", "content": LEAVE}]})
            assert response.status_code == 503
            assert "python -m app ingest" in response.json()["error"]["message"]
        status = httpx.get(f"{url}/api/status").json()
        assert status["ready"] is False and "python -m app ingest" in status["problems"][0]
