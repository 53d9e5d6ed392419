"""Answer gates on the tuning halves, with an oracle model: a fake that gives each question's
gold answer (and a made-up one to questions nothing answers). The run is deterministic, so
it measures what docent does around the model (evidence, checks, refusals), not how well a
270M model answers. Margins below come from the measured figures (docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.answer_eval import AnswerScores, evaluate_answers
from app.answer_metrics import gold_answers
from app.benchmarks import (
    Benchmark,
    article_half,
    load_jsonl_benchmark,
    load_squad_benchmark,
    sample,
    with_unanswerable,
)

pytestmark = pytest.mark.slow

# KorQuAD, these 200 + 50 questions: 1.0 % of gold answers rejected (all but one of the
# rejections before the checks used the passages: gold answers the evidence missed),
# 2 % of answerable questions refused, 92 % of unanswerable ones, the same with the 0.81
# e5 cosine floor (on 300 + 100 at seeds 1/2 it refused 1 and 0.3 points more answerable
# questions, 3 and 1 more unanswerable); binomial noise on 50 questions is about 4 points,
# so two of it are allowed.
KOREAN_GOLD_REJECTED = 0.03
KOREAN_REFUSED_ANSWERABLE = 0.05
KOREAN_REFUSED_UNANSWERABLE = 0.84
# SQuAD, these 100 + 30 questions at the 0.3 evidence coverage and 0.81 e5 cosine floors:
# 8 % of answerable questions refused, 83 % of unanswerable ones (90 % since evidence
# covering under half of an English question needs 0.825, issue 25), 1.1 % of gold answers
# rejected (coverage floor alone: 4 %, 77 %, 2.1 %; with MiniLM's evidence scores 73 % and
# 3.1 %); bench/evidence.py on 300 + 100 at seeds 1/2/3: 2.7/2.0/2.7 % and 91/70/64 %.
# Noise is ~3 points on 100 questions and ~8 on 30: the bounds sit about one (answerable)
# and 1.5 (unanswerable) of it from the measured figures.
ENGLISH_GOLD_REJECTED = 0.06
ENGLISH_REFUSED_ANSWERABLE = 0.11
ENGLISH_REFUSED_UNANSWERABLE = 0.70


def _oracle_scores(bench: Benchmark, golds: dict[str, list[str]]) -> AnswerScores:
    from app.eval import build_store
    from core.settings import Settings

    resources = build_store(Settings(), bench)
    scores = evaluate_answers(resources, bench, golds, oracle_model=True)
    print(scores.to_dict())
    return scores


def test_gate_korean_oracle_answers_shown_unanswerable_refused(data_dir: Path,
                                                               shared_dir: Path) -> None:
    korquad = shared_dir / "eval" / "korquad" / "KorQuAD_v1.0_dev.json"
    half = article_half(load_squad_benchmark(korquad, "even"), "tuning")
    bench = sample(with_unanswerable(half, 50, seed=3), 200, None, seed=3)
    scores = _oracle_scores(bench, gold_answers(korquad))
    assert scores.gold_rejected is not None and scores.gold_rejected <= KOREAN_GOLD_REJECTED
    assert scores.refused_answerable <= KOREAN_REFUSED_ANSWERABLE
    assert scores.refused_unanswerable >= KOREAN_REFUSED_UNANSWERABLE


def test_gate_english_oracle_answers_shown_unanswerable_refused(data_dir: Path,
                                                                shared_dir: Path) -> None:
    squad = shared_dir / "eval" / "squad-dev-even"
    half = article_half(load_jsonl_benchmark(squad / "corpus.jsonl", squad / "queries.jsonl"),
                        "tuning")
    # 300 passages keep the store quick to build; the unanswerable articles are left out
    bench = sample(with_unanswerable(half, 30, seed=3), 100, 300, seed=3)
    scores = _oracle_scores(bench, gold_answers(squad / "queries.jsonl"))
    assert scores.gold_rejected is not None and scores.gold_rejected <= ENGLISH_GOLD_REJECTED
    assert scores.refused_answerable <= ENGLISH_REFUSED_ANSWERABLE
    assert scores.refused_unanswerable >= ENGLISH_REFUSED_UNANSWERABLE
