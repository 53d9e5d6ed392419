"""Servers for tests: a real server subprocess (started, awaited, stopped) and in-process
HTTP servers served from a thread."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import HTTPServer
from pathlib import Path


@contextmanager
def running_server(command: list[str], ready_url: str, log_path: Path, *, timeout: float,
                   **popen: object) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` in its own process group until `ready_url` answers 200; kill it after."""
    import httpx

    with log_path.open("w") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True, **popen)  # type: ignore[call-overload]
        try:
            deadline = time.monotonic() + timeout
            while True:
                assert server.poll() is None, log_path.read_text()
                try:
                    if httpx.get(ready_url, timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"{command[0]} not up in {timeout:.0f} s"
                time.sleep(0.3)
            yield server
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


@contextmanager
def serving(server: HTTPServer) -> Iterator[str]:
    """Serve `server` (bound to 127.0.0.1) from a thread; yield its base URL; shut it down."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
