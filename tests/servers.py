"""Servers for tests: a real server subprocess (started, awaited, stopped) and in-process
HTTP servers served from a thread."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import HTTPServer
from pathlib import Path

from tests.helpers import ROOT, free_port


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


@contextmanager
def llama_cpp_server(gguf: Path, alias: str, log_path: Path, *, n_ctx: int,
                     threads: int = 2, timeout: float = 120) -> Iterator[str]:
    """llama.cpp's OpenAI-compatible server (`python -m llama_cpp.server`) over `gguf` on
    127.0.0.1, its log in a file (llama.cpp's chatter would fill a pipe); yields its /v1 URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/v1"
    with running_server([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
                         "--model_alias", alias, "--host", "127.0.0.1", "--port", str(port),
                         "--n_ctx", str(n_ctx), "--n_threads", str(threads)],
                        f"{base}/models", log_path, timeout=timeout):
        yield base


LANGGRAPH = Path(sys.executable).parent / "langgraph"


@contextmanager
def langgraph_dev(tmp_path: Path, **extra_env: str) -> Iterator[str]:
    """`langgraph dev` on a free port over an empty data dir, stopped afterwards.

    Langfuse keys of the calling shell are dropped; `extra_env` may set them.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANGFUSE_")}
    env.update({"DOCENT_DATA_DIR": str(tmp_path / "docent-data"),
                "DOCENT_ANSWER_CACHE": "false", "HF_HUB_OFFLINE": "1",
                "LANGGRAPH_CLI_NO_ANALYTICS": "1", "LANGGRAPH_NO_VERSION_CHECK": "1",
                "LANGSMITH_TRACING": "false", **extra_env})
    base = f"http://127.0.0.1:{port}"
    with running_server(
        [str(LANGGRAPH), "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1",
         "--port", str(port)],
        f"{base}/ok", tmp_path / "langgraph-dev.log", timeout=120, cwd=ROOT, env=env,
    ):
        yield base
