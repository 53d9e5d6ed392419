"""The ingest job queue, so that several ingest workers (on one machine or several) share a
folder: one row per file to ingest in `docent_jobs`, claimed `FOR UPDATE SKIP LOCKED`.

A worker holds its job's row lock in a transaction open while it reads, embeds and writes
the file, and deletes the row in that transaction when done: a worker that dies (kill -9,
out of memory, its machine gone) loses its connection, the server rolls the transaction
back, and the row is free for another worker. `docent_job_tries` counts, on another
connection (the row itself is locked), the tries that never came back, so a file that
kills every worker that reads it is given up after `MAX_TRIES` instead of killing them all.
A row is work still to do: done and given-up jobs leave the table (the worker's report
says what became of them), and enqueueing a file that is already waiting adds nothing.
`docent_jobs_done` counts them instead, one row per job in the transaction that deletes
it, so that each worker can tell its share of the work from its peers'.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.index.postgres.connection import connect, create_schema, database_error

if TYPE_CHECKING:
    import psycopg

SCHEMA = """
CREATE TABLE IF NOT EXISTS docent_jobs (
    id bigserial PRIMARY KEY, collection text NOT NULL, source text NOT NULL,
    path text NOT NULL, enqueued_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (collection, source));
CREATE TABLE IF NOT EXISTS docent_job_tries (job_id bigint PRIMARY KEY, tries int NOT NULL);
CREATE TABLE IF NOT EXISTS docent_jobs_done (collection text NOT NULL, worker text NOT NULL,
    written int NOT NULL, failed boolean NOT NULL, done_at timestamptz NOT NULL);
"""
# how long done jobs are counted: a worker's totals are of the jobs done while it ran,
# and a run longer than this (1M chunks at 9 a second take 31 h here) is not expected
DONE_KEPT = "7 days"
# a file that took down this many workers is given up: one death can be bad luck (the
# machine's memory was short), three in a row is the file
MAX_TRIES = 3
# the session that claims and holds jobs: never ended for idling in its transaction (a
# big file takes minutes) nor its wait for other workers' jobs cut short, whatever the
# server's defaults; and a vanished machine's connection dropped by the server within
# about a minute (keepalive after 30 s idle, then 3 probes 10 s apart), freeing its job
HELD_SESSION = {"idle_in_transaction_session_timeout": "0", "statement_timeout": "0",
                "lock_timeout": "0", "tcp_keepalives_idle": "30",
                "tcp_keepalives_interval": "10", "tcp_keepalives_count": "3"}


@dataclass(frozen=True)
class Share:
    """Jobs done by some workers: files, chunks they wrote (added, updated or deleted) and
    files that failed."""

    workers: int = 0
    files: int = 0
    written: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Job:
    """A file to ingest: its path as the worker that enqueued it saw it (every worker
    must see the folder at the same path), its `source`, and how many times it has been
    claimed, this time included."""

    id: int
    source: str
    path: str
    tries: int


class JobQueue:
    """Collection `collection`'s queue in the database at `url`."""

    def __init__(self, url: str, collection: str) -> None:
        self.url, self.collection = url, collection
        # the held connection claims and holds jobs; the other counts tries, which must
        # commit while the job's row stays locked
        self._held = connect(url)
        self._tries: psycopg.Connection | None = None
        self.worker = uuid.uuid4().hex
        try:
            self._tries = connect(url)
            with self._errors():
                for name, value in HELD_SESSION.items():
                    self._held.execute("SELECT set_config(%s, %s, false)", (name, value))
                create_schema(self._held, SCHEMA)
                self._held.execute("DELETE FROM docent_jobs_done WHERE done_at < "
                                   "now() - %s::interval", (DONE_KEPT,))
                row = self._held.execute("SELECT clock_timestamp()").fetchone()
                self.started = row[0] if row else None
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._held.close()
        if self._tries is not None:
            self._tries.close()

    def __enter__(self) -> JobQueue:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """A database error as one line naming DOCENT_DATABASE_URL."""
        import psycopg

        try:
            yield
        except psycopg.Error as exc:
            raise database_error(self.url, exc) from None

    def enqueue(self, files: Iterable[tuple[str, str]]) -> int:
        """Add (source, path) pairs; a source already waiting is not added again. Returns
        how many were added."""
        pairs = sorted(dict(files).items())
        sources, paths = [source for source, _ in pairs], [path for _, path in pairs]
        with self._errors():
            # one statement, in source order: two workers enqueueing the same folder at
            # once then wait for each other's rows in the same order, never in a cycle
            added = self._held.execute(
                "INSERT INTO docent_jobs (collection, source, path) "
                "SELECT %s, source, path FROM unnest(%s::text[], %s::text[]) "
                "AS t(source, path) ORDER BY source ON CONFLICT DO NOTHING",
                (self.collection, sources, paths))
            return added.rowcount

    def work(self, do: Callable[[Job], None], give_up: Callable[[Job], None]) -> None:
        """Claim jobs one by one and `do` each until none is left, waiting for those other
        workers hold (one may die and leave its job). A job whose worker died `MAX_TRIES`
        times goes to `give_up` instead. An exception from `do` leaves the job for another
        worker, uncounted (the worker lived to say why), and stops this one."""
        while True:
            # the job's row stays locked from its claim to the end of this transaction
            with self._errors(), self._held.transaction():
                job = self._claim()
                if job is not None:
                    self._finish(job, do, give_up)
            if job is None and not self._wait_for_others():
                return

    def note_done(self, written: int, failed: bool) -> None:
        """Count the job being done (call it from `work`'s `do` or `give_up`: the count
        commits with the job's delete, so a worker that dies first counts nothing)."""
        with self._errors():
            self._held.execute(
                "INSERT INTO docent_jobs_done (collection, worker, written, failed, done_at) "
                "VALUES (%s, %s, %s, %s, clock_timestamp())",
                (self.collection, self.worker, written, failed))

    def shares(self) -> tuple[Share, Share]:
        """The jobs done since this queue was opened: by this worker, and by the others."""
        with self._errors():
            rows = self._held.execute(
                "SELECT mine, count(DISTINCT worker), count(*), sum(written), "
                "count(*) FILTER (WHERE failed) FROM (SELECT worker = %s AS mine, * "
                "FROM docent_jobs_done WHERE collection = %s AND done_at >= %s) AS done "
                "GROUP BY mine", (self.worker, self.collection, self.started)).fetchall()
        found = {row[0]: Share(*(int(figure) for figure in row[1:])) for row in rows}
        return found.get(True, Share()), found.get(False, Share())

    def _claim(self) -> Job | None:
        """Lock the next free job and count this try (in the held connection's
        transaction)."""
        row = self._held.execute(
            "SELECT id, source, path FROM docent_jobs WHERE collection = %s "
            "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED", (self.collection,)).fetchone()
        if row is None:
            return None
        return Job(row[0], row[1], row[2], self._count_try(row[0], 1))

    def _finish(self, job: Job, do: Callable[[Job], None], give_up: Callable[[Job], None]
                ) -> None:
        """Do or give up the claimed `job`, then delete it with its count of tries."""
        if job.tries > MAX_TRIES:
            give_up(job)
        else:
            try:
                do(job)
            except BaseException:
                with suppress(Exception):  # the original error is the one to show
                    self._count_try(job.id, -1)
                raise
        self._held.execute("DELETE FROM docent_jobs WHERE id = %s", (job.id,))
        self._held.execute("DELETE FROM docent_job_tries WHERE job_id = %s", (job.id,))

    def _count_try(self, job_id: int, step: int) -> int:
        """Add `step` to the job's tries, committed at once; returns the new count."""
        assert self._tries is not None  # opened with the queue
        row = self._tries.execute(
            "INSERT INTO docent_job_tries AS t (job_id, tries) VALUES (%s, %s) "
            "ON CONFLICT (job_id) DO UPDATE SET tries = t.tries + EXCLUDED.tries "
            "RETURNING tries", (job_id, step)).fetchone()
        return row[0] if row else step

    def _wait_for_others(self) -> bool:
        """Whether jobs are left that other workers hold; if so, return once one of them
        is free again (done, or its worker died)."""
        with self._errors(), self._held.transaction():
            # without SKIP LOCKED this blocks on a held row until its worker's
            # transaction ends; a row deleted meanwhile moves it on to the next one
            row = self._held.execute(
                "SELECT id FROM docent_jobs WHERE collection = %s ORDER BY id LIMIT 1 "
                "FOR UPDATE", (self.collection,)).fetchone()
        return row is not None
