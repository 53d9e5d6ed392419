"""Where a source or evidence stands in its file, as every surface shows it: PDF page, PPTX
slide, XLSX sheet, EPUB section, or the file alone. Fakes only (Documents built here);
the end-to-end check over ingested Office files is in test_office_citations.py."""

from __future__ import annotations

import io
import subprocess
import sys
from typing import Any

import pytest
from langchain_core.documents import Document

from graphs.evidence import Sentence
from graphs.locator import cited, locator
from graphs.references import evidence_refs, passage_refs
from tests.helpers import ROOT

LOCATED = [({"source": "manual.pdf", "page": 4}, "page 4", "manual.pdf, page 4"),
           ({"source": "deck.pptx", "slide": 3}, "slide 3", "deck.pptx, slide 3"),
           ({"source": "budget.xlsx", "sheet": "Q3"}, "sheet Q3", "budget.xlsx, sheet Q3"),
           ({"source": "book.epub", "section": 2}, "section 2", "book.epub, section 2"),
           ({"source": "notes.md"}, None, "notes.md")]


@pytest.mark.parametrize(("metadata", "where", "shown"), LOCATED)
def test_locator_names_the_place_each_loader_stores(metadata: dict, where: str | None,
                                                    shown: str) -> None:
    assert locator(metadata) == where
    assert cited(metadata["source"], locator(metadata)) == shown


def _sentence(text: str, passage: int) -> Sentence:
    return Sentence(text, passage, coverage=1.0, score=1.0)


def _docs() -> list[Document]:
    return [Document(page_content=f"Passage {n}.", id=f"c{n}", metadata={**meta, "score": 0.5})
            for n, (meta, _, _) in enumerate(LOCATED)]


def test_sources_and_evidence_keep_page_and_carry_the_other_locators() -> None:
    docs = _docs()
    sources = passage_refs(docs)
    assert [s["locator"] for s in sources] == [where for _, where, _ in LOCATED]
    assert sources[0]["page"] == 4 and sources[0]["slide"] is None
    assert (sources[1]["slide"], sources[2]["sheet"], sources[3]["section"]) == (3, "Q3", 2)
    assert all(set(s) >= {"source", "page", "chunk_id", "score"} for s in sources)  # stable keys
    evidence = evidence_refs([_sentence("Passage 1.", 1), _sentence("Passage 2.", 2)], docs)
    assert [(e["passage"], e["slide"], e["sheet"], e["locator"]) for e in evidence] == [
        (2, 3, None, "slide 3"), (3, None, "Q3", "sheet Q3")]


def _result() -> dict[str, Any]:
    docs = _docs()
    return {"answer": "Passage 1. [2]", "answer_kind": "answer", "refused": False,
            "question": "q", "warnings": [], "dropped_passages": [],
            "sources": passage_refs(docs),
            "evidence": evidence_refs([_sentence("Passage 1.", 1)], docs)}


def test_printing_a_served_answer_loads_no_langchain() -> None:
    """`ask` through a running serve prints the report in a light process (app/remote_ask.py)."""
    code = ("import sys, io, app.ask\n"
            "app.ask.print_report({'warnings': [], 'dropped_passages': [], 'evidence': [],\n"
            "    'answer_kind': 'answer', 'sources': [{'source': 'deck.pptx', 'score': 1.0,\n"
            "    'locator': 'slide 3'}]}, out := io.StringIO())\n"
            "print(out.getvalue().strip(), sorted(m for m in sys.modules if 'langchain' in m))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    assert done.stdout.strip() == "Sources:\n[1] deck.pptx, slide 3  (score 1.00) []"


def test_cli_report_names_slide_sheet_section_and_page() -> None:
    from app.ask import print_report

    out = io.StringIO()
    print_report(_result(), out)
    text = out.getvalue()
    assert "[2] “Passage 1.” (deck.pptx, slide 3)" in text
    for _, _, shown in LOCATED:
        assert f"{shown}  (score 0.50)" in text


def test_api_footnotes_name_the_locator() -> None:
    from app.server.answer_format import footnotes
    from graphs.answer import Answer

    notes = footnotes(Answer.from_run("q", _result())).strip().splitlines()
    assert notes == ["[^1]: manual.pdf, page 4", "[^2]: deck.pptx, slide 3 — “Passage 1.”",
                     "[^3]: budget.xlsx, sheet Q3", "[^4]: book.epub, section 2",
                     "[^5]: notes.md"]


def test_conversation_saved_before_locators_still_shows_its_page() -> None:
    from app.server.conversations import _located

    old = {"sources": [{"source": "manual.pdf", "page": 4, "chunk_id": "c", "score": 0.5}],
           "evidence": [{"text": "t", "source": "notes.md", "page": None, "chunk_id": "d",
                         "passage": 1}]}
    located = _located(old)
    assert located is not None
    assert located["sources"][0]["locator"] == "page 4"
    assert located["evidence"][0]["locator"] is None
    assert _located(None) is None


@pytest.mark.parametrize("draft", ["(deck.pptx, slide 3) [1]", "budget.xlsx, sheet Q3",
                                   "[2] (book.epub, section 2)"])
def test_answer_of_only_a_located_file_name_is_no_answer(draft: str) -> None:
    from graphs.answer_check import degenerate

    assert degenerate(draft, "What opens in 2027?") == "the model gave only citations or file names"


def test_api_footnote_quotes_the_sentence_that_holds_the_answer() -> None:
    """Open WebUI showed "18 days" footnoted with "up to 10 paid sick days" beside it, the
    neighbouring evidence sentence (10 was the draft's wrong number)."""
    from app.server.answer_format import footnotes
    from graphs.answer import Answer

    docs = _docs()
    holds = "Full-time employees receive 18 days of paid annual leave per year."
    beside = "Sick leave: up to 10 paid sick days per year."
    result = {**_result(), "answer": "18 days [2]", "evidence": evidence_refs(
        [_sentence(holds, 1), _sentence(beside, 1)], docs)}
    notes = footnotes(Answer.from_run("q", result))
    assert f"— “{holds}”" in notes and beside not in notes
    quoted = {**result, "answer": f"The documents say: “{beside}” [2]", "answer_kind": "evidence"}
    assert beside in footnotes(Answer.from_run("q", quoted))  # a quote keeps its sentences
