"""pg_search's segments merged after a large ingest (core/index/postgres/maintenance.py) on
a real PostgreSQL: by a queue worker once its queue is empty, by `--reindex` before the
switch, never per file, never blocking on a rebuild already under way, and a failure one
warning line. Segments are counted (`paradedb.index_info`), never timed."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.errors import DocentError
from core.index.backend import Chunk
from core.index.generation import read_generations
from core.index.postgres import maintenance
from core.index.postgres.backend import PostgresBackend, keyword_index_name
from core.index.postgres.connection import connect
from core.index.postgres.lock import advisory_lock
from core.index.postgres.maintenance import (
    MERGE_AFTER_CHUNKS,
    merge_after_ingest,
    merge_segments,
    segment_count,
)
from core.settings import Settings
from ingest import pipeline
from ingest.pipeline import ingest_paths
from ingest.workers import ingest_shared
from tests.fakes import HashingEmbeddings
from tests.helpers import SAMPLE_DATA, reset_caches

DIMENSIONS = 256  # HashingEmbeddings'
# how long the test's waiter for the ingest lock waits before it fails (a bound, not a
# figure: it gets the lock as soon as the ingest ends)
WAITER_S = 30


def _settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, database_url=database_url,
                    collection=f"merge-{uuid.uuid4().hex[:8]}", embedding_model="test:hashing")


def _write_many(database_url: str, generation: str, chunks: int = 10_000,
                per_write: int = 250) -> None:
    """`chunks` chunks of paragraph-sized random tokens, `per_write` to a transaction as
    an ingest writes them: 10,000 left 6 to 9 segments (maintenance's docstring)."""
    words = [f"w{i}" for i in range(5_000)]
    draw = random.Random(7)
    backend = PostgresBackend(database_url, generation)
    try:
        backend.create_generation(generation, DIMENSIONS)
        vector = [1.0] + [0.0] * (DIMENSIONS - 1)
        for first in range(0, chunks, per_write):
            backend.add_chunks(generation, [
                Chunk(f"bulk-{i}", "text", vector, draw.choices(words, k=150),
                      {"source": "bulk"}) for i in range(first, first + per_write)], [])
    finally:
        backend.close()


@pytest.fixture
def threshold(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, bool]]]:
    """Every ingest that writes calls for a merge; yields (generation, live) of each."""
    merges: list[tuple[str, bool]] = []
    merge = maintenance.merge_segments

    def counted(url: str, generation: str, *, live: bool = True) -> bool:
        merges.append((generation, live))
        return merge(url, generation, live=live)

    monkeypatch.setattr(maintenance, "MERGE_AFTER_CHUNKS", 1)
    monkeypatch.setattr(maintenance, "merge_segments", counted)
    yield merges


def test_a_worker_merges_the_segments_once_its_queue_is_empty(
        database_url: str, data_dir: Path, threshold: list[tuple[str, bool]]) -> None:
    settings = _settings(database_url, data_dir)
    generation = read_generations(settings).active
    _write_many(database_url, generation)
    before = segment_count(database_url, generation)
    assert before is not None and before > 2

    report = ingest_shared([SAMPLE_DATA], settings, model=HashingEmbeddings())
    assert report.files == 5 and report.added > 0 and not report.warnings
    after = segment_count(database_url, generation)
    assert after is not None and after < before and after <= 4  # as a fresh build
    assert threshold == [(generation, True)]  # once, not per file


def test_reindex_merges_the_new_generation_before_the_switch(
        database_url: str, data_dir: Path, threshold: list[tuple[str, bool]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(database_url, data_dir)
    model = HashingEmbeddings()
    ingest_paths([SAMPLE_DATA], settings, model=model)
    serving = []
    merge = maintenance.merge_segments

    def note_live(url: str, generation: str, *, live: bool = True) -> bool:
        serving.append(read_generations(settings).active)
        return merge(url, generation, live=live)

    monkeypatch.setattr(maintenance, "merge_segments", note_live)
    ingest_paths([SAMPLE_DATA], settings, reindex=True, model=model)
    new = read_generations(settings).active
    # the new one rebuilt while the old one still served, so not concurrently
    assert threshold == [(settings.collection, True), (new, False)]
    assert serving == [settings.collection]
    assert segment_count(database_url, new) == 1


def test_a_small_ingest_merges_nothing(database_url: str, data_dir: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    merges: list[str] = []
    monkeypatch.setattr(maintenance, "merge_segments", lambda url, generation, live: bool(
        merges.append(generation)))
    report = ingest_shared([SAMPLE_DATA], _settings(database_url, data_dir),
                           model=HashingEmbeddings())
    assert 0 < report.written < MERGE_AFTER_CHUNKS and merges == []


@pytest.mark.parametrize("reindex", [False, True])
def test_a_process_waiting_for_the_ingest_lock_is_not_waited_for(
        database_url: str, data_dir: Path, threshold: list[tuple[str, bool]],
        monkeypatch: pytest.MonkeyPatch, reindex: bool) -> None:
    """A rebuild CONCURRENTLY waits for every older transaction: run under the ingest lock
    it waited for a worker (or a `--reindex`) waiting for that lock, until the waiter's
    lock_timeout failed it."""
    settings = _settings(database_url, data_dir)
    model = HashingEmbeddings()
    if reindex:
        ingest_paths([SAMPLE_DATA], settings, model=model)
    outcome: list[str] = []

    def wait_for_the_lock() -> None:
        try:
            with advisory_lock(database_url, settings.collection, WAITER_S, shared=reindex):
                outcome.append("got it")
        except DocentError as exc:
            outcome.append(str(exc))

    waiter = threading.Thread(target=wait_for_the_lock)
    sync = pipeline.sync_sentence_index

    def then_a_waiter(*args: Any, **kwargs: Any) -> None:  # under the ingest lock
        sync(*args, **kwargs)
        waiter.start()
        with connect(database_url) as db:
            while db.execute("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                             "AND NOT granted").fetchone() is None:
                time.sleep(0.05)

    monkeypatch.setattr(pipeline, "sync_sentence_index", then_a_waiter)
    ingest_paths([SAMPLE_DATA], settings, reindex=reindex, model=model)
    waiter.join()
    assert outcome == ["got it"]
    assert [live for _, live in threshold] == ([True, False] if reindex else [True])


def test_a_rebuild_under_way_elsewhere_is_not_waited_for(database_url: str) -> None:
    generation = f"merge-{uuid.uuid4().hex[:8]}"
    _write_many(database_url, generation, chunks=500)
    with connect(database_url) as other:  # another process's rebuild holds the lock
        other.execute("SELECT pg_advisory_lock(hashtext(%s))",
                      (f"docent merge {keyword_index_name(generation)}",))
        assert merge_segments(database_url, generation) is False
    assert merge_segments(database_url, generation) is True
    assert merge_segments(database_url, "merge-never-built") is False


def test_a_rebuild_stopped_by_its_wait_leaves_no_copy_behind(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild CONCURRENTLY that gives up midway leaves an invalid copy of the index,
    which every write would keep updating: the next rebuild drops it first."""
    generation = f"merge-{uuid.uuid4().hex[:8]}"
    _write_many(database_url, generation, chunks=500)
    chunks = keyword_index_name(generation).removesuffix("_bm25")
    monkeypatch.setattr(maintenance, "MERGE_WAIT_S", 1)

    def invalid() -> list[str]:
        with connect(database_url) as db:
            rows = db.execute("SELECT indexrelid::regclass::text FROM pg_index WHERE "
                              "indrelid = %s::regclass AND NOT indisvalid", (chunks,))
            return [row[0] for row in rows.fetchall()]

    with connect(database_url) as writer, writer.transaction():
        # an ingest's write still open: the rebuild's copy exists, then waits for it
        writer.execute(f"DELETE FROM {chunks} WHERE id = 'bulk-0'")
        with pytest.raises(DocentError, match="lock timeout"):
            merge_segments(database_url, generation)
    assert invalid() == [f"{chunks}_bm25_ccnew"]
    assert merge_segments(database_url, generation) is True
    assert invalid() == []


def test_a_failed_merge_is_one_warning_line() -> None:
    unreachable = "postgresql://nobody@127.0.0.1:9/none"
    assert merge_after_ingest(unreachable, "g", MERGE_AFTER_CHUNKS - 1) is None  # not tried
    warning = merge_after_ingest(unreachable, "g", MERGE_AFTER_CHUNKS)
    assert warning is not None and "\n" not in warning
    assert warning.startswith("the keyword index was not merged after the ingest (PostgreSQL")


def test_a_failed_merge_leaves_the_ingest_a_success(
        database_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(maintenance, "MERGE_AFTER_CHUNKS", 1)

    def fails(url: str, generation: str, *, live: bool) -> bool:
        raise DocentError("canceling statement due to lock timeout")

    monkeypatch.setattr(maintenance, "merge_segments", fails)
    reset_caches()
    report = ingest_shared([SAMPLE_DATA], _settings(database_url, data_dir),
                           model=HashingEmbeddings())
    assert report.exit_code == 0 and report.added > 0
    assert [w.error for w in report.warnings] == [
        "the keyword index was not merged after the ingest "
        "(canceling statement due to lock timeout)"]
