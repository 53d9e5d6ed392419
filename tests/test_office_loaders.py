"""The Office, OpenDocument and EPUB loaders, PDF tables, form fields and OCR, file by file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.loaders import LoadContext, LoadError, load_file, unsupported
from ingest.loaders.ocr import INSTALL as OCR_INSTALL
from ingest.loaders.ocr import ocr_languages
from ingest.loaders.pdf import load_pdf
from tests.office_factory import make_docx, make_epub, make_odt, make_pptx, make_xlsx
from tests.pdf_factory import make_form_pdf, make_pdf, make_scanned_pdf, make_table_pdf

PRICES = [["Grinder", "Price (KRW)", "Burrs"], ["Comandante C40", "320000", "steel"],
          ["Baratza Encore", "210000", "conical steel"], ["Fellow Ode", "450000", "flat"]]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_docx_keeps_headings_paragraphs_and_tables(tmp_path: Path) -> None:
    path = _write(tmp_path, "manual.docx", make_docx(
        ["The café opens at 7 a.m.", "원두는 매주 화요일에 로스팅합니다."], heading="Opening hours",
        table=PRICES, title="Café manual"))
    (doc,) = load_file(path)
    assert doc.page_content.startswith("# Opening hours\n\nThe café opens at 7 a.m.")
    assert "원두는 매주 화요일에 로스팅합니다." in doc.page_content
    assert "| Baratza Encore | 210000 | conical steel |" in doc.page_content
    assert doc.metadata["title"] == "Café manual"
    assert doc.metadata["mime"].endswith("wordprocessingml.document")


def test_pptx_gives_one_document_per_slide_with_its_number_and_notes(tmp_path: Path) -> None:
    path = _write(tmp_path, "deck.pptx", make_pptx(
        ["Quarterly review\nSales grew 12 %", "", "Next steps\nOpen a second store"],
        notes={2: "Mention the lease in Mapo."}))
    docs = load_file(path)
    assert [d.metadata["slide"] for d in docs] == [1, 3]  # slide 2 has no text
    assert docs[0].page_content == "Quarterly review\nSales grew 12 %"
    assert docs[1].page_content.endswith("Notes: Mention the lease in Mapo.")


def test_xlsx_gives_header_value_rows_with_their_sheet_and_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, "prices.xlsx", make_xlsx({
        "Grinders": PRICES, "Empty": [], "메뉴": [["이름", "가격"], ["라떼", 4500]]}))
    docs = load_file(path)
    assert [(d.metadata["sheet"], d.metadata["rows"]) for d in docs] == [
        ("Grinders", "2–4"), ("메뉴", "2")]
    assert docs[0].page_content.split("\n\n")[1] == (
        "Grinder: Baratza Encore\nPrice (KRW): 210000\nBurrs: conical steel")
    assert docs[1].page_content == "이름: 라떼\n가격: 4500"


def test_odt_and_epub(tmp_path: Path) -> None:
    odt = _write(tmp_path, "notes.odt", make_odt(
        '<text:h text:outline-level="2">Roasting</text:h><text:p>Light<text:s text:c="2"/>'
        'roast<text:note><text:note-body><text:p>a footnote</text:p></text:note-body>'
        '</text:note> on Tuesdays.</text:p><table:table><table:table-row><table:table-cell>'
        '<text:p>Bean</text:p></table:table-cell><table:table-cell><text:p>Origin</text:p>'
        '</table:table-cell></table:table-row><table:table-row><table:table-cell><text:p>'
        'Yirgacheffe</text:p></table:table-cell><table:table-cell><text:p>Ethiopia</text:p>'
        '</table:table-cell></table:table-row></table:table>', title="Roast notes"))
    (doc,) = load_file(odt)
    assert doc.page_content == ("## Roasting\n\nLight  roast on Tuesdays.\n\n"
                                "| Bean | Origin |\n| --- | --- |\n| Yirgacheffe | Ethiopia |")
    assert doc.metadata["title"] == "Roast notes"
    epub = _write(tmp_path, "book.epub", make_epub(
        ["<h1>Chapter one</h1><p>The kettle whistles.</p>", "<p>   </p>",
         "<h1>Chapter three</h1><table><tr><th>Brew</th><th>Grams</th></tr>"
         "<tr><td>V60</td><td>15</td></tr></table>"], title="Brewing"))
    docs = load_file(epub)
    assert [d.metadata["section"] for d in docs] == [1, 3]
    assert docs[0].metadata["title"] == "Brewing"
    assert "| V60 | 15 |" in docs[1].page_content


def test_html_tables_become_markdown_but_layout_tables_stay_text(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.html", b"<main><p>Prices</p><table><tr><th>Item</th><th>KRW"
                  b"</th></tr><tr><td>Latte</td><td>4,500</td></tr></table>"
                  b"<table summary='Note'><tr><td rowspan='2'><img src='note.png'></td>"
                  b"<th>Note</th></tr><tr><td>Descale monthly.</td></tr></table></main>")
    (doc,) = load_file(path)
    assert doc.page_content == ("Prices\n| Item | KRW |\n| --- | --- |\n| Latte | 4,500 |\n"
                                "Note\nDescale monthly.")


def test_pdf_table_rows_stay_rows_and_prose_keeps_its_place() -> None:
    data = make_table_pdf("Our grinders and what they cost.", PRICES, "Prices include VAT.")
    (doc,) = load_pdf("t.pdf", data, LoadContext())
    text = doc.page_content
    assert "| Baratza Encore | 210000 | conical steel |" in text
    assert text.index("Our grinders") < text.index("| Grinder |") < text.index("include VAT")
    # ruled only above, under the header and below, with inner column rules: rows are
    # cut at the text's baselines
    (ruled,) = load_pdf("b.pdf", make_table_pdf("Grinders.", PRICES, booktabs=True),
                        LoadContext())
    assert "| Grinder | Price (KRW) | Burrs |\n| --- | --- | --- |\n| Comandante C40 | 320000 |" \
        in ruled.page_content
    assert "| Baratza Encore | 210000 | conical steel |" in ruled.page_content
    # a page without a grid keeps pypdf's text exactly
    import io

    from pypdf import PdfReader

    plain = make_pdf(["Plain prose, no table here."])
    (prose,) = load_pdf("p.pdf", plain, LoadContext())
    assert prose.page_content == PdfReader(io.BytesIO(plain)).pages[0].extract_text()


def test_pdf_form_field_values_are_read_not_sent_to_ocr() -> None:
    context = LoadContext()
    (doc,) = load_pdf("form.pdf", make_form_pdf({"applicant": "Kim Minjun",
                                                  "request": "Two weeks of leave in May"}),
                      context)
    assert doc.page_content == "applicant: Kim Minjun\nrequest: Two weeks of leave in May"
    assert context.warnings == []


@pytest.fixture
def tesseract() -> None:
    """Tesseract with English and Korean: skipped without it, except in CI (.ci/run installs it)."""
    if set(ocr_languages()) != {"eng", "kor"}:
        reason = f"tesseract with eng+kor not installed ({OCR_INSTALL})"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def test_scanned_pages_are_read_by_ocr_in_english_and_korean(tesseract: None) -> None:
    context = LoadContext()
    data = make_scanned_pdf(["The grinder burrs are replaced every two years.",
                             "",
                             "원두는 매주 화요일에 로스팅합니다."])
    docs = load_pdf("scan.pdf", data, context)
    assert [d.metadata["page"] for d in docs] == [1, 3]
    assert all(d.metadata["ocr"] for d in docs)
    assert "grinder burrs are replaced every two years" in docs[0].page_content
    assert "원두는매주화요일에로스팅합니다" in docs[1].page_content.replace(" ", "")
    assert context.warnings[0] == "2 pages read by OCR (pages 1, 3)"
    assert context.warnings[1] == "1 of 3 pages have no extractable text (pages 2)"


def test_without_tesseract_the_pages_needing_ocr_are_counted_with_the_fix(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.loaders import pdf

    monkeypatch.setattr(pdf, "ocr_languages", lambda: ())
    scan = make_scanned_pdf(["Page one, a scan.", "Page two, a scan."])
    with pytest.raises(LoadError, match=r"no extractable text on its 2 pages \(scanned images "
                                        r"need OCR: apt-get install tesseract-ocr"):
        load_pdf("scan.pdf", scan, LoadContext())


def test_unsupported_office_formats_say_what_to_save_them_as() -> None:
    assert unsupported(".doc") == "unsupported file type '.doc' (save it as .docx)"
    assert unsupported(".key") == "unsupported file type '.key'"


def test_a_spreadsheet_price_answer_carries_its_column_header(tmp_path: Path) -> None:
    from graphs.answer_check import decide
    from graphs.evidence import evidence_for
    from graphs.references import evidence_refs
    from tests.qualifier_cases import case_index

    docs = load_file(_write(tmp_path, "prices.xlsx", make_xlsx({"Grinders": PRICES})))
    question = "How much is the Baratza Encore grinder?"
    evidence = evidence_refs(evidence_for(question, docs, case_index()), docs)
    shown = decide("210000", question, evidence, docs[0].page_content)
    assert shown["answer"] == "210000 (Price (KRW)) [1]"
    in_dollars = decide("210000", f"{question[:-1]} in dollars?", evidence,
                        docs[0].page_content)
    assert in_dollars["answer_kind"] == "evidence" and "Price (KRW): 210000" in in_dollars[
        "answer"]
