"""URL ingestion against a real HTTP server on 127.0.0.1: content, caps, redirects, secrets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.loaders import LoadContext, LoadError
from ingest.web import UrlLimits, load_url, redact
from tests.http_stub import serve
from tests.pdf_factory import make_pdf

FAST = UrlLimits(timeout_s=1.0, max_mb=1.0, max_redirects=3)
GOOD = UrlLimits(timeout_s=30.0, max_mb=1.0, max_redirects=3)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(pdf=make_pdf(["Cold brew steeps for 18 hours.", "", "Second text page."])) as url:
        yield url


def test_html_page_keeps_main_text_and_title(server: str) -> None:
    (doc,) = load_url(f"{server}/page.html", GOOD, LoadContext())
    assert doc.metadata["title"] == "Roastery FAQ"
    assert doc.metadata["source"] == f"{server}/page.html"
    assert doc.metadata["mime"] == "text/html"
    assert len(doc.metadata["content_hash"]) == 64
    assert "roasted every Tuesday" in doc.page_content
    for noise in ("Login", "track()", "font-family", "All rights reserved"):
        assert noise not in doc.page_content


def test_css_selector_picks_the_main_text(server: str) -> None:
    (doc,) = load_url(f"{server}/page.html", GOOD, LoadContext(html_selector="div.answer"))
    assert doc.page_content == "Decaf is processed with the Swiss water method."
    assert doc.metadata["title"] == "Roastery FAQ"
    with pytest.raises(LoadError, match=r"CSS selector 'table\.none'"):
        load_url(f"{server}/page.html", GOOD, LoadContext(html_selector="table.none"))


def test_korean_page_declared_or_detected_charset(server: str) -> None:
    for route in ("korean.html", "korean-undeclared.html"):
        (doc,) = load_url(f"{server}/{route}", GOOD, LoadContext())
        assert "평일 오전 7시부터" in doc.page_content
        assert doc.metadata["title"] == "매장 안내"


def test_text_csv_and_pdf_urls(server: str) -> None:
    (text,) = load_url(f"{server}/notes.txt", GOOD, LoadContext())
    assert text.metadata["mime"] == "text/plain" and "18 for espresso" in text.page_content
    (row,) = load_url(f"{server}/menu.csv", GOOD, LoadContext())
    assert row.page_content == "item: 라떼\nprice: 4500"
    context = LoadContext()
    pages = load_url(f"{server}/doc.pdf", GOOD, context)
    assert [p.metadata["page"] for p in pages] == [1, 3]
    assert context.warnings == ["1 of 3 pages have no extractable text (pages 2)"]
    (hop,) = load_url(f"{server}/hop", GOOD, LoadContext())
    assert hop.metadata["title"] == "Roastery FAQ"


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        ("/missing", "HTTP 404 Not Found"),
        ("/broken", "HTTP 500"),
        ("/empty", "empty response body"),
        ("/image.png", "unsupported content type 'image/png'"),
        ("/no-type", "unsupported content type '(none)'"),
        ("/binary.txt", "binary data"),
        ("/loop", "more than 3 redirects"),
        ("/to-file", "redirected to a URL that is not http or https"),
        ("/slow", "timed out after 1 s"),
        ("/drip", "timed out after 1 s"),
        ("/huge", "too large"),
        ("/huge-declared", "too large"),
        ("/gzip-bomb", "too large"),
        ("/short-body", "download failed"),
    ],
)
def test_bad_urls_fail_with_the_url_and_the_reason(server: str, route: str, reason: str) -> None:
    with pytest.raises(LoadError) as info:
        load_url(server + route, FAST, LoadContext())
    assert info.value.path == server + route
    assert reason in info.value.reason
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x.txt",
                                 "gopher://127.0.0.1/", "data://text/plain,hi"])
def test_only_http_and_https_are_allowed(url: str) -> None:
    with pytest.raises(LoadError, match="only http and https"):
        load_url(url, FAST, LoadContext())


def test_closed_port_is_a_clear_error() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(LoadError, match="cannot connect"):
        load_url(f"http://127.0.0.1:{port}/page.html", FAST, LoadContext())


def test_secrets_in_urls_never_reach_errors_or_metadata(server: str) -> None:
    host = server.removeprefix("http://")
    secret_url = f"http://alice:hunter2@{host}/missing?api_key=sk-123&lang=ko"
    with pytest.raises(LoadError) as info:
        load_url(secret_url, GOOD, LoadContext())
    message = str(info.value)
    assert "hunter2" not in message and "sk-123" not in message and "alice" not in message
    assert f"{host}/missing?api_key=***&lang=ko" in message
    (doc,) = load_url(f"http://bob:pw@{host}/page.html?token=abc", GOOD, LoadContext())
    assert doc.metadata["source"] == redact(f"http://{host}/page.html?token=abc")
    assert "abc" not in doc.metadata["source"]


@pytest.mark.slow
def test_urls_and_files_in_one_ingest(server: str, data_dir: Path, tmp_path: Path) -> None:
    from ingest.pipeline import ingest_paths

    note = tmp_path / "note.md"
    note.write_text("The roastery is closed on public holidays.")
    settings = Settings(data_dir=data_dir)
    host = server.removeprefix("http://")
    page = f"http://user:hunter2@{host}/page.html?token=sk-1"
    roots = [page, f"{server}/missing", note]
    report = ingest_paths(roots, settings)
    assert report.exit_code == 1 and report.files_loaded == 2
    assert [(f.path, f.error) for f in report.failed] == [
        (f"{server}/missing", "HTTP 404 Not Found")]
    again = ingest_paths(roots, settings)
    assert (again.added, again.skipped) == (0, report.added)
    from ingest.pipeline import open_for_ingest

    stored = open_for_ingest(settings).vectorstore.get(include=["metadatas"])["metadatas"]
    assert {m["source"] for m in stored} == {redact(page), str(note.resolve())}
    assert not any("hunter2" in m["source"] or "sk-1" in m["source"] for m in stored)
