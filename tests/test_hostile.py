"""Issue 7's hostile corpus: >100 generated bad inputs into one real store, nothing lost.

Every case ends in one clear error line naming the input, or a successful ingest; the
chunks stored before the batch keep their ids and contents.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.discover import OUTSIDE
from ingest.loaders import LoadError, load_file
from ingest.loaders.ocr import INSTALL as OCR_INSTALL
from ingest.pipeline import ingest_paths
from ingest.web import UrlLimits
from tests.helpers import ROOT, SAMPLE_DATA, stored_chunks
from tests.hostile_corpus import file_cases, url_cases
from tests.http_stub import serve
from tests.office_factory import make_huge_deck
from tests.pdf_factory import make_pdf, make_scanned_pdf

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """One store for the whole module, holding the sample data before any hostile input."""
    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(SAMPLE_DATA, root / "baseline")
    settings = Settings(_env_file=None, data_dir=root / "data", max_file_mb=5)
    assert ingest_paths([root / "baseline"], settings).exit_code == 0
    yield settings


def _check_outcome(name: str, outcome: str, error: str | None, stored: bool) -> None:
    if error is not None:
        assert "\n" not in error and "Traceback" not in error, (name, error)
        assert not stored, f"{name}: failed but has chunks"
    match outcome:
        case "ok" | "ok+warning":
            assert error is None and stored, f"{name}: expected an ingest, got {error!r}"
        case "either":
            assert error is not None or stored, name
        case _:
            assert error is not None and outcome in error, f"{name}: {outcome!r} vs {error!r}"


def test_hostile_corpus_each_case_fails_alone_or_ingests(
    store: Settings, tmp_path: Path
) -> None:
    before = stored_chunks(store)
    corpus = tmp_path / "hostile"
    corpus.mkdir()
    cases = file_cases()
    for case in cases:
        assert case.make is not None
        case.make(corpus / case.name)
    # named on the command line, these are read (and fail); in the folder, only skipped
    direct = [corpus / "no-suffix-given-directly", corpus / "word.doc",
              corpus / "devzero.txt", corpus / "devurandom.md"]
    web = url_cases()
    with serve(pdf=make_pdf(["A PDF served over HTTP.", ""])) as server:
        urls = [case.url if "://" in case.url else server + case.url for case in web]
        started = time.monotonic()
        report = ingest_paths([corpus, *direct, *urls], store,
                              url_limits=UrlLimits(timeout_s=3.0, max_mb=1.0, max_redirects=3))
        elapsed = time.monotonic() - started
    after = stored_chunks(store)

    assert {i: after[i] for i in before} == before, "chunks stored before were changed"
    errors = {failure.path: failure.error for failure in report.failed}
    assert len(errors) == len(report.failed), "one line per failed input"
    sources = {source for source, _ in after.values()}
    warned = {warning.path for warning in report.warnings}
    expected = {str(corpus / c.name): (c.name, c.outcome) for c in cases if c.name != "folder-loop"}
    expected[str(corpus / "folder-loop" / "inside.md")] = ("folder-loop", "ok")
    expected[str(corpus / "loop-b.txt")] = ("loop-b.txt", "cannot read file")
    for path, (name, outcome) in expected.items():
        shown = repr(path)[1:-1] if not path.isprintable() or "\udcff" in path else path
        source = str(Path(path).resolve()) if os.path.exists(path) else path
        _check_outcome(name, outcome, errors.pop(shown, None), source in sources)
        if outcome == "ok+warning":
            assert source in warned, name
    for case, url in zip(web, urls, strict=True):
        _check_outcome(case.name, case.outcome, errors.pop(url, None), url in sources)
    assert errors == {}, f"failures for inputs that are not cases: {errors}"
    skipped = {problem.path: problem.error for problem in report.skipped_files}
    assert skipped == {str(corpus / "devzero.txt"): OUTSIDE, str(corpus / "devurandom.md"): OUTSIDE,
                       str(corpus / "no-suffix-given-directly"): "unsupported file type '(none)'",
                       str(corpus / "word.doc"): "unsupported file type '.doc' (save it as .docx)"}
    assert len(cases) + len(web) >= 100
    assert report.exit_code == 1
    print(f"\nhostile corpus: {len(cases) + len(web)} cases, {len(report.failed)} clear "
          f"errors, {report.files_loaded} ingested, {elapsed:.1f} s")

    again = ingest_paths([corpus, *direct], store)
    assert again.added == 0 and again.deleted == 0, "re-ingesting the corpus changes nothing"
    assert stored_chunks(store) == after


def test_200_mb_text_file_is_refused_without_being_read(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        block = b"a line of a very large text file\n" * 32_768
        while handle.tell() < 200 * 2**20:
            handle.write(block)
    tracemalloc.start()
    with pytest.raises(LoadError, match=r"file too large \(200 MB; DOCENT_MAX_FILE_MB allows 50"):
        load_file(big, Settings(_env_file=None))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2**20, f"{peak} bytes allocated to refuse it"


def test_unreadable_file_and_folder_via_the_cli(tmp_path: Path) -> None:
    """chmod 000 does not stop root: as root the CLI runs without CAP_DAC_OVERRIDE (setpriv)."""
    docs = tmp_path / "docs"
    (docs / "locked-folder").mkdir(parents=True)
    (docs / "readable.md").write_text("The espresso machine is descaled monthly.")
    (docs / "locked.txt").write_text("secret words")
    (docs / "locked-folder" / "inside.md").write_text("never listed")
    (docs / "locked.txt").chmod(0)
    (docs / "locked-folder").chmod(0)
    command = [sys.executable, "-m", "app", "ingest", str(docs)]
    if os.geteuid() == 0:
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *command]
    env = {**os.environ, "DOCENT_DATA_DIR": str(tmp_path / "data")}
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env,
                              timeout=300)
    finally:
        (docs / "locked-folder").chmod(0o755)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    failed = sorted(line for line in done.stdout.splitlines() if line.startswith("failed:"))
    assert failed == [f"failed: {docs / 'locked-folder'}: cannot list folder (permission denied)",
                      f"failed: {docs / 'locked.txt'}: permission denied"]


def test_10000_slide_deck_loads_slide_by_slide_in_bounded_memory(tmp_path: Path) -> None:
    deck = tmp_path / "huge.pptx"
    deck.write_bytes(make_huge_deck(10_000))
    tracemalloc.start()
    docs = load_file(deck, Settings(_env_file=None))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(docs) == 10_000
    assert docs[9_999].metadata["slide"] == 10_000
    assert docs[9_999].page_content == "Slide 10000 of the long deck: item 70000."
    # the documents themselves are ~25 MB under tracemalloc; no slide tree is kept
    assert peak < 80 * 2**20, f"{peak / 2**20:.0f} MB"


def test_scanned_pages_without_ocr_are_counted_with_the_install_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.loaders import pdf

    monkeypatch.setattr(pdf, "ocr_languages", lambda: ())
    store = Settings(_env_file=None, data_dir=tmp_path / "data")
    (tmp_path / "before.md").write_text("Stored before: the roaster is serviced in June.")
    assert ingest_paths([tmp_path / "before.md"], store).exit_code == 0
    before = stored_chunks(store)
    (tmp_path / "scan.pdf").write_bytes(make_scanned_pdf(["A scanned letter."]))
    (tmp_path / "half.pdf").write_bytes(_half_scanned())
    report = ingest_paths([tmp_path / "scan.pdf", tmp_path / "half.pdf"], store)
    assert [(Path(f.path).name, f.error) for f in report.failed] == [(
        "scan.pdf", "PDF has no extractable text on its 1 pages (scanned images need OCR: "
        f"{OCR_INSTALL})")]
    assert [w.error for w in report.warnings] == [
        f"1 of 2 pages have no extractable text (pages 2; 1 are scanned and need OCR: "
        f"{OCR_INSTALL})"]
    after = stored_chunks(store)
    assert {i: after[i] for i in before} == before
    assert any("roaster's warranty" in text for _, text in after.values())


def _half_scanned() -> bytes:
    """Page 1 typed, page 2 a scan."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in (make_pdf(["Typed page about the roaster's warranty."]),
                 make_scanned_pdf(["A scanned second page."])):
        writer.append(PdfReader(io.BytesIO(data)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
