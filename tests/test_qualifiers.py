"""The qualifier set (tests/qualifier_cases.py) on its logic: evidence ranked lexically, the
near miss's answer and the right one given as fake drafts. No model is asked."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from graphs.answer_check import decide, unsupported_facts, with_unit
from graphs.evidence import evidence_for
from graphs.qualifiers import sentence_clash, unit_after, unit_word
from graphs.references import evidence_refs
from graphs.state import EvidenceRef
from tests.qualifier_cases import CASES, ENGLISH, KOREAN, Case, case_index, judged_right


def _evidence(case: Case) -> list[EvidenceRef]:
    docs = [Document(case.document, metadata={"source": "case.txt"})]
    return evidence_refs(evidence_for(case.question, docs, case_index()), docs)


def test_the_set_holds_eighty_cases_in_both_languages() -> None:
    assert len(CASES) >= 80 and len(ENGLISH) >= 40 and len(KOREAN) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.question for c in CASES])
def test_the_first_evidence_is_not_the_near_miss(case: Case) -> None:
    first = _evidence(case)[0]["text"]
    assert case.quote or sentence_clash(case.question, first) is None, first


@pytest.mark.parametrize("quotes_only", [False, True], ids=["capable", "small"])
@pytest.mark.parametrize("case", CASES, ids=[c.question for c in CASES])
def test_the_near_miss_answer_is_not_shown(case: Case, quotes_only: bool) -> None:
    evidence = _evidence(case)
    shown = decide(case.wrong, case.question, evidence, case.document, quotes_only=quotes_only)
    assert judged_right(case, shown), shown["answer"]


@pytest.mark.parametrize("case", [c for c in CASES if not c.quote],
                         ids=[c.question for c in CASES if not c.quote])
def test_the_right_answer_is_shown(case: Case) -> None:
    shown = decide(case.right, case.question, _evidence(case), case.document)
    assert judged_right(case, shown), shown["answer"]


@pytest.mark.parametrize(("sentence", "number", "unit"), [
    ("Each shift includes a paid 30 minute break.", "30", " minutes"),
    ("카페 라떼는 4,800원입니다.", "4,800", "원"),
    ("Keep it for up to ten days.", "ten", " days"),
    ("Use 1 hour of rest.", "1", " hour"),
    ("It ends at 205 °C, just after first crack.", "205", " °C"),
    ("직원 5명이 일합니다.", "5", "명"),
    ("In 1815 Napoleon returned.", "1815", ""),
])
def test_a_number_keeps_the_unit_written_after_it(sentence: str, number: str, unit: str
                                                  ) -> None:
    assert unit_word(sentence, sentence.index(number) + len(number)) == unit


def test_a_bare_number_answer_is_shown_with_its_unit() -> None:
    evidence: list[EvidenceRef] = [{
        "text": "Each shift includes a paid 30 minute break.", "source": "handbook.pdf",
        "page": 1, "slide": None, "sheet": None, "section": None, "locator": "page 1",
        "chunk_id": "c", "passage": 1}]
    shown = decide("30", "How long is the paid break?", evidence, evidence[0]["text"])
    assert shown["answer"] == "30 minutes [1]" and shown["answer_kind"] == "answer"
    korean = dict(evidence[0], text="가격은 4,800원입니다.")
    shown = decide("4,800 [1]", "가격은 얼마인가요?", [korean], korean["text"])  # type: ignore[list-item]
    assert shown["answer"] == "4,800원 [1]"


def test_a_price_asked_in_dollars_is_quoted_in_won_with_a_note_saying_so() -> None:
    case = next(c for c in ENGLISH if "latte in dollars" in c.question)
    shown = decide("4800", case.question, _evidence(case), case.document)
    assert shown["answer_kind"] == "evidence" and "price_krw: 4800" in shown["answer"]
    assert shown["warnings"] == ["Quoted from the documents: they speak of won, while the "
                                 "question asks about dollars."]


def test_a_near_miss_draft_is_named_for_the_reader_in_korean() -> None:
    case = next(c for c in KOREAN if c.question.startswith("시간제") and not c.quote)
    shown = decide("18일", case.question, _evidence(case), case.document)
    assert shown["warnings"] == ["문서의 문장을 그대로 옮겼습니다. 모델의 짧은 답은 정규직 "
                                 "기준이었고, 질문은 시간제 직원 기준입니다."]


def test_a_duration_in_two_units_answers_a_question_asking_one_of_them() -> None:
    evidence: list[EvidenceRef] = [{
        "text": "편도 이동에는 2시간 30분이 걸립니다.", "source": "guide.md", "page": None,
        "slide": None, "sheet": None, "section": None, "locator": None, "chunk_id": "c",
        "passage": 1}]
    shown = decide("2시간 30분", "편도 이동에는 몇 시간이 걸리나요?", evidence, evidence[0]["text"])
    assert shown["answer"] == "2시간 30분 [1]" and shown["answer_kind"] == "answer"


def test_units_of_one_kind_clash_and_of_none_do_not() -> None:
    from graphs.qualifiers import unit_clash

    sentence = "a paid 30 minute break"
    minutes = unit_after(sentence, sentence.index("30") + 2)
    assert unit_clash("How many hours is the break?", minutes) is not None
    assert unit_clash("How many grams of coffee?", minutes) is not None
    assert unit_clash("How long is the break?", minutes) is None
    assert unit_clash("휴식은 몇 분인가요?", minutes) is None
    fee = "a fee of 30 percent, and 30퍼센트"
    percent = unit_after(fee, fee.index("30") + 2)
    assert unit_clash("How long is the notice period?", percent) is not None
    assert unit_clash("해지 통보 기간은 얼마나 되나요?", percent) is not None
    assert unit_clash("What is the cancellation fee?", percent) is None


@pytest.mark.parametrize(("answer", "passage", "unsupported"), [
    ("30 days", "The fee is 30 percent of the order. Staff give two weeks of notice.",
     ["30 days"]),
    ("30일", "수수료는 주문 금액의 30퍼센트입니다. 해지는 2주 전에 통보해야 합니다.", ["30일"]),
    ("14 months", "The warranty lasts two years. Repairs take up to 14 days.", ["14 months"]),
    ("4800 dollars", "item: Cafe latte\nsize: regular\nprice_krw: 4800", ["4800 dollars"]),
    ("two weeks", "The fee is 30 percent of the order. Staff give two weeks of notice.", []),
    ("30%", "The fee is 30 percent of the order.", []),
    ("30 minutes", "Each shift includes a paid 30-minute break.", []),
    ("$15", "Tickets cost 15 dollars.", []),
    ("15 dollars", "Tickets cost $15.", []),
    ("4,800원", "item: Cafe latte\nsize: regular\nprice_krw: 4800", []),
    ("4800원", "메뉴: 카페 라떼\n가격(원): 4800", []),
    ("5 employees", "The shop has 5 employees.", []),
])
def test_a_number_must_count_what_the_passages_say_it_counts(
        answer: str, passage: str, unsupported: list[str]) -> None:
    assert unsupported_facts(answer, passage, "How long is it?") == unsupported


def test_a_number_held_elsewhere_with_another_unit_is_not_shown() -> None:
    passage = ("Cancelled orders carry a fee of 30 percent of the order. Staff must give two "
               "weeks of notice before leaving.")
    docs = [Document(passage, metadata={"source": "handbook.txt"})]
    question = "How long is the notice period for staff?"
    evidence = evidence_refs(evidence_for(question, docs, case_index()), docs)
    shown = decide("30 days [1]", question, evidence, passage)
    assert shown["answer_kind"] != "answer" and "30 days" not in shown["answer"]
    assert "two weeks" in shown["answer"]


@pytest.mark.parametrize(("draft", "kind"), [("경복궁의 설계는 김대신이 맡았다 [1]", "evidence"),
                                             ("경복궁의 설계는 최만리가 맡았다 [1]", "evidence"),
                                             ("경복궁의 설계는 정도전이 맡았다 [1]", "answer")])
def test_a_korean_name_the_passages_do_not_hold_is_not_shown(draft: str, kind: str) -> None:
    passage = "경복궁은 1395년에 완공되었다. 경복궁의 설계는 정도전이 맡았다."
    docs = [Document(passage, metadata={"source": "history.txt"})]
    question = "경복궁의 설계를 맡은 사람은 누구인가요?"
    evidence = evidence_refs(evidence_for(question, docs, case_index()), docs)
    shown = decide(draft, question, evidence, passage)
    assert shown["answer_kind"] == kind and "정도전" in shown["answer"]


def test_a_table_cell_keeps_its_column_header_as_its_unit() -> None:
    from ingest.loaders import load_file
    from tests.helpers import SAMPLE_DATA

    docs = [d for d in load_file(SAMPLE_DATA / "menu.csv") if "Cafe latte" in d.page_content]
    question = "How much is a cafe latte?"
    evidence = evidence_refs(evidence_for(question, docs, case_index()), docs)
    shown = decide("4800", question, evidence, docs[0].page_content)
    assert shown["answer"] == "4800 (price_krw) [1]" and shown["answer_kind"] == "answer"
    assert with_unit("4,800", ["가격(원): 4,800 크기: 보통"]) == "4,800 (가격(원))"
