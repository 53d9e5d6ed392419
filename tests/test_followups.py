"""Follow-ups made standalone (graphs/chat_followup.py) on the cases in
tests/followup_cases.jsonl: ellipses and pronouns that lean on the turn before, questions
that contain "it"/"that"/그 but name their own topic, topic shifts, turns after a refusal,
and chains of follow-ups, in English and Korean. Rules, so every case is exact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat_followup import Turn, is_refusal, rewrite_followup
from graphs.prompts import REFUSALS

CASES_FILE = Path(__file__).parent / "followup_cases.jsonl"


def load_cases(path: Path) -> list[dict[str, Any]]:
    """One case a line: previous (None for a first question), refused, followup, rewrite,
    kind, and optionally earlier (the answered questions before the previous one)."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


CASES = load_cases(CASES_FILE)


def case_turns(case: dict[str, Any]) -> list[Turn]:
    """The turns before the case's follow-up: its earlier questions (answered), then the
    previous one, refused or not."""
    turns = [Turn(question, "An answer [1].", refused=False)
             for question in case.get("earlier", [])]
    if case["previous"] is not None:
        answer = REFUSALS["en"] if case["refused"] else "An answer [1]."
        turns.append(Turn(case["previous"], answer, refused=case["refused"]))
    return turns


def test_the_cases_cover_both_languages_and_every_kind() -> None:
    korean = [c for c in CASES if any("\uac00" <= ch <= "\ud7a3" for ch in c["followup"])]
    kinds = {c["kind"] for c in CASES}
    assert len(CASES) >= 60 and len(korean) >= 20 and len(CASES) - len(korean) >= 40
    assert kinds == {"ellipsis", "pronoun", "standalone", "shift", "refused", "chained"}
    rewritten = [c for c in CASES if c["rewrite"] != c["followup"]]
    assert 0.3 < len(rewritten) / len(CASES) < 0.8


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['kind']}: {c['followup']}")
def test_follow_up_is_rewritten_as_a_person_would(case: dict[str, Any]) -> None:
    assert rewrite_followup(case["followup"], case_turns(case)) == case["rewrite"]


def test_a_question_left_alone_is_returned_as_typed() -> None:
    typed = "  How long should cold brew steep?  "
    assert rewrite_followup(typed, [Turn("Where is the roastery?", "Busan [1].", False)]) is typed
    assert rewrite_followup("What about weekends?", []) == "What about weekends?"


def test_a_follow_up_in_another_language_is_left_alone() -> None:
    turns = [Turn("How many days of paid annual leave do full-time employees get?", "18 days",
                  refused=False)]
    assert rewrite_followup("그럼 시간제 직원은요?", turns) == "그럼 시간제 직원은요?"


def test_only_the_turn_right_before_counts() -> None:
    """A follow-up after a refused turn is not merged with the answered one before it."""
    turns = [Turn("What time does the store open on weekdays?", "7 am [1].", refused=False),
             Turn("Who is the CEO of Samsung?", REFUSALS["en"], refused=True)]
    assert rewrite_followup("What about weekends?", turns) == "What about weekends?"


@pytest.mark.parametrize("answer", [
    *REFUSALS.values(),
    "The documents do not say. (docent answers questions in English and Korean; this one is "
    "in Cyrillic script)",
    "  문서에 그 내용이 없습니다.\n",
])
def test_docents_refusals_are_recognised(answer: str) -> None:
    assert is_refusal(answer)


@pytest.mark.parametrize("answer", [
    "18 days [^1]\n\n[^1]: handbook.pdf, page 2",
    "The documents say: “Employees get 18 days.” [1]",
    "",
])
def test_answers_are_not_refusals(answer: str) -> None:
    assert not is_refusal(answer)


WORDS = sorted({word for case in CASES for text in (case["followup"], case["previous"] or "")
                for word in text.split()} | {"?", ".", "it", "that", "And", "은요?", "그건"})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=7), st.lists(st.sampled_from(WORDS), max_size=9),
       st.booleans())
def test_any_words_give_a_question_and_never_an_error(
        asked: list[str], previous: list[str], refused: bool) -> None:
    question = " ".join(asked)
    rewritten = rewrite_followup(question, [Turn(" ".join(previous), "An answer.", refused)])
    assert isinstance(rewritten, str) and (rewritten == question or rewritten.strip())
    if refused:
        assert rewritten == question
