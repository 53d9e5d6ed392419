"""Issue 15's formats end to end: generated Office files, e-books, a PDF table, a form and
scans in English and Korean are ingested into a real store, and questions find them at the
right page, slide or sheet."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from graphs.context import Context
from ingest.loaders.ocr import INSTALL, ocr_languages
from ingest.pipeline import ingest_paths
from tests.helpers import retrieve_and_select
from tests.office_factory import make_docx, make_epub, make_pptx, make_xlsx
from tests.pdf_factory import make_form_pdf, make_scanned_pdf, make_table_pdf

pytestmark = pytest.mark.slow

GRINDERS = [["Grinder", "Price (KRW)", "Burrs", "Made in"],
            ["Comandante C40", "320000", "high-nitrogen steel", "Germany"],
            ["Baratza Encore", "210000", "conical steel", "United States"],
            ["Fellow Ode", "450000", "flat steel", "United States"],
            ["Timemore C2", "89000", "stainless steel", "China"],
            ["Kinu M47", "510000", "hardened steel", "Germany"]]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every new format in one folder, ingested once into a real store."""
    if set(ocr_languages()) != {"eng", "kor"}:
        reason = f"tesseract with eng+kor not installed ({INSTALL})"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("formats")
    docs = root / "docs"
    docs.mkdir()
    files = {
        "grinders.pdf": make_table_pdf("The grinders the café sells, with prices.", GRINDERS,
                                       "All prices include VAT."),
        "leave-form.pdf": make_form_pdf({"employee": "Park Jiwoo",
                                         "leave request": "Parental leave from 3 March"}),
        "scan-en.pdf": make_scanned_pdf(["Service log, first page.",
                                         "The warranty on the drum roaster lasts five years.",
                                         "Last page of the service log."]),
        "scan-ko.pdf": make_scanned_pdf(["매장 운영 안내 첫 페이지입니다.",
                                         "두 번째 페이지입니다.",
                                         "디카페인 원두는 스위스 워터 방식으로 가공합니다."]),
        "memo.docx": make_docx(["Staff meetings are held every second Thursday at 4 pm."],
                               heading="Meetings"),
        "plan.pptx": make_pptx(["Plan", "Expansion\nA second store opens in Busan in 2027."]),
        "stock.xlsx": make_xlsx({"Beans": [["origin", "kilograms"], ["Huila", 40]],
                                 "Milk": [["brand", "litres per week"], ["Seoul Milk", 180]]}),
        "book.epub": make_epub(["<p>Preface.</p>",
                                "<p>Cold brew steeps for eighteen hours in the fridge.</p>"]),
    }
    for name, data in files.items():
        (docs / name).write_bytes(data)
    data_dir = root / "data"
    report = ingest_paths([docs], Settings(_env_file=None, data_dir=data_dir))
    assert report.failed == [] and report.files_loaded == len(files), report.table()
    yield data_dir


@pytest.fixture
def store(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from tests.helpers import reset_caches

    monkeypatch.setenv("DOCENT_DATA_DIR", str(corpus))
    reset_caches()
    yield
    reset_caches()


@pytest.mark.parametrize(("question", "name", "where", "text"), [
    ("How much does the Fellow Ode grinder cost?", "grinders.pdf", ("page", 1),
     "| Fellow Ode | 450000 | flat steel | United States |"),
    ("Which grinder is made in China?", "grinders.pdf", ("page", 1),
     "| Timemore C2 | 89000 | stainless steel | China |"),
    ("Who asked for parental leave?", "leave-form.pdf", ("page", 1), "employee: Park Jiwoo"),
    ("How long is the warranty on the drum roaster?", "scan-en.pdf", ("page", 2),
     "warranty on the drum roaster lasts five years"),
    ("디카페인 원두는 어떤 방식으로 가공하나요?", "scan-ko.pdf", ("page", 3), "스위스 워터 방식"),
    ("When are staff meetings held?", "memo.docx", None, "every second Thursday"),
    ("Where does the second store open?", "plan.pptx", ("slide", 2), "Busan"),
    ("How many litres of milk per week?", "stock.xlsx", ("sheet", "Milk"),
     "litres per week: 180"),
    ("How long does cold brew steep?", "book.epub", ("section", 2), "eighteen hours"),
])
def test_question_finds_the_passage_where_it_is(
        store: None, question: str, name: str, where: tuple[str, object] | None,
        text: str) -> None:
    candidates, _, _ = retrieve_and_select(question, Context())
    top = candidates[0]
    assert Path(top.metadata["source"]).name == name, [
        (Path(c.metadata["source"]).name, c.page_content[:60]) for c in candidates[:3]]
    if where is not None:
        key, value = where
        assert top.metadata[key] == value
    assert text in top.page_content
