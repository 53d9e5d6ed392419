"""What keeps `docent serve` local: the key on every route, only ingested files served,
the upload cap and types, no CORS, the Host check, and 127.0.0.1 unless asked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.helpers import ROOT, SAMPLE_DATA, free_port
from tests.served import API_KEY, UPLOAD_CAP_MB, Served
from tests.servers import running_server

AUTH = {"authorization": f"Bearer {API_KEY}"}
UPLOAD = {**AUTH, "content-type": "application/octet-stream"}


def _routes(served: Served) -> list[tuple[str, str]]:
    """(method, path) of every route of the app, path parameters filled in."""
    import re

    def flat(routes: list) -> list:  # an included router (FastAPI >= 0.16x) holds its own
        return [leaf for route in routes for leaf in (
            flat(route.original_router.routes) if hasattr(route, "original_router")
            else [route])]

    routes = []
    for route in flat(served.app.routes):
        path = re.sub(r"\{[^}]+\}", "x", route.path)
        if path == "/static/x":
            path = "/static/app.js"
        for method in getattr(route, "methods", None) or {"GET"}:
            if method != "HEAD":
                routes.append((method, path))
    return routes


def test_the_key_is_required_on_every_route_but_health(docent_server: Served) -> None:
    routes = _routes(docent_server)
    assert ("POST", "/v1/chat/completions") in routes and ("GET", "/static/app.js") in routes
    for method, path in routes:
        response = httpx.request(method, docent_server.url + path)
        if path in ("/health", "/login", "/static/login.css"):
            assert response.status_code != 401, path
        elif path == "/":  # the page sends a person to the key form instead
            assert response.status_code == 303 and response.headers["location"] == "/login"
        else:
            assert response.status_code == 401, (method, path)
            assert response.json()["error"]["code"] == "invalid_api_key"
    assert httpx.get(f"{docent_server.url}/static/app.js", headers=AUTH).status_code == 200


def test_the_key_form_sets_a_cookie_the_page_then_uses(docent_server: Served) -> None:
    with httpx.Client(base_url=docent_server.url) as browser:
        assert browser.post("/login", data={"key": "wrong"}).status_code == 401
        assert browser.post("/login", data={"key": API_KEY}).status_code == 303
        assert browser.get("/api/status").status_code == 200


def test_only_ingested_files_are_served(docent_server: Served) -> None:
    handbook = str((SAMPLE_DATA / "handbook.pdf").resolve())
    served = httpx.get(f"{docent_server.url}/api/sources/file", params={"source": handbook},
                       headers=AUTH)
    assert served.status_code == 200 and served.headers["content-type"] == "application/pdf"
    assert served.content == (SAMPLE_DATA / "handbook.pdf").read_bytes()
    html = str((SAMPLE_DATA / "brewing-guide.html").resolve())
    shown = httpx.get(f"{docent_server.url}/api/sources/file", params={"source": html},
                      headers=AUTH)
    assert shown.headers["content-type"].startswith("text/plain")  # never run as a page
    data_dir = docent_server.settings.data_dir
    for source in ("/etc/passwd", f"{SAMPLE_DATA}/../pyproject.toml",
                   f"{handbook}/../../pyproject.toml", str(data_dir / "chat.sqlite"),
                   str(data_dir / "records.sqlite"), "../../etc/passwd", ""):
        response = httpx.get(f"{docent_server.url}/api/sources/file",
                             params={"source": source}, headers=AUTH)
        assert response.status_code == 404, source


@pytest.mark.parametrize(("name", "status"), [
    ("tool.exe", 415), ("notes", 415), ("../escape.md", 400), (".hidden.md", 400),
    ("a/b.md", 400),
])
def test_uploads_of_other_types_or_paths_are_refused(docent_server: Served, name: str,
                                                      status: int) -> None:
    response = httpx.post(f"{docent_server.url}/api/documents/upload", params={"name": name},
                          content=b"hello", headers=UPLOAD)
    assert response.status_code == status
    assert not (docent_server.settings.data_dir.parent / "escape.md").exists()


def test_uploads_over_the_cap_are_refused(docent_server: Served) -> None:
    big = b"word " * int(UPLOAD_CAP_MB * 1024 * 1024 / 5 + 10)
    response = httpx.post(f"{docent_server.url}/api/documents/upload",
                          params={"name": "big.txt"}, content=big, headers=UPLOAD)
    assert response.status_code == 413
    # without a Content-Length (chunked) the cap holds while reading
    response = httpx.post(f"{docent_server.url}/api/documents/upload",
                          params={"name": "big.txt"}, content=iter([big[:600_000]] * 2),
                          headers=UPLOAD)
    assert response.status_code == 413
    assert not (docent_server.settings.data_dir / "uploads" / "big.txt").exists()


def test_no_cors_and_no_cross_origin_writes(docent_server: Served) -> None:
    preflight = httpx.options(f"{docent_server.url}/v1/chat/completions", headers={
        "origin": "https://evil.example", "access-control-request-method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    read = httpx.get(f"{docent_server.url}/v1/models",
                     headers={**AUTH, "origin": "https://evil.example"})
    assert read.status_code == 403 and "access-control-allow-origin" not in read.headers
    same = httpx.get(f"{docent_server.url}/v1/models",
                     headers={**AUTH, "origin": docent_server.url})
    assert same.status_code == 200


def test_a_rebound_host_name_is_refused(docent_server: Served) -> None:
    response = httpx.get(f"{docent_server.url}/v1/models",
                         headers={**AUTH, "host": "attacker.example"})
    assert response.status_code == 400 and response.text == "Invalid host header"
    assert httpx.get(f"{docent_server.url}/v1/models",
                     headers={**AUTH, "host": "localhost"}).status_code == 200


def test_no_api_docs_are_served(docent_server: Served) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert httpx.get(docent_server.url + path, headers=AUTH).status_code == 404


def _listening_addresses(port: int) -> set[str]:
    """Local addresses listening on `port`, from /proc/net/tcp{,6} (hex, as the kernel has it)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_serve_binds_loopback_by_default_and_prints_its_url(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DOCENT_DATA_DIR": str(tmp_path / "data"), "DOCENT_API_KEY": ""}
    log = tmp_path / "serve.log"
    with running_server([sys.executable, "-m", "app", "serve", "--port", str(port)],
                        f"http://127.0.0.1:{port}/health", log, timeout=60, cwd=ROOT, env=env):
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only
        status = httpx.get(f"http://127.0.0.1:{port}/api/status").json()
        assert "python -m app ingest" in status["problems"][0]
    assert f"http://127.0.0.1:{port}/" in log.read_text()


def test_bad_or_taken_port_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    import socket

    done = subprocess.run([sys.executable, "-m", "app", "serve", "--port", "nope"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "app", "serve", "--port", str(port)],
                              capture_output=True, text=True, cwd=ROOT, timeout=60,
                              env={**os.environ, "DOCENT_DATA_DIR": str(tmp_path / "d")})
    assert done.returncode == 2 and done.stdout == ""  # no URL printed for a dead server
    assert done.stderr.strip() == (f"docent: error: cannot listen on 127.0.0.1:{port}: "
                                   "Address already in use (another --port?)")


def test_a_bind_to_one_address_answers_to_it_and_the_loopback_names() -> None:
    from app.server.security import allowed_hosts

    assert set(allowed_hosts("127.0.0.1")) == {"127.0.0.1", "localhost", "[::1]"}
    assert "192.168.1.5" in allowed_hosts("192.168.1.5")
    assert "[fd00::5]" in allowed_hosts("fd00::5")
