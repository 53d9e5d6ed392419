import json
from pathlib import Path

import pytest

from app.answer_metrics import (
    exact_match,
    gold_answers,
    normalize_answer,
    score_answers,
    token_f1,
)


def test_normalisation_is_squad_plus_citations() -> None:
    assert normalize_answer("The 18 days. [1]") == "18 days"
    assert normalize_answer("An  Espresso!") == "espresso"


def test_exact_match_takes_the_best_gold() -> None:
    assert exact_match("Tuesday. [2]", ["Friday", "tuesday"]) == 1.0
    assert exact_match("On Tuesday", ["Tuesday"]) == 0.0


def test_token_f1_is_the_squad_overlap() -> None:
    # prediction "18 days of leave" vs gold "18 days": precision 2/4, recall 2/2 → 2/3
    assert token_f1("18 days of leave [1]", ["18 days"]) == pytest.approx(2 / 3)
    assert token_f1("nothing shared", ["18 days"]) == 0.0


def test_refusals_score_zero_and_are_counted() -> None:
    scores = score_answers([("18 days", False, ["18 days"]),
                            ("The documents do not say.", True, ["230"])])
    assert scores.to_dict() == {"questions": 2, "exact_match": 0.5, "f1": 0.5, "refusals": 0.5}


def test_gold_answers_from_squad_and_jsonl(tmp_path: Path) -> None:
    squad = tmp_path / "s.json"
    squad.write_text(json.dumps({"data": [{"title": "t", "paragraphs": [{
        "context": "c", "qas": [{"id": "q1", "question": "?", "answers": [
            {"text": "7시", "answer_start": 0}]}]}]}]}), encoding="utf-8")
    assert gold_answers(squad) == {"q1": ["7시"]}
    lines = tmp_path / "queries.jsonl"
    lines.write_text('{"id": 3, "question": "?", "relevant_ids": [], "answers": ["230"]}\n')
    assert gold_answers(lines) == {"3": ["230"]}
