"""`make postgres` / `make postgres-stop` (tests/postgres_server.py as a command): the URL
as the last line, the same server found again, a clean stop, one line for a bad folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.helpers import ROOT
from tests.postgres_server import URL_PREFIX

SCRIPT = str(ROOT / "tests" / "postgres_server.py")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                          timeout=300)


def test_start_prints_the_url_last_and_stop_stops() -> None:
    import psycopg

    # not under pytest's basetemp, which other pytest runs reset to 0700 (the server may
    # run as docent-pg)
    folder = Path(tempfile.mkdtemp(prefix="docent-postgres-cli-"))
    try:
        started = run("start", "--data", str(folder))
        assert started.returncode == 0, started.stderr
        url = started.stdout.splitlines()[-1].removeprefix(URL_PREFIX)
        assert url.startswith("postgresql://postgres@127.0.0.1:")
        with psycopg.connect(url) as connection:
            assert connection.execute("SELECT count(*) FROM pg_available_extensions WHERE "
                                      "name IN ('vector', 'pg_search')").fetchone() == (2,)
        again = run("start", "--data", str(folder))
        assert again.stdout.splitlines()[-1] == started.stdout.splitlines()[-1]
    finally:
        stopped = run("stop", "--data", str(folder))
    assert stopped.stdout.strip() == "stopped"
    assert run("stop", "--data", str(folder)).stdout.startswith("no server running")
    shutil.rmtree(folder)


def test_a_folder_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    failed = run("start", "--data", str(not_a_folder))
    assert failed.returncode == 1 and failed.stdout == ""
    assert failed.stderr == f"postgres: {not_a_folder}: not a folder (PG_DATA names the " \
        "server's folder)\n"
