"""`docent serve`: the app on uvicorn, bound to 127.0.0.1 unless another address is asked
(then only with DOCENT_API_KEY set)."""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Sequence
from types import FrameType

from core.errors import DocentError
from core.resources import Resources

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# a request still running at SIGTERM (an answer, an ingest) gets this long before it is
# cancelled: uvicorn's default waits for it however long it takes
SHUTDOWN_GRACE_S = 2


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the URL is printed: a taken port is one line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise DocentError(f"cannot listen on {host}:{port}: {reason} (another --port?)"
                          ) from None


def _exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def serve(resources: Resources, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          extra_hosts: Sequence[str] = ()) -> int:
    """Serve until SIGTERM or Ctrl-C; `extra_hosts`: more Host names to answer to
    (--allowed-host, e.g. host.docker.internal for Open WebUI in Docker)."""
    import uvicorn

    from app.remote_ask import announced
    from app.server.factory import create_app
    from app.server.security import EVERY_INTERFACE, allowed_hosts, bind_refusal, is_loopback

    api_key = resources.settings.api_key
    if refusal := bind_refusal(host, api_key):
        raise DocentError(refusal)
    sock = listen(host, port)
    app = create_app(resources, allowed_hosts=allowed_hosts(host, extra_hosts))
    shown = f"[{host}]" if ":" in host else host
    if not is_loopback(host):
        print(f"docent: warning: serving on {host}: other machines can reach this server "
              "(the API key is required)", file=sys.stderr, flush=True)
    print(f"docent: serving on http://{shown}:{port}/ (OpenAI API: http://{shown}:{port}/v1, "
          f"model 'docent'){'; API key required' if api_key else ''}", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", server_header=False,
                                           proxy_headers=False,
                                           timeout_graceful_shutdown=SHUTDOWN_GRACE_S))
    local = "127.0.0.1" if host in EVERY_INTERFACE else shown
    with announced(resources.settings.data_dir, f"http://{local}:{port}"):  # for `docent ask`
        # uvicorn re-raises SIGTERM after its graceful shutdown: exit through the `with`
        signal.signal(signal.SIGTERM, _exit)
        server.run(sockets=[sock])
    return 0
