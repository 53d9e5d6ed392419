"""The token budget: passages fit the window by the model's own tokenizer, or are dropped."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.conftest import reset_caches

pytestmark = [pytest.mark.slow, pytest.mark.llm]

QUESTION = "How many days of paid annual leave do full-time employees get?"


LEAVE_FILES = {
    "leave-policy.md": "Full-time employees get 18 days of paid annual leave per year. ",
    "leave-requests.md": "Paid annual leave is requested two weeks ahead in the HR portal. ",
    "leave-carryover.md": "Up to 5 days of unused paid annual leave carry over to next year. ",
    "leave-part-time.md": "Part-time employees get paid annual leave pro rata to their hours. ",
}


def test_small_window_drops_the_lowest_ranked_passages_and_says_so(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.ask import ask, print_report
    from app.llm import load_model
    from app.settings import get_settings
    from graphs.budget import fit_passages
    from graphs.context import Context
    from ingest.pipeline import ingest_paths

    docs = tmp_path / "leave"
    docs.mkdir()
    for name, sentence in LEAVE_FILES.items():
        (docs / name).write_text(f"# Paid annual leave\n\n{sentence * 12}", encoding="utf-8")
    monkeypatch.setenv("DOCENT_N_CTX", "512")
    monkeypatch.setenv("DOCENT_MAX_TOKENS", "48")
    monkeypatch.setenv("DOCENT_LLM_CACHE", "false")
    reset_caches()
    assert ingest_paths([docs], get_settings()).exit_code == 0
    loaded = load_model(get_settings())
    assert loaded.model.client.n_ctx() == 512  # type: ignore[attr-defined]

    # several ~200-token passages about leave pass rerank; not all fit 512 - 48 tokens
    result = ask("How much paid annual leave do employees get?", Context(k=4))
    kept, dropped = result["sources"], result["dropped_passages"]
    assert dropped and kept, result
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
    reset_caches()
    loaded = load_model(get_settings())
    huge = Document("Full-time employees get 18 days. " * 200, metadata={"source": "h.md"})
    fitted = fit_passages(loaded, QUESTION, [huge])
    assert len(fitted.kept) == 1 and fitted.dropped == []
    assert fitted.kept[0].page_content.startswith("Full-time employees get 18 days.")
    assert len(fitted.kept[0].page_content) < len(huge.page_content)
    assert fitted.prompt_tokens <= 256 - 32
