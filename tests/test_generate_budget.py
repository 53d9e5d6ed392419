"""The token budget: passages fit the window by the model's own tokenizer, or are dropped."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.conftest import _reset_caches

pytestmark = [pytest.mark.slow, pytest.mark.llm]

QUESTION = "How many days of paid annual leave do full-time employees get?"


def test_small_window_drops_the_lowest_ranked_passages_and_says_so(
    sample_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.ask import ask, print_report
    from app.llm import load_model
    from app.settings import get_settings
    from graphs.budget import fit_passages
    from graphs.context import Context

    monkeypatch.setenv("DOCENT_N_CTX", "512")
    monkeypatch.setenv("DOCENT_MAX_TOKENS", "48")
    monkeypatch.setenv("DOCENT_LLM_CACHE", "false")
    _reset_caches()
    loaded = load_model(get_settings())
    assert loaded.model.client.n_ctx() == 512  # type: ignore[attr-defined]

    # two passages pass rerank (roasting, then brewing); only one fits 512 - 48 tokens
    result = ask("Tell me about coffee roasting and brewing.", Context(k=4))
    kept, dropped = result["sources"], result["dropped_passages"]
    assert dropped and kept, result
    assert Path(kept[0]["source"]).name == "roasting-schedule.md"
    # the lowest-ranked go first
    assert min(src["score"] for src in kept) >= max(src["score"] for src in dropped)
    assert result["answer"]

    report = io.StringIO()
    print_report(result, report)
    assert f"warning: {len(dropped)} passage(s) did not fit the context window" in report.getvalue()

    # what was sent really fits: the model's tokenizer on the exact prompt string
    from langchain_core.documents import Document

    long_docs = [Document("Paid annual leave is 18 days. " * 40, metadata={"source": f"{i}.md"})
                 for i in range(4)]
    fitted = fit_passages(loaded, QUESTION, long_docs)
    sent = loaded.model.client.tokenize(  # type: ignore[attr-defined]
        fitted.prompt.to_string().encode(), add_bos=True, special=True)
    assert len(sent) == fitted.prompt_tokens <= 512 - 48
    assert 1 <= len(fitted.kept) < 4 and len(fitted.kept) + len(fitted.dropped) == 4


def test_one_passage_longer_than_the_window_is_cut_not_lost(
    sample_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langchain_core.documents import Document

    from app.llm import load_model
    from app.settings import get_settings
    from graphs.budget import fit_passages

    monkeypatch.setenv("DOCENT_N_CTX", "256")
    monkeypatch.setenv("DOCENT_MAX_TOKENS", "32")
    _reset_caches()
    loaded = load_model(get_settings())
    huge = Document("Full-time employees get 18 days. " * 200, metadata={"source": "h.md"})
    fitted = fit_passages(loaded, QUESTION, [huge])
    assert len(fitted.kept) == 1 and fitted.dropped == []
    assert fitted.kept[0].page_content.startswith("Full-time employees get 18 days.")
    assert len(fitted.kept[0].page_content) < len(huge.page_content)
    assert fitted.prompt_tokens <= 256 - 32
