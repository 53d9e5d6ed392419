"""The token budget: passages fit the window by the model's own tokenizer, or are dropped."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.llm]

QUESTION = "How many days of paid annual leave do full-time employees get?"


LEAVE_FILES = {
    "leave-policy.md": "Full-time employees get 18 days of paid annual leave per year. ",
    "leave-requests.md": "Paid annual leave is requested two weeks ahead in the HR portal. ",
    "leave-carryover.md": "Up to 5 days of unused paid annual leave carry over to next year. ",
    "leave-part-time.md": "Part-time employees get paid annual leave pro rata to their hours. ",
}


def test_small_window_drops_the_lowest_ranked_passages_and_says_so(
    data_dir: Path, tmp_path: Path
) -> None:
    from app.ask import ask, print_report
    from core.llm import load_model
    from core.resources import Resources
    from core.settings import Settings
    from graphs.budget import fit_passages
    from graphs.context import Context
    from ingest.pipeline import ingest_paths

    docs = tmp_path / "leave"
    docs.mkdir()
    for name, sentence in LEAVE_FILES.items():
        (docs / name).write_text(f"# Paid annual leave\n\n{sentence * 12}", encoding="utf-8")
    settings = Settings(llm_context_window=512, answer_cache=False)
    assert ingest_paths([docs], settings).exit_code == 0
    loaded = dataclasses.replace(load_model(settings), max_tokens=48)
    assert loaded.model.client.n_ctx() == 512  # type: ignore[attr-defined]

    # several ~200-token passages about leave pass selection; not all fit 512 - 48 tokens
    result = ask("How much paid annual leave do employees get?",
                 Context(k=4, resources=Resources(settings, model=loaded)))
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
    sample_env: Path
) -> None:
    from langchain_core.documents import Document

    from core.llm import load_model
    from core.settings import Settings
    from graphs.budget import fit_passages

    loaded = dataclasses.replace(load_model(Settings(llm_context_window=256)), max_tokens=32)
    huge = Document("Full-time employees get 18 days. " * 200, metadata={"source": "h.md"})
    fitted = fit_passages(loaded, QUESTION, [huge])
    assert len(fitted.kept) == 1 and fitted.dropped == []
    assert fitted.kept[0].page_content.startswith("Full-time employees get 18 days.")
    assert len(fitted.kept[0].page_content) < len(huge.page_content)
    assert fitted.prompt_tokens <= 256 - 32
