"""A real HTTP server on 127.0.0.1 (http.server in a thread) with well- and ill-behaved routes."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.servers import serving

PAGE = b"""<!doctype html><html><head><title>Roastery FAQ</title>
<style>body{font-family:serif}</style><script>track()</script></head>
<body><nav>Home | Shop | Login</nav>
<main><h1>Questions</h1><p>Beans are roasted every Tuesday at the Busan roastery.</p>
<div class="answer"><p>Decaf is processed with the Swiss water method.</p></div></main>
<footer>All rights reserved</footer></body></html>"""
KOREAN_PAGE = ("<html><head><title>매장 안내</title></head><body><main>"
               "<p>매장은 평일 오전 7시부터 문을 엽니다.</p></main></body></html>").encode("euc-kr")


def gzip_bomb(megabytes: int) -> bytes:
    return gzip.compress(b"a" * (megabytes * 2**20), compresslevel=9)


class Handler(BaseHTTPRequestHandler):
    """Routes by path; each route is one behaviour (good page, 404, loop, drip, ...)."""

    protocol_version = "HTTP/1.1"
    pdf: bytes = b""
    bomb: bytes = b""

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: bytes, content_type: str | None = "text/plain",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self._send(302, b"", None, {"Location": location})

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        match path:
            case "/page.html":
                self._send(200, PAGE, "text/html; charset=utf-8")
            case "/korean.html":
                self._send(200, KOREAN_PAGE, "text/html; charset=euc-kr")
            case "/korean-undeclared.html":
                self._send(200, KOREAN_PAGE, "text/html")
            case "/notes.txt":
                self._send(200, b"Grinder settings: 18 for espresso.\n", "text/plain")
            case "/menu.csv":
                self._send(200, "item,price\n라떼,4500\n".encode("cp949"), "text/csv")
            case "/doc.pdf":
                self._send(200, self.pdf, "application/pdf")
            case "/missing":
                self._send(404, b"not here")
            case "/broken":
                self._send(500, b"oops")
            case "/empty":
                self._send(200, b"", "text/plain")
            case "/image.png":
                self._send(200, b"\x89PNG\r\n\x1a\n" + bytes(100), "image/png")
            case "/no-type":
                self._send(200, b"plain words", None)
            case "/binary.txt":
                self._send(200, bytes(range(256)) * 4, "text/plain")
            case "/loop":
                self._redirect("/loop")
            case "/hop":
                self._redirect("/page.html")
            case "/to-file":
                self._redirect("file:///etc/passwd")
            case "/slow":
                time.sleep(6)
                self._send(200, b"late", "text/plain")
            case "/drip":
                self._drip()
            case "/huge":
                self._endless()
            case "/huge-declared":
                self._send_headers_only(200, "text/plain", 50 * 2**30)
            case "/short-body":
                self._send_headers_only(200, "text/plain", 10_000)
                self.wfile.write(b"only a few bytes")
                self.close_connection = True
            case "/gzip-bomb":
                self._send(200, self.bomb, "text/plain", {"Content-Encoding": "gzip"})
            case _:
                self._send(404, b"unknown route")

    def _send_headers_only(self, status: int, content_type: str, length: int) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def _drip(self) -> None:
        """A body that arrives one byte every 0.2 s: each read is quick, the total is not."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for _ in range(100):
                self._chunk(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass
        self.close_connection = True

    def _endless(self) -> None:
        """An unbounded chunked body with no Content-Length."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        block = b"endless text " * 5000
        try:
            for _ in range(100_000):
                self._chunk(block)
        except OSError:
            pass
        self.close_connection = True


@contextmanager
def serve(pdf: bytes = b"") -> Iterator[str]:
    """Run the server on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    handler = type("BoundHandler", (Handler,), {"pdf": pdf, "bomb": gzip_bomb(64)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    with serving(server) as url:
        yield url
