"""The ingest job queue (core/index/postgres/jobs.py) on a real PostgreSQL, with workers in
real processes doing a stand-in per-file job: shared work, kill -9, a file that kills."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from core.errors import DocentError
from core.index.postgres.connection import connect
from core.index.postgres.jobs import MAX_TRIES, Job, JobQueue
from tests.helpers import ROOT

# a worker process: `pair` waits, at its first job, until two workers hold one each (so
# the test knows they ran at once); `hold` announces its job and never finishes it; `die`
# kills itself on its job
WORKER = """
import os, signal, sys, time
from pathlib import Path
from core.index.postgres.jobs import JobQueue

url, collection, mode, log = sys.argv[1:5]
first = True

def note(line):
    with open(log, "a") as out:
        out.write(f"{os.getpid()} {line}\\n")

def do(job):
    global first
    if mode == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "hold":
        print("holding", job.source, flush=True)
        time.sleep(600)
    if mode == "pair" and first:
        first = False
        Path(f"{log}.{os.getpid()}").touch()
        for _ in range(600):
            if len(list(Path(log).parent.glob(Path(log).name + ".*"))) >= 2:
                break
            time.sleep(0.1)
    note(f"done {job.source} {job.tries}")

with JobQueue(url, collection) as queue:
    queue.work(do, lambda job: note(f"gave-up {job.source} {job.tries}"))
"""


def worker(url: str, collection: str, mode: str, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WORKER, url, collection, mode, str(log)],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def finished(process: subprocess.Popen[str]) -> int:
    process.communicate(timeout=120)
    return process.returncode


def lines(log: Path) -> list[list[str]]:
    """The log's lines as [pid, what, source, tries]."""
    return [line.split() for line in log.read_text().splitlines()] if log.exists() else []


def left(url: str, collection: str) -> int:
    """Jobs still in the queue."""
    with connect(url) as connection:
        row = connection.execute("SELECT count(*) FROM docent_jobs WHERE collection = %s",
                                 (collection,)).fetchone()
    assert row is not None
    return row[0]


def waiting_for_a_job(url: str) -> None:
    """Return once a worker waits for a job another one holds."""
    with connect(url) as connection:
        for _ in range(1200):
            row = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'SELECT id FROM docent_jobs %%FOR UPDATE'").fetchone()
            if row and row[0]:
                return
            time.sleep(0.1)
    raise AssertionError("no worker waited for the held job")


@pytest.fixture
def collection() -> str:
    return f"jobs-{uuid.uuid4().hex[:8]}"


def never(job: Job) -> None:
    raise AssertionError(f"not given up: {job}")


def files(count: int) -> list[tuple[str, str]]:
    return [(f"/docs/{n:02}.txt", f"/docs/{n:02}.txt") for n in range(count)]


def test_two_workers_share_the_jobs_and_do_each_once(database_url: str, collection: str,
                                                     tmp_path: Path) -> None:
    with JobQueue(database_url, collection) as queue:
        assert queue.enqueue(files(20)) == 20
        assert queue.enqueue(files(20)) == 0  # a second ingest of the folder adds nothing
    log = tmp_path / "log"
    workers = [worker(database_url, collection, "pair", log) for _ in range(2)]
    assert [finished(w) for w in workers] == [0, 0]
    done = lines(log)
    assert Counter(source for _, _, source, _ in done) == {s: 1 for s, _ in files(20)}
    assert {pid for pid, *_ in done} == {str(w.pid) for w in workers}
    assert left(database_url, collection) == 0


def test_the_job_of_a_killed_worker_goes_to_another(database_url: str, collection: str,
                                                     tmp_path: Path) -> None:
    with JobQueue(database_url, collection) as queue:
        queue.enqueue(files(1))
    log = tmp_path / "log"
    holder = worker(database_url, collection, "hold", log)
    assert holder.stdout is not None and holder.stdout.readline() == "holding /docs/00.txt\n"
    # the second worker finds the only job held, and waits for it rather than leave
    other = worker(database_url, collection, "finish", log)
    waiting_for_a_job(database_url)
    holder.send_signal(signal.SIGKILL)
    assert finished(holder) == -signal.SIGKILL
    assert finished(other) == 0
    assert lines(log) == [[str(other.pid), "done", "/docs/00.txt", "2"]]
    assert left(database_url, collection) == 0


def test_a_file_that_kills_every_worker_is_given_up(database_url: str, collection: str,
                                                     tmp_path: Path) -> None:
    with JobQueue(database_url, collection) as queue:
        queue.enqueue(files(1))
    log = tmp_path / "log"
    for _ in range(MAX_TRIES):
        assert finished(worker(database_url, collection, "die", log)) == -signal.SIGKILL
    with JobQueue(database_url, collection) as queue:
        queue.enqueue(files(2))  # the next ingest: the poison file is waiting still
    last = worker(database_url, collection, "finish", log)
    assert finished(last) == 0
    assert sorted(lines(log)) == [
        [str(last.pid), "done", "/docs/01.txt", "1"],
        [str(last.pid), "gave-up", "/docs/00.txt", str(MAX_TRIES + 1)]]
    assert left(database_url, collection) == 0


def test_an_error_leaves_the_job_for_another_worker_uncounted(database_url: str,
                                                              collection: str) -> None:
    def fail(job: Job) -> None:
        raise DocentError("disk full")

    seen: list[Job] = []
    with JobQueue(database_url, collection) as queue:
        queue.enqueue(files(1))
        with pytest.raises(DocentError, match="disk full"):
            queue.work(fail, seen.append)
        with pytest.raises(DocentError, match="disk full"):
            queue.work(fail, seen.append)
        queue.work(seen.append, never)
    assert [job.tries for job in seen] == [1]
    assert left(database_url, collection) == 0


def test_queues_of_two_collections_are_apart(database_url: str, collection: str) -> None:
    done: list[str] = []
    with JobQueue(database_url, collection) as queue, \
            JobQueue(database_url, f"{collection}-other") as other:
        queue.enqueue(files(2))
        other.enqueue(files(3))
        queue.work(lambda job: done.append(job.source), never)
        assert done == [source for source, _ in files(2)]
    assert left(database_url, f"{collection}-other") == 3


def test_an_unreachable_database_is_one_line() -> None:
    with pytest.raises(DocentError, match=r"^PostgreSQL postgresql://docent:\*\*\*@127.0.0.1:9/"
                                          r"x \(DOCENT_DATABASE_URL\): "):
        JobQueue("postgresql://docent:secret@127.0.0.1:9/x", "c")
