"""The idempotency cycle on a real Chroma store with real embeddings."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import DocentError
from core.settings import Settings
from ingest.pipeline import ingest_paths
from tests.helpers import ROOT, SAMPLE_DATA, sentences_in_step, stored_chunks

pytestmark = pytest.mark.slow


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE_DATA, folder)
    return folder


def test_reingest_edit_and_prune(corpus: Path, data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir)
    first = ingest_paths([corpus], settings)
    assert first.failed == [] and first.files == first.files_loaded == 5
    assert first.added == first.chunks > 0
    before = stored_chunks(settings)
    assert len(before) == first.chunks

    again = ingest_paths([corpus], settings)
    assert (again.added, again.deleted, again.skipped) == (0, 0, first.chunks)
    assert stored_chunks(settings) == before

    guide = corpus / "roasting-schedule.md"
    guide.write_text(guide.read_text() + "\n\nNew: we also roast on Sundays in December.\n")
    edited = ingest_paths([corpus], settings)
    after = stored_chunks(settings)
    changed = {i for i, (src, _) in after.items() if src == str(guide.resolve())}
    assert edited.added == len(changed) and edited.deleted >= 1
    untouched = {i: v for i, v in before.items() if v[0] != str(guide.resolve())}
    assert {i: after[i] for i in untouched} == untouched
    assert any("Sundays in December" in text for _, text in after.values())
    assert sentences_in_step(settings)

    (corpus / "menu.csv").unlink()
    kept = ingest_paths([corpus], settings)
    assert kept.deleted == 0, "without --prune nothing is removed"
    pruned = ingest_paths([corpus], settings, prune=True)
    assert pruned.deleted == 5
    assert not any(src.endswith("menu.csv") for src, _ in stored_chunks(settings).values())
    assert sentences_in_step(settings)


def test_bad_files_fail_alone_and_leave_the_store_untouched(corpus: Path, data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir)
    ingest_paths([corpus], settings)
    before = stored_chunks(settings)
    (corpus / "handbook.pdf").write_bytes(b"%PDF-1.4 truncated")
    (corpus / "fake.txt").write_bytes(b"\x00\x01\x02" * 100)
    report = ingest_paths([corpus], settings)
    assert sorted(Path(f.path).name for f in report.failed) == ["fake.txt", "handbook.pdf"]
    assert report.exit_code == 1
    assert stored_chunks(settings) == before, "a failed file keeps its old chunks"


def test_changed_embedding_settings_need_reindex(corpus: Path, data_dir: Path) -> None:
    ingest_paths([corpus], Settings(data_dir=data_dir))
    changed = Settings(data_dir=data_dir, chunk_size=400, chunk_overlap=50)
    with pytest.raises(DocentError, match="--reindex"):
        ingest_paths([corpus], changed)
    rebuilt = ingest_paths([corpus], changed, reindex=True)
    stored = stored_chunks(changed)
    assert rebuilt.added == len(stored) == rebuilt.chunks
    assert max(len(text) for _, text in stored.values()) <= 400
    assert sentences_in_step(changed)  # the old chunks' sentences went with them


def test_cli_ingest_json_report_and_exit_codes(corpus: Path, data_dir: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "app", "ingest", *args, "--json"],
                              capture_output=True, text=True, cwd=ROOT)

    ok = run(str(corpus))
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert {"added", "updated", "skipped", "deleted", "failed"} <= report.keys()
    assert report["added"] > 0 and report["failed"] == []

    empty = corpus / "empty.md"
    empty.write_text("")
    partial = run(str(corpus))
    assert partial.returncode == 1
    assert json.loads(partial.stdout)["failed"] == [{"path": str(empty), "error": "empty file"}]

    nothing = run(str(empty))
    assert nothing.returncode == 2

    missing = run(str(corpus / "nope"))
    assert missing.returncode == 2
    assert json.loads(missing.stdout)["failed"] == [
        {"path": str(corpus / "nope"), "error": "no such file or directory"}]
    assert "Traceback" not in missing.stderr

    (corpus / "slides.ppt").write_bytes(b"\xd0\xcf\x11\xe0")
    named = json.loads(run(str(corpus), str(corpus / "nope")).stdout)
    assert named["skipped_files"] == [{"path": str(corpus / "slides.ppt"),
                                       "error": "unsupported file type '.ppt' (save it as .pptx)"}]
    assert {f["path"] for f in named["failed"]} == {str(empty), str(corpus / "nope")}
