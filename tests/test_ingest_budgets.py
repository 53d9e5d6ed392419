"""Files that stay inside the size caps but cost minutes or gigabytes to read: each is
measured in work as it is read (cells, characters, pages, time) and fails alone, in one
line, with what was stored before kept. Hostile files are built here
(tests/office_factory.py); the clock is a fake wherever time matters."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from langchain_core.documents import Document

from core.settings import Settings
from graphs.locator import locator
from ingest.loaders import LOADERS, FileBudget, LoadContext, OverBudget, load_file
from tests.fakes import HashingEmbeddings
from tests.office_factory import (
    declared_dimension_xlsx,
    long_docx,
    make_docx,
    make_epub,
    make_huge_deck,
    make_odt,
    make_xlsx,
    wide_rows_xlsx,
)
from tests.pdf_factory import make_pdf

PARTS = [["part", "price"], ["bolt", 3]]


def _clock(step: float) -> Callable[[], float]:
    """A clock that moves `step` seconds each time it is read."""
    ticks = itertools.count()
    return lambda: next(ticks) * step


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", embedding_model="test:hashing",
                    **values)  # type: ignore[arg-type]


def _stored(settings: Settings, name: str) -> dict[str, str]:
    """chunk id → text of the stored chunks whose source ends with `name`."""
    from core.index.store import open_store

    got = open_store(settings, HashingEmbeddings()).vectorstore.get(
        include=["metadatas", "documents"])
    return {i: d for i, m, d in zip(got["ids"], got["metadatas"], got["documents"],
                                    strict=True) if m["source"].endswith(name)}


def test_a_sheet_declaring_a1_xfd1048576_is_read_by_its_cells(tmp_path: Path) -> None:
    """The issue's 1.6 KB workbook held the ingest lock for 258 s: openpyxl padded every
    row to the declared 16,384 columns. Now every row is as wide as its own cells."""
    path = tmp_path / "parts.xlsx"
    path.write_bytes(declared_dimension_xlsx(PARTS))
    context = LoadContext.reading(str(path), Settings(_env_file=None))
    (doc,) = load_file(path, context=context)
    assert doc.page_content == "part: bolt\nprice: 3\n\ncolumn 16384: corner"
    assert (doc.metadata["sheet"], doc.metadata["rows"]) == ("Parts", "2–1048576")
    # two rows of two cells, the 1,048,573 missing rows between as one empty cell each,
    # and the corner's row: 16,384 wide; trusting the declaration, 17 billion
    assert context.budget.cells == 2 + 2 + 1_048_573 + 16_384


def test_cells_read_are_counted_and_stop_the_file(tmp_path: Path) -> None:
    path = tmp_path / "wide.xlsx"
    path.write_bytes(wide_rows_xlsx(130))  # 130 rows × 16,384 cells, in a few kilobytes
    context = LoadContext.reading(str(path), Settings(_env_file=None))
    with pytest.raises(OverBudget, match=r"^.*wide\.xlsx: over the cells limit: more than "
                                         r"2,000,000 spreadsheet cells read"):
        load_file(path, context=context)
    assert context.budget.cells <= 2_000_000 + 16_384  # stopped at the row that passed it


def test_characters_are_counted_as_text_is_read() -> None:
    """The issue's 3.4 MB .docx of 90 MB of text took 1.4 GB: reading stops at the limit."""
    budget = FileBudget("long.docx", max_characters=50_000)
    with pytest.raises(OverBudget, match="over the characters limit: more than 50,000 "):
        LOADERS[".docx"]("long.docx", long_docx(1_000), LoadContext(budget=budget))
    assert 50_000 < budget.characters <= 50_000 + 1_005  # one paragraph past it, no more


@pytest.mark.parametrize(("suffix", "data"), [
    (".pptx", lambda: make_huge_deck(30)),
    (".pdf", lambda: make_pdf([f"Page {n}." for n in range(30)])),
    (".epub", lambda: make_epub([f"<p>Chapter {n}.</p>" for n in range(30)])),
    (".xlsx", lambda: make_xlsx({f"S{n}": PARTS for n in range(30)})),
])
def test_pages_slides_chapters_and_sheets_are_counted(suffix: str,
                                                      data: Callable[[], bytes]) -> None:
    budget = FileBudget("f" + suffix, max_pages=20)
    with pytest.raises(OverBudget, match="over the pages limit: more than 20 pages, slides"):
        LOADERS[suffix]("f" + suffix, data(), LoadContext(budget=budget))
    assert budget.pages == 21


LONG_FILES: dict[str, Callable[[], bytes]] = {
    ".docx": lambda: make_docx([f"Paragraph {n}." for n in range(100)]),
    ".odt": lambda: make_odt("".join(f"<text:p>Paragraph {n}.</text:p>" for n in range(100))),
    ".pptx": lambda: make_huge_deck(100),
    ".xlsx": lambda: make_xlsx({"Parts": [["n"], *([n] for n in range(100))]}),
    ".csv": lambda: ("n\n" + "\n".join(map(str, range(100)))).encode(),
    ".pdf": lambda: make_pdf([f"Page {n}." for n in range(100)]),
    ".epub": lambda: make_epub([f"<p>Chapter {n}.</p>" for n in range(100)]),
}


@pytest.mark.parametrize("suffix", sorted(LONG_FILES))
def test_every_loader_looks_at_the_clock_as_it_reads(suffix: str) -> None:
    """A clock that moves 1 s a look and a 10 s budget: each loader stops inside the file,
    long before its 100 paragraphs, slides, rows, pages or chapters are read."""
    budget = FileBudget("f" + suffix, seconds=10, clock=_clock(1.0))
    with pytest.raises(OverBudget, match=r"over the time limit: still reading after 11 s "
                                         r"\(DOCENT_MAX_FILE_SECONDS=10\)"):
        LOADERS[suffix]("f" + suffix, LONG_FILES[suffix](), LoadContext(budget=budget))
    assert budget.characters < 100 * len("Paragraph 99.")


@pytest.mark.parametrize(("suffix", "data"), [(".md", b"# Notes\n\nThe kettle."),
                                              (".html", b"<p>The kettle.</p>")])
def test_one_piece_files_look_at_the_clock_too(suffix: str, data: bytes) -> None:
    budget = FileBudget("f" + suffix, seconds=10, clock=_clock(100.0))
    with pytest.raises(OverBudget, match="over the time limit"):
        LOADERS[suffix]("f" + suffix, data, LoadContext(budget=budget))


def test_splitting_looks_at_the_clock_per_document() -> None:
    from ingest.splitting import make_splitter, split

    budget = FileBudget("f.pdf", seconds=10, clock=_clock(1.0))
    docs = [Document(f"Page {n}.", metadata={"page": n}) for n in range(100)]
    with pytest.raises(OverBudget, match="over the time limit"):
        split(make_splitter(Settings(_env_file=None)), docs, budget)


def test_sheet_rows_gather_into_chunks_that_cite_their_rows() -> None:
    rows = [["part", "supplier"], *([f"P{n:03d}", f"Supplier {n:02d}"] for n in range(1, 31))]
    docs = LOADERS[".xlsx"]("parts.xlsx", make_xlsx({"Parts": rows}),
                            LoadContext(chunk_size=200))
    # 32 characters a row, 2 between rows: 5 rows to a document of at most 200
    assert [d.metadata["rows"] for d in docs] == ["2–6", "7–11", "12–16", "17–21", "22–26",
                                                  "27–31"]
    assert docs[0].page_content.split("\n\n")[0] == "part: P001\nsupplier: Supplier 01"
    assert all(len(d.page_content) <= 200 for d in docs)
    assert locator(docs[1].metadata) == "sheet Parts, rows 7–11"
    assert locator({"sheet": "Parts", "rows": "7"}) == "sheet Parts, row 7"
    assert locator({"source": "menu.csv", "row": 3}) == "row 3"


def test_over_budget_files_fail_alone_and_keep_what_was_stored(tmp_path: Path) -> None:
    """A batch of the issue's hostile files under the real limits: each over-budget file
    is one `failed:` line naming its limit, the rest is ingested, and the chunks a file
    had before it turned hostile stay."""
    from ingest.pipeline import ingest_paths

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "stock.xlsx").write_bytes(make_xlsx({"Stock": [["item", "kg"], ["Huila", 40]]}))
    settings = _settings(tmp_path)
    assert ingest_paths([folder], settings, model=HashingEmbeddings()).exit_code == 0
    before = _stored(settings, "stock.xlsx")
    assert list(before.values()) == ["item: Huila\nkg: 40"]

    (folder / "stock.xlsx").write_bytes(wide_rows_xlsx(130))
    (folder / "long.docx").write_bytes(long_docx(5_100))  # 5.1 million characters
    (folder / "parts.xlsx").write_bytes(declared_dimension_xlsx(PARTS))
    (folder / "notes.md").write_text("The roaster is serviced in June.")
    report = ingest_paths([folder], settings, model=HashingEmbeddings())

    assert sorted((Path(f.path).name, f.error.split(":")[0]) for f in report.failed) == [
        ("long.docx", "over the characters limit"), ("stock.xlsx", "over the cells limit")]
    assert f"failed: {folder / 'long.docx'}: over the characters limit: more than 5,000,000 " \
           "characters of text (split the file)" in report.table()
    assert (report.files, report.files_loaded, report.exit_code) == (4, 2, 1)
    assert _stored(settings, "stock.xlsx") == before
    assert _stored(settings, "long.docx") == {}
    assert list(_stored(settings, "parts.xlsx").values()) == [
        "part: bolt\nprice: 3\n\ncolumn 16384: corner"]


def test_a_stuck_file_lets_the_lock_go_after_its_time(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A loader that never finishes (as the 258 s spreadsheet did) but charges its budget
    as every loader does: a second ingest waiting for the lock gets it, and the batch
    around the stuck file goes on."""
    from ingest.pipeline import ingest_paths

    stuck = threading.Event()

    def endless(source: str, data: bytes, context: LoadContext) -> list[Document]:
        stuck.set()
        while True:
            context.budget.charge(cells=0)

    monkeypatch.setitem(LOADERS, ".rst", endless)
    (tmp_path / "stuck.rst").write_text("never read to the end")
    (tmp_path / "after.md").write_text("The grinder burrs are replaced every two years.")
    (tmp_path / "other.md").write_text("The café opens at 7 a.m.")
    settings = _settings(tmp_path, max_file_seconds=0.5)
    reports = []
    batch = threading.Thread(target=lambda: reports.append(ingest_paths(
        [tmp_path / "stuck.rst", tmp_path / "after.md"], settings, model=HashingEmbeddings())))
    batch.start()
    assert stuck.wait(timeout=120)
    second = ingest_paths([tmp_path / "other.md"], settings, model=HashingEmbeddings(),
                          wait_s=120)
    batch.join(timeout=120)
    assert second.exit_code == 0
    (report,) = reports
    assert [(Path(f.path).name, f.error.split(":")[0]) for f in report.failed] == [
        ("stuck.rst", "over the time limit")]
    assert report.files_loaded == 1 and _stored(settings, "after.md")

