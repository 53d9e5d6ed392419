import json
from pathlib import Path

import pytest

from app.answer_eval import score_records
from app.answer_metrics import (
    contains_gold,
    exact_match,
    gold_answers,
    normalize_answer,
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
    assert token_f1("18 days of leave [1]", ["18 days"]) == pytest.approx(2 / 3, abs=1e-4)
    assert token_f1("nothing shared", ["18 days"]) == 0.0


def test_korquad_metric_is_character_f1_without_english_articles() -> None:
    # "오후 6시까지" vs gold "오후 6시": 4 of 6 characters shared, all 4 gold ones
    assert token_f1("오후 6시까지 [1]", ["오후 6시"], korean=True) == pytest.approx(0.8)
    assert exact_match("《오후 6시》", ["오후 6시"], korean=True) == 1.0
    assert contains_gold("주말에는 오후 6시까지 영업합니다", ["오후 6시"], korean=True)
    assert not contains_gold("The documents do not say.", ["230"])


def _record(answer: str, kind: str, gold: list[str], question: str = "How long?",
            ms: float = 10.0) -> dict:
    return {"id": answer, "question": question, "answer": answer, "answer_kind": kind,
            "refused": kind == "refusal", "gold": gold, "evidence": [], "sources": [],
            "latency_ms": ms}


def test_scoreboard_counts_refusals_fabrications_and_evidence() -> None:
    records = [_record("18 days [1]", "answer", ["18 days"], ms=10.0),
               _record("The documents say: “… 230 °C …” [1]", "evidence", ["230 °C"], ms=20.0),
               _record("The documents do not say.", "refusal", ["12"], ms=30.0),
               _record("문서에 그 내용이 없습니다.", "refusal", [], question="언제?", ms=40.0),
               _record("Napoleon [1]", "answer", [], ms=50.0)]
    sources = {"18 days [1]": "Employees get 18 days.",
               "The documents say: “… 230 °C …” [1]": "", "The documents do not say.": "",
               "문서에 그 내용이 없습니다.": "", "Napoleon [1]": "Napoleon left."}
    scores = score_records(records, sources).to_dict()
    assert (scores["questions"], scores["unanswerable"]) == (3, 2)
    assert scores["answer_contains"] == pytest.approx(2 / 3, abs=1e-4)
    assert scores["exact_match"] == pytest.approx(1 / 3, abs=1e-4)
    assert scores["refused_answerable"] == pytest.approx(1 / 3, abs=1e-4)
    assert scores["refused_unanswerable"] == 0.5
    assert scores["fabricated_shown"] == 1  # an answer to a question nothing answers
    assert scores["evidence_shown"] == 0.2
    assert scores["latency_ms_p50"] == 30.0 and scores["latency_ms_p95"] == 50.0


def test_gold_answers_from_squad_and_jsonl(tmp_path: Path) -> None:
    squad = tmp_path / "s.json"
    squad.write_text(json.dumps({"data": [{"title": "t", "paragraphs": [{
        "context": "c", "qas": [{"id": "q1", "question": "?", "answers": [
            {"text": "7시", "answer_start": 0}]}]}]}]}), encoding="utf-8")
    assert gold_answers(squad) == {"q1": ["7시"]}
    lines = tmp_path / "queries.jsonl"
    lines.write_text('{"id": 3, "question": "?", "relevant_ids": [], "answers": ["230"]}\n')
    assert gold_answers(lines) == {"3": ["230"]}


def test_gold_in_context_is_what_the_prompt_handed_the_model() -> None:
    from langchain_core.language_models import FakeListLLM

    from app.answer_eval import HandedText
    from graphs.prompts import build_prompt

    handed = HandedText()
    for style in ("completion", "chat"):
        prompt = build_prompt(style, "qwen2", "How many days?",  # type: ignore[arg-type]
                              ["Full-time staff get 18 days.", "Breaks are 30 minutes."])
        if style == "chat":
            handed.on_chat_model_start({}, [prompt.to_messages()])
        else:
            FakeListLLM(responses=["18"]).invoke(prompt, config={"callbacks": [handed]})
    # the numbered texts alone: not the worked example, the instructions or the question
    assert handed.texts == ["[1] Full-time staff get 18 days.\n[2] Breaks are 30 minutes."] * 2
    records = [dict(_record("18 days [1]", "answer", ["18 days"]), context=handed.texts[0]),
               dict(_record("x", "evidence", ["Tuesday"]), context=handed.texts[0]),
               _record("The documents do not say.", "refusal", ["12"])]  # no model call
    scores = score_records(records, dict.fromkeys(["18 days [1]", "x", "The documents do "
                                                   "not say."], ""))
    assert scores.gold_in_context == pytest.approx(1 / 3)
