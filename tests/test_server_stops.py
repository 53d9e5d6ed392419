"""An ingest started through `serve` runs in a child process the server stops: SIGTERM
ends a real `python -m app serve` in the middle of a long ingest (a 4 MB text file, real
embedding model), the child goes with it, and the ingest lock is free afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import ROOT, free_port


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def _wait_for(check: object, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


@pytest.mark.slow
def test_sigterm_stops_serve_and_its_ingest(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("w", encoding="utf-8") as out:
        for n in range(40_000):  # distinct sentences: thousands of chunks to embed
            out.write(f"Record {n}: the kiln number {n * 7 % 997} fired batch {n} at "
                      f"{1000 + n % 300} degrees on shelf {n % 13}.\n")
    port = free_port()
    env = {**os.environ, "DOCENT_DATA_DIR": str(tmp_path / "data"), "DOCENT_API_KEY": "",
           "DOCENT_MAX_FILE_MB": "50", "HF_HUB_OFFLINE": "1"}
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)],
                                  stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        def up() -> bool:
            try:
                return httpx.get(f"{url}/health").status_code == 200
            except httpx.TransportError:
                return False

        _wait_for(up, "serve not up")
        answer: list[object] = []
        poster = threading.Thread(target=lambda: answer.append(_post(url, big)), daemon=True)
        poster.start()
        _wait_for(lambda: _children(server.pid), "no ingest child started")
        [child] = _children(server.pid)
        time.sleep(3)  # well inside the ingest: loading the model and embedding
        assert _alive(child) and poster.is_alive()
        began = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        stopped = time.monotonic() - began
        _wait_for(lambda: not _alive(child), "the ingest child outlived serve", timeout=10)
        print(f"serve stopped {stopped:.2f} s after SIGTERM, mid-ingest")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert "Traceback" not in log.read_text()
    small = tmp_path / "small.md"
    small.write_text("# Kiln\n\nThe kiln fires at 1240 degrees.\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "app", "ingest", "--wait", "0", str(small)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0, done.stderr  # the lock went with the killed child


def _post(url: str, path: Path) -> int:
    try:
        return httpx.post(f"{url}/api/documents/path", json={"path": str(path)},
                          timeout=300).status_code
    except httpx.TransportError:  # the server went away mid-request, as it should
        return -1


@pytest.mark.slow
def test_the_child_ingest_reports_as_the_documents_api_does(tmp_path: Path) -> None:
    """The child gets the server's settings (here: a data dir no environment names)."""
    import asyncio

    from app.server.ingesting import in_child_process
    from core.resources import Resources
    from core.settings import Settings

    small = tmp_path / "kiln.md"
    small.write_text("# Kiln\n\nThe kiln fires at 1240 degrees.\n", encoding="utf-8")
    settings = Settings(_env_file=None, data_dir=tmp_path / "elsewhere", answer_cache=False)
    report = asyncio.run(in_child_process(Resources(settings),
                                          [small, tmp_path / "missing.md"]))
    assert report["added"] == 1 and report["exit_code"] == 1
    assert [p["path"] for p in report["failed"]] == [str(tmp_path / "missing.md")]
    assert "failed: " in report["table"]
    assert (tmp_path / "elsewhere").is_dir()
