"""What a worker of the shared ingest queue says on stderr (ingest/workers.py,
ingest/progress.py), through real `python -m app ingest` processes on a real PostgreSQL:
one line per file it finished, then its share of the queue's work against its peers'."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from core.index.postgres.jobs import Share
from ingest.progress import shares_line
from tests.helpers import SAMPLE_DATA
from tests.test_postgres_workers import _collection, _worker

SHARES = re.compile(r"^docent: ingest: queue empty: this worker (\d+) files \((\d+) chunks "
                    r"written(?:, (\d+) failed)?\); meanwhile (\d+) other workers? (\d+) files "
                    r"\((\d+) chunks written(?:, (\d+) failed)?\)$")


def test_each_worker_says_what_it_did_and_its_share(database_url: str,
                                                    tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE_DATA, folder)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    collection = _collection()
    # both wait at their first file for the other, so each takes a share
    workers = [_worker(database_url, collection, folder, tmp_path, name) for name in "ab"]
    runs = []
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        report = json.loads(out)
        assert worker.returncode == (1 if report["failed"] else 0), err[-2000:]
        runs.append((report, err.splitlines()))

    done: dict[str, str] = {}
    shares = []
    for report, lines in runs:
        files = [line.removeprefix("docent: ingest: ") for line in lines
                 if line.startswith(f"docent: ingest: {folder}")]
        assert len(files) == report["files"] > 0  # a line per file it did
        done |= dict(line.split(": ", 1) for line in files)
        match = SHARES.match(lines[-1])
        assert match, lines[-1]
        shares.append([int(group or 0) for group in match.groups()])
    assert sorted(done) == sorted(str(path) for path in folder.iterdir())  # each once
    assert done[str(folder / "broken.pdf")].startswith("failed: ")
    assert done[str(folder / "menu.csv")].startswith("chunks ")
    assert "added" in done[str(folder / "menu.csv")]

    (a_files, a_written, a_failed, a_peers, a_their_files, a_their_written,
     a_their_failed), b = shares
    # each saw the other's share as the other counted it
    assert [a_peers, a_their_files, a_their_written, a_their_failed] == [1, *b[:3]]
    assert [b[3], *b[4:]] == [1, a_files, a_written, a_failed]
    assert a_files + b[0] == 6 and a_failed + b[2] == 1
    assert a_written + b[1] == sum(report["added"] for report, _ in runs)


def test_a_lone_worker_says_no_other_took_any() -> None:
    assert shares_line(Share(1, 5, 11, 0), Share()) == (
        "queue empty: this worker 5 files (11 chunks written); "
        "meanwhile no other worker took any")
    assert shares_line(Share(1, 2, 3, 1), Share(2, 4, 9, 0)) == (
        "queue empty: this worker 2 files (3 chunks written, 1 failed); "
        "meanwhile 2 other workers 4 files (9 chunks written)")
