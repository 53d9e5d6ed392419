"""The SQLite answer cache with the real llama.cpp model, and `--no-cache`.

(The cache's logic is tested on a fake model in test_answer_path.py; this checks that the
packaged GGUF's completion model goes through it too.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes import completion_model

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


@pytest.mark.slow
@pytest.mark.llm
def test_second_identical_ask_is_served_from_the_cache(
    sample_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.resources import Resources
    from core.settings import Settings
    from graphs.context import Context
    from graphs.runner import answer

    resources = Resources(Settings())
    assert resources.settings.answer_cache
    loaded = resources.model()
    cache = loaded.model.cache
    assert not isinstance(cache, bool | None)
    cache.clear()  # the session's sample store may have seen the question
    counting = CountingLlama(loaded.model.client)  # type: ignore[attr-defined]
    monkeypatch.setattr(loaded.model, "client", counting)

    usage = {"prompt_tokens", "completion_tokens"}  # a cached answer's usage is estimated
    first = answer(QUESTION, Context(resources=resources)).model_dump(exclude=usage)
    assert counting.calls == 1 and first["answer"]
    second = answer(QUESTION, Context(resources=resources)).model_dump(exclude=usage)
    assert counting.calls == 1  # no second completion
    assert second == first
    assert (sample_env / "llm_cache.sqlite").stat().st_size > 0


def test_no_cache_flag_turns_the_answer_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import load_settings
    from core.resources import Resources

    monkeypatch.setenv("DOCENT_ANSWER_CACHE", "true")
    assert load_settings(no_cache=False).answer_cache is True
    settings = load_settings(no_cache=True)
    assert settings.answer_cache is False
    assert Resources(settings, model=completion_model(["x"])).model().model.cache is False
