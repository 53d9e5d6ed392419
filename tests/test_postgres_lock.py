"""The ingest lock as a PostgreSQL advisory lock, across two processes on a real server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid

import pytest

from core.errors import DocentError
from core.index.postgres.lock import advisory_lock
from tests.helpers import ROOT

HOLDER = """
import sys
from core.index.postgres.lock import advisory_lock
with advisory_lock(sys.argv[1], sys.argv[2], 10):
    print("held", flush=True)
    sys.stdin.read()
"""


def holder(url: str, collection: str) -> subprocess.Popen[str]:
    """A second process holding the lock until its stdin closes (or it is killed)."""
    process = subprocess.Popen([sys.executable, "-c", HOLDER, url, collection],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                               cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert process.stdout is not None and process.stdout.readline() == "held\n"
    return process


def test_a_second_ingest_waits_then_fails_in_one_line(database_url: str) -> None:
    collection = f"test-{uuid.uuid4().hex[:8]}"
    process = holder(database_url, collection)
    try:
        with pytest.raises(DocentError, match=f"another ingest is running on collection "
                                              f"'{collection}'.*waited 0.5 s"), \
                advisory_lock(database_url, collection, 0.5):
            pass
        with advisory_lock(database_url, f"{collection}-other", 0.5):
            pass  # another collection's lock is free
    finally:
        process.communicate("")
    with advisory_lock(database_url, collection, 0.5):
        pass  # released when the holder finished


def test_a_killed_holder_releases_the_lock(database_url: str) -> None:
    """kill -9 leaves no stale lock: the server ends the dead process's session."""
    collection = f"test-{uuid.uuid4().hex[:8]}"
    process = holder(database_url, collection)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with advisory_lock(database_url, collection, 10):
        pass
