"""The token budget: passages fit the window by the model's own tokenizer, or are dropped."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.llm]

QUESTION = "How many days of paid annual leave do full-time employees get?"


def test_what_is_sent_fits_by_the_models_own_tokenizer(sample_env: Path) -> None:
    from core.llm import load_model
    from core.settings import Settings
    from graphs.budget import fit_evidence

    loaded = dataclasses.replace(load_model(Settings(llm_context_window=512)), max_tokens=48)
    assert loaded.model.client.n_ctx() == 512  # type: ignore[attr-defined]
    long_texts = ["Paid annual leave is 18 days. " * 20 for _ in range(4)]
    fitted = fit_evidence(loaded, QUESTION, long_texts)
    sent = loaded.model.client.tokenize(  # type: ignore[attr-defined]
        fitted.prompt.to_string().encode(), add_bos=True, special=True)
    assert len(sent) == fitted.prompt_tokens <= 512 - 48
    # the lowest-ranked go first
    assert 1 <= len(fitted.kept) < 4 and fitted.kept + fitted.dropped == long_texts


def test_one_text_longer_than_the_window_is_cut_not_lost(sample_env: Path) -> None:
    from core.llm import load_model
    from core.settings import Settings
    from graphs.budget import fit_evidence

    loaded = dataclasses.replace(load_model(Settings(llm_context_window=256)), max_tokens=32)
    huge = "Full-time employees get 18 days. " * 200
    fitted = fit_evidence(loaded, QUESTION, [huge])
    assert len(fitted.kept) == 1 and fitted.dropped == []
    assert fitted.kept[0].startswith("Full-time employees get 18 days.")
    assert len(fitted.kept[0]) < len(huge)
    assert fitted.prompt_tokens <= 256 - 32
