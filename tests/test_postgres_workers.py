"""Several ingest workers sharing one folder through the job queue (ingest/workers.py) on a
real PostgreSQL: the report of a shared ingest is that of a plain one, and real
`python -m app ingest` processes, each with a data dir of its own, share the work and
survive kill -9 of one of them with nothing lost or stored twice."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from core.index.postgres.connection import connect
from core.index.postgres.jobs import MAX_TRIES, JobQueue
from core.settings import Settings
from ingest.pipeline import ingest_paths
from ingest.report import IngestReport
from ingest.workers import ingest_shared
from tests.fakes import HashingEmbeddings
from tests.helpers import ROOT, SAMPLE_DATA, reset_caches


def _collection() -> str:
    return f"workers-{uuid.uuid4().hex[:8]}"


def _figures(report: IngestReport) -> dict[str, object]:
    figures = report.to_dict()
    for problems in ("failed", "warnings", "skipped_files"):
        figures[problems] = sorted((p["path"], p["error"]) for p in figures[problems])
    return figures


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE_DATA, folder)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    return folder


def test_a_shared_ingest_reports_as_a_plain_one(database_url: str, data_dir: Path,
                                                corpus: Path) -> None:
    model = HashingEmbeddings()
    # the fake model under a name of its own: the database's embedding cache is keyed by
    # the model's name, and MiniLM's would then hand other tests 256-wide vectors
    shared = Settings(data_dir=data_dir / "shared", database_url=database_url,
                      collection=_collection(), embedding_model="test:hashing")
    plain = Settings(data_dir=data_dir / "plain", database_url=database_url,
                     collection=_collection(), embedding_model="test:hashing")
    first = ingest_shared([corpus], shared, model=model)
    assert first.files == 6 and first.added > 0 and len(first.failed) == 1
    assert _figures(first) == _figures(ingest_paths([corpus], plain, model=model))

    (corpus / "menu.csv").unlink()
    again = ingest_shared([corpus], shared, prune=True, model=model)
    assert again.added == 0 and again.deleted > 0 and again.skipped > 0
    assert _figures(again) == _figures(ingest_paths([corpus], plain, prune=True, model=model))


def test_a_file_that_stopped_workers_is_one_failed_line(database_url: str, data_dir: Path,
                                                        corpus: Path) -> None:
    settings = Settings(data_dir=data_dir, database_url=database_url,
                        collection=_collection(), embedding_model="test:hashing")
    menu = corpus / "menu.csv"
    with JobQueue(database_url, settings.collection) as queue:
        queue.enqueue([(str(menu.resolve()), str(menu))])
    with connect(database_url) as connection:  # as if MAX_TRIES workers died reading it
        connection.execute("INSERT INTO docent_job_tries SELECT id, %s FROM docent_jobs "
                           "WHERE collection = %s", (MAX_TRIES, settings.collection))
    report = ingest_shared([corpus], settings, model=HashingEmbeddings())
    assert [p.path for p in report.failed] == [str(menu), str(corpus / "broken.pdf")]
    assert f"stopped {MAX_TRIES} times" in report.failed[0].error
    assert report.files == 6 and report.files_loaded == 4 and report.exit_code == 1


@pytest.mark.parametrize(("database", "argv", "path"), [
    (True, [], "shared"), (True, ["--reindex"], "single"), (False, [], "single")])
def test_ingest_is_a_queue_worker_with_a_database_but_reindex(
        database: bool, argv: list[str], path: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import main

    taken: list[str] = []

    def single(*args: object, **kwargs: object) -> IngestReport:
        taken.append("single")
        return IngestReport()

    def shared(*args: object, **kwargs: object) -> IngestReport:
        taken.append("shared")
        return IngestReport()

    monkeypatch.setattr("ingest.pipeline.ingest_paths", single)
    monkeypatch.setattr("ingest.workers.ingest_shared", shared)
    monkeypatch.setenv("DOCENT_DATA_DIR", str(tmp_path / "data"))
    if database:
        monkeypatch.setenv("DOCENT_DATABASE_URL", "postgresql://127.0.0.1:9/none")
    else:
        monkeypatch.delenv("DOCENT_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    reset_caches()
    try:
        assert main(["ingest", str(tmp_path), *argv]) == 0
    finally:
        reset_caches()
    assert taken == [path]


# The tests below need the index on PostgreSQL (the pipeline writing through
# core.index.backend.open_backend when DOCENT_DATABASE_URL is set).

# Imported at start-up (sitecustomize on PYTHONPATH): the fake embeddings (the queue and
# the storage are on trial here, not the model) and small batches, so that a file is
# several writes; each worker waits at its first file until two hold one
# (DOCENT_TEST_BARRIER), and one is killed after its Nth write of chunks
# (DOCENT_TEST_KILL_AT), so in the middle of a file some of whose chunks are stored.
HOOK = """
import dataclasses, os, signal, time
from pathlib import Path
import core.embeddings, core.tuning
from tests.fakes import HashingEmbeddings
core.tuning.TUNING = dataclasses.replace(core.tuning.TUNING, embedding_batch=4)
core.embeddings.load_embeddings = lambda model, batch_size: HashingEmbeddings()

barrier = os.environ.get("DOCENT_TEST_BARRIER")
if barrier:
    import ingest.workers
    ingest_items, waited = ingest.workers.ingest_items, []
    def at_barrier(*args, **kwargs):
        if not waited:
            waited.append(True)
            Path(barrier, str(os.getpid())).touch()
            for _ in range(1200):
                if len(list(Path(barrier).iterdir())) >= 2:
                    break
                time.sleep(0.1)
        return ingest_items(*args, **kwargs)
    ingest.workers.ingest_items = at_barrier

kill_at = int(os.environ.get("DOCENT_TEST_KILL_AT", "0"))
if kill_at:
    from core.index.postgres.backend import PostgresBackend
    add_chunks, calls = PostgresBackend.add_chunks, [0]
    def add_then_die(self, *args, **kwargs):
        add_chunks(self, *args, **kwargs)
        calls[0] += 1
        if calls[0] >= kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
    PostgresBackend.add_chunks = add_then_die
"""


def _folder(tmp_path: Path, shared_dir: Path) -> Path:
    """22 files: the sample data and the Debian FAQ's pages."""
    folder = tmp_path / "folder"
    shutil.copytree(SAMPLE_DATA, folder)
    for page in sorted((shared_dir / "docs/html-en/debian-faq").glob("*.html")):
        shutil.copy(page, folder / page.name)
    return folder


def _worker(url: str, collection: str, folder: Path, tmp_path: Path, name: str, *,
            barrier: bool = True, kill_at: int = 0) -> subprocess.Popen[str]:
    """`python -m app ingest FOLDER --json` on the database, with a data dir of its own;
    `barrier`: one of two that wait for each other at their first file."""
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(HOOK)
    (tmp_path / "barrier").mkdir(exist_ok=True)
    env = {**os.environ, "DOCENT_DATABASE_URL": url, "DOCENT_COLLECTION": collection,
           "DOCENT_DATA_DIR": str(tmp_path / f"data-{name}"),
           "DOCENT_EMBEDDING_MODEL": "test:hashing",
           "DOCENT_TEST_BARRIER": str(tmp_path / "barrier") if barrier else "",
           "DOCENT_TEST_KILL_AT": str(kill_at),
           "PYTHONPATH": f"{hook}{os.pathsep}{ROOT}"}
    return subprocess.Popen([sys.executable, "-m", "app", "ingest", str(folder), "--json"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _report(process: subprocess.Popen[str]) -> dict:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-2000:]
    return json.loads(out)


def _stored(url: str, collection: str) -> dict[str, tuple[str, str]]:
    """chunk id → (source, text) of the collection's live generation; records, chunks
    and the count agree."""
    from core.index.backend import open_backend

    settings = Settings(_env_file=None, database_url=url, collection=collection,
                        embedding_model="test:hashing")
    backend = open_backend(settings, HashingEmbeddings())
    generation = backend.generations().active
    ids = sorted(backend.record_manager(generation).list_keys())
    chunks = backend.get_chunks(generation, ids)
    assert len(chunks) == len(ids) == backend.count(generation)
    return {i: (c.metadata["source"], c.page_content)
            for i, c in zip(ids, chunks, strict=True)}


@pytest.mark.slow
def test_two_workers_share_a_folder_and_survive_kill_9_of_one(
        database_url: str, tmp_path: Path, shared_dir: Path) -> None:
    """Each file is stored once, as one worker alone stores it: with both working, then
    with one killed in the middle of a file (its job goes to the other)."""
    folder = _folder(tmp_path, shared_dir)
    alone = _collection()
    _report(_worker(database_url, alone, folder, tmp_path, "alone", barrier=False))
    expected = _stored(database_url, alone)
    assert len({source for source, _ in expected.values()}) == 22

    shared = _collection()
    workers = [_worker(database_url, shared, folder, tmp_path, name) for name in "ab"]
    reports = [_report(worker) for worker in workers]
    assert all(report["files"] > 0 for report in reports)  # both did some
    assert sum(report["files"] for report in reports) == 22
    assert sum(report["added"] for report in reports) == len(expected)
    assert _stored(database_url, shared) == expected

    survived = _collection()
    shutil.rmtree(tmp_path / "barrier")
    killed = _worker(database_url, survived, folder, tmp_path, "killed", kill_at=4)
    other = _worker(database_url, survived, folder, tmp_path, "other")
    killed.communicate(timeout=600)
    assert killed.returncode == -signal.SIGKILL
    assert _report(other)["failed"] == []
    assert _stored(database_url, survived) == expected
    with connect(database_url) as connection:
        row = connection.execute("SELECT count(*) FROM docent_jobs WHERE collection = %s",
                                 (survived,)).fetchone()
    assert row == (0,)
