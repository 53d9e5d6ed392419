"""Each loader on the sample data, on real documents from ../shared, and on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.discover import discover
from ingest.loaders import LoadError, load_file
from tests.helpers import SAMPLE_DATA


def test_pdf_pages_are_numbered_from_one() -> None:
    docs = load_file(SAMPLE_DATA / "handbook.pdf")
    assert [d.metadata["page"] for d in docs] == [1, 2, 3]
    assert "18 days of paid annual leave" in docs[1].page_content
    assert docs[0].metadata["title"] == "Orbit Coffee Roasters Staff Handbook"
    assert docs[0].metadata["mime"] == "application/pdf"
    assert len(docs[0].metadata["content_hash"]) == 64


def test_html_keeps_main_text_and_title_but_not_navigation() -> None:
    (doc,) = load_file(SAMPLE_DATA / "brewing-guide.html")
    assert doc.metadata["title"] == "Orbit Coffee: Brewing Guide"
    assert "between 92 and 94 degrees Celsius" in doc.page_content
    for noise in ("analytics disabled", "font-family", "Shop", "All rights reserved"):
        assert noise not in doc.page_content


def test_cp949_csv_gives_one_document_per_row_with_headers() -> None:
    docs = load_file(SAMPLE_DATA / "menu.csv")
    assert len(docs) == 5
    assert "item_ko: 아메리카노" in docs[0].page_content
    assert "price_krw: 4000" in docs[0].page_content
    assert [d.metadata["row"] for d in docs] == [1, 2, 3, 4, 5]


def test_utf8_bom_csv(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("name,city\n김민준,서울\n".encode("utf-8-sig"))
    (doc,) = load_file(path)
    assert doc.page_content == "name: 김민준\ncity: 서울"


def test_korean_markdown_is_intact() -> None:
    (doc,) = load_file(SAMPLE_DATA / "store-guide-ko.md")
    assert "평일 오전 7시부터 오후 9시까지" in doc.page_content
    assert doc.metadata["mime"] == "text/markdown"


def test_real_english_pdf_page_numbers(shared_dir: Path) -> None:
    docs = load_file(shared_dir / "docs/pdf-en/debian-faq.en.pdf")
    pages = [d.metadata["page"] for d in docs]
    assert pages == sorted(set(pages))
    assert 60 <= len(pages) <= 73  # 73 pages, 7 without text
    assert all(1 <= p <= 73 for p in pages)


def test_real_korean_pdf_and_html_keep_hangul(shared_dir: Path) -> None:
    pdf_docs = load_file(shared_dir / "docs/pdf-ko/lshort-ko.pdf")
    hangul = sum(1 for d in pdf_docs for ch in d.page_content if "가" <= ch <= "힣")
    assert hangul > 10_000
    (html,) = load_file(shared_dir / "docs/html-ko/debian-faq/basic-defs.ko.html")
    assert "데비안" in html.page_content


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"  \n\n ", "empty file"),
        ("binary.txt", bytes(range(256)) * 8, "binary"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "PDF"),
        ("notpdf.pdf", b"hello, I am not a PDF at all", "PDF"),
        ("header-only.csv", b"a,b,c\n", "no data rows"),
        ("empty.html", b"<html><head><script>x()</script></head><body></body></html>", "no text"),
        ("data.xyz", b"whatever", "unsupported"),
    ],
)
def test_bad_input_names_the_file_and_the_reason(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError) as info:
        load_file(path)
    assert str(path) in str(info.value)
    assert reason in info.value.reason


def test_discover_skips_hidden_files_the_data_dir_and_unknown_types(tmp_path: Path) -> None:
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    (tmp_path / "docs" / "a.md").write_text("a")
    (tmp_path / "docs" / "sub" / "b.txt").write_text("b")
    (tmp_path / "docs" / ".hidden.md").write_text("h")
    (tmp_path / "docs" / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "docs" / ".git").mkdir()
    (tmp_path / "docs" / ".git" / "c.md").write_text("c")
    (tmp_path / "docs" / "store").mkdir()
    (tmp_path / "docs" / "store" / "d.md").write_text("d")
    found = list(discover([tmp_path / "docs"], skip_dir=tmp_path / "docs" / "store"))
    assert [p.name for p in found] == ["a.md", "b.txt"]
    only_txt = list(discover([tmp_path / "docs"], include=["*.txt"]))
    assert [p.name for p in only_txt] == ["b.txt"]
    assert [p.name for p in discover([tmp_path / "docs"], exclude=["sub/*", "*/sub/*"])] == [
        "a.md", "d.md"]


def test_every_chunk_keeps_the_metadata_citations_need() -> None:
    from core.settings import Settings
    from ingest.splitting import make_splitter, split

    splitter = make_splitter(Settings(_env_file=None, chunk_size=300, chunk_overlap=50))
    for path in discover([SAMPLE_DATA]):
        chunks = split(splitter, load_file(path))
        assert chunks, path
        for chunk in chunks:
            meta = chunk.metadata
            assert {"source", "title", "start_index", "content_hash", "mime"} <= meta.keys()
            assert meta["source"] == str(path) and meta["title"]
            assert (meta["mime"] == "application/pdf") == ("page" in meta)


def test_text_less_pdf_pages_are_counted_not_dropped_silently(shared_dir: Path) -> None:
    from ingest.loaders import LoadContext

    context = LoadContext()
    docs = load_file(shared_dir / "docs/pdf-en/debian-faq.en.pdf", context=context)
    (warning,) = context.warnings
    assert warning.startswith("7 of 73 pages have no extractable text (pages ")
    assert len(docs) == 66


def test_euc_kr_csv_and_html_selector_on_a_file(tmp_path: Path) -> None:
    from core.settings import Settings

    table = tmp_path / "stores.csv"
    table.write_bytes("지점,주소\n해운대점,부산 해운대구\n".encode("euc-kr"))
    (row,) = load_file(table)
    assert row.page_content == "지점: 해운대점\n주소: 부산 해운대구"
    page = tmp_path / "page.html"
    page.write_text("<title>T</title><div class='nav'>menu</div><div class='body'>본문</div>")
    (doc,) = load_file(page, Settings(_env_file=None, html_selector="div.body"))
    assert (doc.page_content, doc.metadata["title"]) == ("본문", "T")


@pytest.mark.parametrize(
    ("password", "outcome"), [("", "ok"), ("secret", "encrypted PDF (a password is needed)")])
def test_encrypted_pdf_tries_the_empty_password(
    tmp_path: Path, password: str, outcome: str
) -> None:
    from tests.pdf_factory import encrypt, make_pdf

    path = tmp_path / "locked.pdf"
    path.write_bytes(encrypt(make_pdf(["Opening hours: 7 to 21."]), password))
    if outcome == "ok":
        (doc,) = load_file(path)
        assert "Opening hours" in doc.page_content
    else:
        with pytest.raises(LoadError, match=outcome.replace("(", r"\(").replace(")", r"\)")):
            load_file(path)
