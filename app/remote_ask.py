"""`ask` through a running `docent serve` of the same data directory.

The server holds the model, the store and the indexes in memory, so `ask` in a new process
needs neither LangChain nor the model: it posts the question and prints the checked answer. A cold
`ask` in-process spends most of its time importing and loading (bench/generate.py).
`serve` announces itself in `<data dir>/serve.json`; a stale file (its process gone, its
port closed) is ignored and the question is answered in-process.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import DocentError

if TYPE_CHECKING:
    from graphs.ask_options import Question

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


def ask_remote(url: str, question: Question, *, api_key: str | None) -> dict[str, Any] | None:
    """The server's answer to `question` (as `Answer.model_dump()` gives it); None when the
    server cannot be reached or will not take this process's key (the caller answers
    in-process)."""
    import httpx
    from httpx_sse import connect_sse

    body = question.model_dump(exclude_none=True)
    headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
    timeout = httpx.Timeout(None, connect=CONNECT_TIMEOUT_S)  # a long answer is no dead server
    try:
        with httpx.Client(timeout=timeout) as client, connect_sse(
                client, "POST", f"{url}/api/ask", json=body, headers=headers) as source:
            status = source.response.status_code
            if status == 401:
                print(f"docent: note: the server at {url} needs DOCENT_API_KEY (set it in "
                      "the environment or .env); answering here instead", file=sys.stderr)
                return None
            if status != 200:
                raise DocentError(f"the running docent server at {url} refused the question "
                                  f"(HTTP {status}: {_error_text(source.response.read())})")
            for event in source.iter_sse():
                data = json.loads(event.data)
                if "error" in data:
                    raise DocentError(data["error"])
                if "result" in data:
                    return dict(data["result"])
    except httpx.TransportError:
        return None
    raise DocentError(f"the running docent server at {url} closed the answer early")


def _error_text(body: bytes) -> str:
    with suppress(ValueError, AttributeError, KeyError, TypeError):
        return str(json.loads(body)["error"]["message"])
    return body.decode("utf-8", "replace")[:200]
