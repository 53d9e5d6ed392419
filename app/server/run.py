"""`docent serve`: the app on uvicorn, bound to 127.0.0.1 unless another address is asked."""

from __future__ import annotations

import os
import signal
import socket
from types import FrameType

from core.errors import DocentError
from core.resources import Resources

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


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


def serve(resources: Resources, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    import uvicorn

    from app.remote_ask import announced
    from app.server.factory import create_app
    from app.server.security import allowed_hosts

    sock = listen(host, port)
    app = create_app(resources, allowed_hosts=allowed_hosts(host))
    shown = f"[{host}]" if ":" in host else host
    print(f"docent: serving on http://{shown}:{port}/ (OpenAI API: http://{shown}:{port}/v1, "
          f"model 'docent'){'; API key required' if resources.settings.api_key else ''}",
          flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", server_header=False,
                                           proxy_headers=False))
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else shown
    with announced(resources.settings.data_dir, f"http://{local}:{port}"):  # for `docent ask`
        # uvicorn re-raises SIGTERM after its graceful shutdown: exit through the `with`
        signal.signal(signal.SIGTERM, _exit)
        server.run(sockets=[sock])
    return 0
