"""The ollama and openai backends, through the real graph (Chroma, MiniLM, real prompts).

Ollama: a stand-in daemon speaking Ollama's wire format (the daemon cannot be installed
here). OpenAI-compatible: a real `python -m llama_cpp.server` serving a packaged GGUF.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.tuning import TUNING
from graphs.prompts import INSTRUCTIONS
from tests.helpers import reset_caches
from tests.ollama_standin import serve_ollama

pytestmark = pytest.mark.slow  # the embedding model (retrieval is real)

QUESTION = "How many days of paid annual leave do full-time employees get?"


def _use(monkeypatch: pytest.MonkeyPatch, max_tokens: int, **env: str) -> None:
    """These DOCENT_* settings, and answers capped at `max_tokens` (a tuning constant)."""
    for name, value in env.items():
        monkeypatch.setenv(f"DOCENT_{name}", value)
    monkeypatch.setattr("core.llm.TUNING", dataclasses.replace(TUNING, max_tokens=max_tokens))
    reset_caches()


def _ask(question: str) -> tuple[dict, str]:
    from graphs.answer import Checked, Event
    from graphs.context import Context
    from graphs.runner import answer

    shown: list[str] = []

    def heard(event: Event) -> None:
        if isinstance(event, Checked):
            shown.append(event.text)

    return answer(question, Context(), heard).model_dump(), "".join(shown)


def test_ollama_gets_the_grounded_prompt_and_an_explicit_num_ctx(
    sample_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = ["Full-time employees", " get 18 days", " of paid annual leave [1]."]
    with serve_ollama("gemma3:270m", reply) as ollama:
        _use(monkeypatch, 64, LLM_BACKEND="ollama", LLM_MODEL="gemma3:270m",
             LLM_URL=ollama.url, LLM_CONTEXT_WINDOW="2048", ANSWER_CACHE="false")
        result, streamed = _ask(QUESTION)
    paths = [path for path, _ in ollama.requests]
    assert paths == ["/api/tags", "/api/chat"]  # model checked on load, then one chat call
    body = ollama.requests[1][1]
    assert body["model"] == "gemma3:270m" and body["stream"] is True
    assert body["options"]["num_ctx"] == 2048 and body["options"]["num_predict"] == 64
    # gemma chat templates have no system role: the instructions open the user turn
    [message] = body["messages"]
    assert message["role"] == "user" and message["content"].startswith(INSTRUCTIONS["en"])
    # the model reads the evidence sentences, numbered
    assert "\n[1] " in message["content"] and "18 days of paid annual leave" in message["content"]
    assert message["content"].endswith(f"Question: {QUESTION}")
    assert streamed == "".join(reply)
    assert result["answer"] == "".join(reply) and result["refused"] is False
    assert result["unsupported"] == [] and result["invalid_citations"] == []
    assert Path(result["sources"][0]["source"]).name == "handbook.pdf"


def test_ollama_fabricated_citation_is_flagged_in_cli_json(
    sample_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    with serve_ollama("llama3.2:1b", ["Employees get 18 days", " of paid leave [7]."]) as ollama:
        _use(monkeypatch, TUNING.max_tokens, LLM_BACKEND="ollama", LLM_MODEL="llama3.2:1b",
             LLM_URL=ollama.url, ANSWER_CACHE="false")
        assert main(["ask", QUESTION, "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert main(["ask", QUESTION]) == 0
        shown = capsys.readouterr().out
    assert result["invalid_citations"] == [7] and result["answer_kind"] == "extracted"
    assert result["answer"] == "18 days [1]"  # the evidence's one number of days
    # a chat template with a system role keeps the instructions there
    assert [m["role"] for m in ollama.requests[1][1]["messages"]] == ["system", "user"]
    assert ("Taken from the documents as written: the model's short answer could not be "
            "checked against them." in shown)
    assert "[7]" not in shown  # the rejected draft is never printed, not even on a pipe


def test_ollama_unknown_model_is_one_clear_error(
    sample_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.errors import DocentError

    with serve_ollama("gemma3:270m", ["unused"]) as ollama:
        _use(monkeypatch, TUNING.max_tokens, LLM_BACKEND="ollama", LLM_MODEL="qwen3:4b",
             LLM_URL=ollama.url)
        with pytest.raises(DocentError, match=r"Ollama at http://127\.0\.0\.1:\d+: .*qwen3:4b"):
            _ask(QUESTION)


@pytest.fixture
def llama_cpp_server(tmp_path: Path) -> Iterator[str]:
    """A real `python -m llama_cpp.server` with the packaged SmolLM2 GGUF, on 127.0.0.1."""
    from core.model_files import resolve_gguf
    from tests.servers import llama_cpp_server

    with llama_cpp_server(resolve_gguf("packaged:smollm2").path, "smollm2",
                          tmp_path / "llama_cpp_server.log", n_ctx=2048, timeout=60) as base:
        yield base


@pytest.mark.llm
def test_openai_backend_against_a_real_llama_cpp_server(
    sample_env: Path, monkeypatch: pytest.MonkeyPatch, llama_cpp_server: str
) -> None:
    from core.llm import load_model
    from core.settings import Settings

    _use(monkeypatch, 8, LLM_BACKEND="openai", LLM_MODEL="smollm2",
         LLM_URL=llama_cpp_server, ANSWER_CACHE="false")
    loaded = load_model(Settings())
    reply = loaded.model.invoke("Write a long story about a cat who learns to roast coffee.")
    usage = reply.response_metadata["token_usage"]
    # the limit reaches the server (as max_tokens, which it honours)
    assert usage["completion_tokens"] == 8
    assert reply.response_metadata["finish_reason"] == "length"

    result, streamed = _ask(QUESTION)
    assert result["refused"] is False and result["answer"]
    assert streamed.strip() and Path(result["sources"][0]["source"]).name == "handbook.pdf"


def test_cloud_provider_package_missing_is_one_clear_error() -> None:
    from core.errors import DocentError
    from core.llm import load_model
    from core.settings import Settings

    # langchain-mistralai is in no extra of docent: its import error names the package
    settings = Settings(_env_file=None, llm_backend="cloud",
                        llm_model="mistralai:mistral-small-latest")
    with pytest.raises(DocentError, match=r"mistral-small-latest.*langchain.mistralai"):
        load_model(settings)
