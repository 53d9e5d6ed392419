from langchain_core.documents import Document

from graphs.citations import check_citations, support

DOCS = [
    Document("Full-time employees receive 18 days of paid annual leave per year."),
    Document("Green beans are roasted every Tuesday and Friday morning."),
]


def test_supported_citation_passes() -> None:
    checked = check_citations("Employees receive 18 days of paid leave [1].", DOCS)
    assert checked.unsupported == [] and checked.invalid_citations == []
    assert checked.text == "Employees receive 18 days of paid leave [1]."


def test_fabricated_citation_number_is_flagged() -> None:
    checked = check_citations("Beans are roasted on Tuesday and Friday [7].", DOCS)
    assert checked.invalid_citations == [7]
    assert checked.unsupported == ["Beans are roasted on Tuesday and Friday [7]."]


def test_citation_to_the_wrong_passage_is_unsupported() -> None:
    checked = check_citations("Beans are roasted every Tuesday and Friday [1].", DOCS)
    assert checked.unsupported == ["Beans are roasted every Tuesday and Friday [1]."]


def test_uncited_sentences_are_attributed_or_flagged() -> None:
    checked = check_citations("Beans are roasted every Tuesday. The moon is cheese.", DOCS)
    assert checked.text == "Beans are roasted every Tuesday. [2] The moon is cheese."
    assert checked.unsupported == ["The moon is cheese."]
    assert checked.attributed


def test_korean_support_ignores_particles() -> None:
    passage = "매장은 평일 오전 7시부터 오후 9시까지 문을 엽니다."
    assert support("매장은 평일 오전 7시에 문을 엽니다", passage) >= 0.5
    assert support("화성의 대기는 이산화탄소입니다", passage) < 0.2
