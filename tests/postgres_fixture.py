"""The session's PostgreSQL (tests/postgres_server.py, as `make postgres`): started once in
a temporary folder, stopped at the end; DOCENT_TEST_DATABASE_URL names a server of your own
instead (its database gets tables named docent_…)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import postgres_server


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    given = os.environ.get("DOCENT_TEST_DATABASE_URL")
    if given:
        yield given
        return
    # not under pytest's basetemp: other pytest runs of this user reset it to 0700, and the
    # server runs as another user (docent-pg) when we are root
    folder = Path(tempfile.mkdtemp(prefix="docent-postgres-"))
    try:
        url = postgres_server.start(folder)
    except postgres_server.PostgresUnavailable as exc:
        pytest.fail(f"cannot start the test PostgreSQL: {exc}")
    try:
        yield url
    finally:
        postgres_server.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)
