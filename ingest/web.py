"""Download http(s) URLs safely (scheme, time, size, type and redirect caps) and load them."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ingest.loaders import LoadContext, LoadError, load_csv, load_html, load_pdf, load_text

if TYPE_CHECKING:
    from langchain_core.documents import Document

ALLOWED_SCHEMES = ("http", "https")
LOADERS_BY_TYPE = {
    "text/html": load_html,
    "application/xhtml+xml": load_html,
    "text/plain": load_text,
    "text/markdown": load_text,
    "text/x-markdown": load_text,
    "text/csv": load_csv,
}
SECRET_PARAM = re.compile(r"token|key|secret|pass|auth|sig|credential|session", re.IGNORECASE)


@dataclass(frozen=True)
class UrlLimits:
    """How long a download may take, how large it may be, how many redirects it follows."""

    timeout_s: float = 20.0
    max_mb: float = 10.0
    max_redirects: int = 5


DEFAULT_URL_LIMITS = UrlLimits()


def is_url(text: str) -> bool:
    """Whether a command-line argument names a URL (any scheme) rather than a path."""
    return "://" in text


def redact(url: str) -> str:
    """The URL without user:password and with secret-looking query values masked."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    query = urlencode([(k, "***" if SECRET_PARAM.search(k) else v)
                       for k, v in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def fetch(url: str, limits: UrlLimits) -> tuple[bytes, str, str | None]:
    """Body, media type and charset of `url`; `LoadError` naming the URL and the reason."""
    import httpx

    name = redact(url)
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise LoadError(name, f"URL scheme {scheme!r} is not allowed (only http and https)")
    cap = int(limits.max_mb * 2**20)
    deadline = time.monotonic() + limits.timeout_s
    try:
        with httpx.Client(follow_redirects=True, max_redirects=limits.max_redirects,
                          timeout=limits.timeout_s,
                          headers={"User-Agent": "docent (+local RAG ingest)"}) as client, \
                client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise LoadError(name, f"HTTP {response.status_code} "
                                      f"{response.reason_phrase or ''}".rstrip())
            media_type, charset = _content_type(response.headers.get("content-type", ""))
            if media_type not in LOADERS_BY_TYPE and media_type != "application/pdf":
                raise LoadError(name, f"unsupported content type {media_type or '(none)'!r}")
            declared = int(response.headers.get("content-length") or 0)
            if declared > cap:
                raise LoadError(name, f"too large ({declared} bytes; "
                                      f"downloads are capped at {limits.max_mb:g} MB)")
            body = bytearray()
            for block in response.iter_bytes():
                body += block
                if len(body) > cap:
                    raise LoadError(name, f"too large (over the download cap of "
                                          f"{limits.max_mb:g} MB; download stopped)")
                if time.monotonic() > deadline:
                    raise LoadError(name, f"timed out after {limits.timeout_s:g} s")
    except httpx.TooManyRedirects:
        raise LoadError(name, f"more than {limits.max_redirects} redirects") from None
    except httpx.UnsupportedProtocol:
        raise LoadError(name, "redirected to a URL that is not http or https") from None
    except httpx.TimeoutException:
        raise LoadError(name, f"timed out after {limits.timeout_s:g} s") from None
    except httpx.ConnectError as exc:
        raise LoadError(name, f"cannot connect ({str(exc).replace(url, name)})") from None
    except httpx.HTTPError as exc:
        raise LoadError(name, f"download failed ({exc.__class__.__name__})") from None
    return bytes(body), media_type, charset


def _content_type(header: str) -> tuple[str, str | None]:
    media_type, _, params = header.partition(";")
    match = re.search(r"charset=\"?([\w.:-]+)", params, re.IGNORECASE)
    return media_type.strip().lower(), match.group(1) if match else None


def load_url(url: str, limits: UrlLimits, context: LoadContext) -> list[Document]:
    """Documents of one http(s) URL; the source is the URL with any secret masked."""
    data, media_type, charset = fetch(url, limits)
    source = redact(url)
    if not data.strip():
        raise LoadError(source, "empty response body")
    if media_type == "application/pdf":
        return load_pdf(source, data, context)
    return LOADERS_BY_TYPE[media_type](source, data, context, charset)
