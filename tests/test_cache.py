"""The SQLite answer cache: a second identical ask never reaches the model; --no-cache does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.llm]

QUESTION = "How many days of paid annual leave do full-time employees get?"


class CountingLlama:
    """Wraps llama_cpp.Llama and counts the completions asked of it."""

    def __init__(self, llama: Any) -> None:
        self.llama, self.calls = llama, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.llama(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.llama, name)


def test_second_identical_ask_is_served_from_the_cache(
    sample_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.ask import ask
    from app.llm import answer_cache, load_model
    from app.settings import get_settings
    from graphs.context import Context

    settings = get_settings()
    assert settings.llm_cache
    cache = answer_cache(settings)
    assert not isinstance(cache, bool)
    cache.clear()  # the session's sample store may have seen the question
    loaded = load_model(settings)
    counting = CountingLlama(loaded.model.client)  # type: ignore[attr-defined]
    monkeypatch.setattr(loaded.model, "client", counting)

    first = ask(QUESTION, Context())
    assert counting.calls == 1 and "18" in first["answer"]
    second = ask(QUESTION, Context())
    assert counting.calls == 1  # no second completion
    assert second == first
    assert (sample_env / "llm_cache.sqlite").stat().st_size > 0


def test_no_cache_flag_bypasses_the_cache(
    sample_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main
    from app.llm import load_model
    from app.settings import get_settings

    monkeypatch.setenv("DOCENT_LLM_CACHE", "true")  # restored after the test
    assert main(["ask", QUESTION, "--no-cache", "--json"]) == 0
    assert "18" in json.loads(capsys.readouterr().out)["answer"]
    assert get_settings().llm_cache is False
    assert load_model(get_settings()).model.cache is False
