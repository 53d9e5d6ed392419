"""What keeps a local server local: the API key and the same-origin rule (FastAPI
dependencies of every router), the Host check (Starlette's TrustedHostMiddleware, names
from `allowed_hosts`), and, as one small ASGI middleware for what Starlette has no
equivalent of, the request size cap, the security headers and the last resort that turns
an unforeseen failure into one line instead of a 500 and a traceback.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import socket
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request

from app.server.errors import BodyTooLarge, Refused, error_payload

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
EVERY_INTERFACE = ("0.0.0.0", "::")
KEY_COOKIE = "docent_key"
UPLOAD_PATH = "/api/documents/upload"
# a chat request with a long history is tens of KB; 1 MiB leaves room and stops floods
REQUEST_CAP_BYTES = 1024 * 1024
# what a page on another site may POST without the browser asking first (CORS "simple")
SIMPLE_CONTENT_TYPES = frozenset({"", "text/plain", "application/x-www-form-urlencoded",
                                  "multipart/form-data"})
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    # not "no-referrer": under it Chromium sends `Origin: null` on the page's own form posts
    # (the key form), which the same-origin rule must refuse; other sites still get nothing
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
    # the page fetches nothing from elsewhere; the browser enforces it too
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data: blob:; frame-src 'self'; "
     b"object-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"),
]


def has_key(request: Request) -> bool:
    """Whether the request carries the server's key (as a Bearer token or the cookie);
    True when no key is set."""
    key = request.app.state.settings.api_key
    if not key:
        return True
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    sent = token.strip() if scheme.lower() == "bearer" else request.cookies.get(KEY_COOKIE, "")
    return hmac.compare_digest(sent.encode(), key.encode())


def require_key(request: Request) -> None:
    """Dependency of every route but /health, /login, /static/login.css and the page."""
    if not has_key(request):
        raise Refused(401, "Incorrect API key: send DOCENT_API_KEY as "
                      "'Authorization: Bearer KEY'", "invalid_api_key")


def same_origin(request: Request) -> None:
    """Dependency of every route: a request a page of another site sent (its `Origin` is
    not this server's, `null` included: a sandboxed frame) is refused, key or not."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise Refused(403, f"requests from another site are refused (Origin {origin})",
                      "cross_origin")


def upload_from_this_site(request: Request) -> None:
    """An upload in a type any page may POST without asking the browser (text/plain, a
    form, none) must come from this server's page (its `Origin`): with no Origin it may be
    a page of another site in a browser that hides it."""
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media in SIMPLE_CONTENT_TYPES and request.headers.get("origin") is None:
        raise Refused(415, f"send the file as content-type application/octet-stream (or its "
                      f"own type), not {media or 'none'}", "unsupported_upload_type")


def request_cap(path: str, max_file_mb: float) -> int:
    """Bytes a request body may hold: an upload up to the ingest file cap, the rest
    REQUEST_CAP_BYTES."""
    if path == UPLOAD_PATH:
        return int(max_file_mb * 1024 * 1024)
    return REQUEST_CAP_BYTES


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_refusal(host: str, api_key: str) -> str | None:
    """Why serving on `host` is refused (another machine could reach it and no key is
    set), or None."""
    if is_loopback(host) or api_key:
        return None
    return f"set DOCENT_API_KEY to serve on {host}: other machines can reach it"


def allowed_hosts(bound: str, extra: Iterable[str] = ()) -> list[str]:
    """The Host names a request may carry (against DNS rebinding): the loopback names, the
    bound address, `extra` (--allowed-host) and, bound to every interface, this machine's
    own names and addresses."""
    names = set(LOCAL_HOSTS) | {f"[{bound}]" if ":" in bound else bound, *extra}
    if bound in EVERY_INTERFACE:
        machine = {socket.gethostname(), socket.getfqdn()}
        for name in list(machine):
            try:
                infos = socket.getaddrinfo(name, None)
            except OSError:  # a host name the resolver does not know
                continue
            machine |= {f"[{info[4][0]}]" if info[0] == socket.AF_INET6 else str(info[4][0])
                        for info in infos}
        names |= machine
    return sorted(name.lower() for name in names if name)


class Limits:
    """The request size cap, the security headers on every response, and the last resort
    (a failure no handler took is one line in OpenAI's shape, logged without traceback)."""

    def __init__(self, app: ASGIApp, *, max_file_mb: float) -> None:
        self.app = app
        self.max_file_mb = max_file_mb

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = request_cap(scope["path"], self.max_file_mb)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > cap):
            await _respond(send, BodyTooLarge(cap))
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        try:
            await self.app(scope, _capped(receive, cap), sending)
        except Exception as exc:
            if not started:
                await _respond(send, exc)
            else:  # the response is under way: the log has the one line
                error_payload(exc)


def _capped(receive: Receive, cap: int) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > cap:
            raise BodyTooLarge(cap)
        return message

    return counted


async def _respond(send: Send, exc: BaseException) -> None:
    status, payload = error_payload(exc)
    body = json.dumps(payload, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})
