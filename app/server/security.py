"""What keeps a local server local: the API key, a request size cap, a Host check
against DNS rebinding, a same-origin check on writes, and no CORS.

One pure ASGI middleware, so every route (static files included) passes through it;
only /health and the key form are open without the key.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from app.server.errors import BodyTooLarge, error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/health", "/login"})
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
KEY_COOKIE = "docent_key"
UPLOAD_PATH = "/api/documents/upload"
# a chat request with a long history is tens of KB; 1 MiB leaves room and stops floods
REQUEST_CAP_BYTES = 1024 * 1024
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"SAMEORIGIN"),
    # the page fetches nothing from elsewhere; the browser enforces it too
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data: blob:; frame-src 'self'; "
     b"object-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"),
]


def request_cap(path: str, max_file_mb: float) -> int:
    """Bytes a request body may hold: an upload up to the ingest file cap, the rest
    REQUEST_CAP_BYTES."""
    if path == UPLOAD_PATH:
        return int(max_file_mb * 1024 * 1024)
    return REQUEST_CAP_BYTES


def _host_name(host: str) -> str:
    return host.rsplit(":", 1)[0] if not host.endswith("]") else host


def _error(status: int, message: str, code: str) -> tuple[int, bytes]:
    return status, json.dumps(error_body(message, code)).encode()


class Guard:
    """Checks each HTTP request before the app sees it."""

    def __init__(self, app: ASGIApp, *, api_key: str, allowed_hosts: frozenset[str] | None,
                 max_file_mb: float) -> None:
        self.app = app
        self.api_key = api_key
        self.allowed_hosts = allowed_hosts  # None: any (the user bound a public address)
        self.max_file_mb = max_file_mb

    def _refusal(self, scope: Scope) -> tuple[int, bytes] | None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = _host_name(headers.get("host", ""))
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            return _error(400, f"Host {host!r} is not served here", "invalid_host")
        origin = headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != headers.get("host"):
            return _error(403, "cross-origin requests are refused", "cross_origin")
        if self.api_key and scope["path"] not in OPEN_PATHS and not self._has_key(headers):
            return _error(401, "Incorrect API key: send DOCENT_API_KEY as "
                          "'Authorization: Bearer KEY'", "invalid_api_key")
        length = headers.get("content-length")
        cap = request_cap(scope["path"], self.max_file_mb)
        if length is not None and (not length.isdigit() or int(length) > cap):
            return _error(413, f"request body over {cap} bytes", "request_too_large")
        return None

    def _has_key(self, headers: dict[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(),
                                                                self.api_key.encode()):
            return True
        cookies = dict(part.strip().partition("=")[::2]
                       for part in headers.get("cookie", "").split(";") if "=" in part)
        return hmac.compare_digest(cookies.get(KEY_COOKIE, "").encode(), self.api_key.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None and refusal[0] == 401 and scope["path"] == "/":
            await _redirect(send, "/login")  # a person opening the page: the key form
            return
        if refusal is not None:
            await _respond(send, *refusal)
            return
        await self.app(scope, _capped(receive, request_cap(scope["path"], self.max_file_mb)),
                       _with_headers(send))


def _capped(receive: Receive, cap: int) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > cap:
            raise BodyTooLarge(f"request body over {cap} bytes")
        return message

    return counted


def _with_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
        await send(message)

    return sending


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str) -> None:
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode()), (b"content-length", b"0"),
                            *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": b""})


def allowed_hosts(bound: str) -> frozenset[str] | None:
    """The Host names a request may carry: the local names, plus the bound address; any
    when bound to every interface (the user asked for it)."""
    if bound in ("0.0.0.0", "::"):
        return None
    return LOCAL_HOSTS | {bound}
