"""`ask` through a running `docent serve` of the same data directory.

The server holds the model, the store and the indexes in memory, so `ask` in a new process
needs neither LangChain nor the model: it posts the question and streams the answer. A cold
`ask` in-process spends most of its time importing and loading (bench/generate.py).
`serve` announces itself in `<data dir>/serve.json`; a stale file (its process gone, its
port closed) is ignored and the question is answered in-process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from core.errors import DocentError

SERVER_FILE = "serve.json"
CONNECT_TIMEOUT_S = 2.0


@contextmanager
def announced(data_dir: Path, url: str) -> Iterator[None]:
    """While the block runs, `serve.json` in `data_dir` names this process's server."""
    path = data_dir / SERVER_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"url": url, "pid": os.getpid()}), encoding="utf-8")
    try:
        yield
    finally:
        with suppress(OSError, ValueError):
            if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
                path.unlink()


def running_server(data_dir: Path) -> str | None:
    """The URL of the server announced in `data_dir` when its process is alive."""
    try:
        announced_by = json.loads((data_dir / SERVER_FILE).read_text(encoding="utf-8"))
        url, pid = str(announced_by["url"]), int(announced_by["pid"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return url


def ask_remote(url: str, question: str, stream: IO[str] | None, *, api_key: str | None,
               k: int | None = None, search_type: str | None = None) -> dict[str, Any] | None:
    """The server's result for `question`, its tokens written to `stream` as they come;
    None when the server cannot be reached (the caller answers in-process)."""
    import http.client

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80,
                                            timeout=CONNECT_TIMEOUT_S)
    body = json.dumps({"question": question, "k": k, "search_type": search_type})
    headers = {"content-type": "application/json", "accept": "text/event-stream"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    try:
        connection.request("POST", "/api/ask", body=body.encode("utf-8"), headers=headers)
        response = connection.getresponse()
    except OSError:
        return None
    if connection.sock is not None:
        connection.sock.settimeout(None)  # a long answer is no dead server
    if response.status != 200:
        raise DocentError(f"the running docent server at {url} refused the question "
                          f"(HTTP {response.status}: {_error_text(response.read())})")
    try:
        for line in response:
            if not line.startswith(b"data: "):
                continue
            event = json.loads(line[6:])
            if "token" in event and stream is not None:
                stream.write(event["token"])
                stream.flush()
            elif "error" in event:
                raise DocentError(event["error"])
            elif "result" in event:
                return dict(event["result"])
    finally:
        connection.close()
    raise DocentError(f"the running docent server at {url} closed the answer early")


def _error_text(body: bytes) -> str:
    with suppress(ValueError, AttributeError, KeyError):
        return str(json.loads(body)["error"]["message"])
    return body.decode("utf-8", "replace")[:200]
