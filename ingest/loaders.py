"""Turn one file (or downloaded body) into LangChain `Document`s with source, title, page, mime."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from langchain_core.documents import Document

from core.errors import DocentError
from core.settings import Settings

READ_BLOCK = 1024 * 1024
NOISE_TAGS = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form",
              "template", "iframe", "svg"]


class LoadError(DocentError):
    """An input that cannot be loaded; the message names the file (or URL) and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass
class LoadContext:
    """Options for the loaders, and the warnings they leave for the report."""

    html_selector: str = ""
    warnings: list[str] = field(default_factory=list)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def default_title(source: str) -> str:
    """The file name without its suffix (or the last part of a URL path)."""
    return PurePosixPath(source.rstrip("/")).stem or source


def _metadata(source: str, mime: str, digest: str, **extra: object) -> dict:
    return {"source": source, "title": extra.pop("title", None) or default_title(source),
            "mime": mime, "content_hash": digest, **extra}


def decode_text(source: str, data: bytes, declared: str | None = None) -> str:
    """Decode bytes as the declared charset, UTF-8 (BOM too), else a detected one (cp949...)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise LoadError(source, "broken UTF-16 text (odd length or bad surrogates)") from None
    if b"\x00" in data:
        raise LoadError(source, "binary data, not text (NUL bytes)")
    for encoding in (declared, "utf-8-sig"):
        if encoding:
            try:
                return data.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["cp949", "euc_kr", "cp1252", "latin_1"]).best()
    if best is None or best.chaos > 0.3:
        raise LoadError(source, "cannot decode text (not UTF-8, cp949/euc-kr or Latin-1)")
    return str(best)


def load_pdf(source: str, data: bytes, context: LoadContext) -> list[Document]:
    """One document per PDF page with text (1-based `page`); text-less pages become a warning."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damage is reported once, below
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(source, "encrypted PDF (a password is needed)")
        info = reader.metadata
        title = str(info.title) if info and info.title else None
        digest, docs, empty = content_hash(data), [], []
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            if text.strip():
                docs.append(Document(text, metadata=_metadata(
                    source, "application/pdf", digest, title=title, page=number)))
            else:
                empty.append(number)
    except LoadError:
        raise
    except DependencyError as exc:
        raise LoadError(source, f"encrypted PDF that cannot be opened ({exc})") from None
    except RecursionError:
        raise LoadError(source, "corrupt PDF (objects nested too deeply)") from None
    except Exception as exc:  # pypdf raises many types on damaged files: all mean "corrupt"
        raise LoadError(
            source, f"corrupt or unreadable PDF ({exc.__class__.__name__}: {exc})"
        ) from None
    if not docs:
        raise LoadError(source, f"PDF has no extractable text on its {len(empty)} pages "
                                "(scanned images need OCR first)")
    if empty:
        listed = ", ".join(map(str, empty[:10])) + (", …" if len(empty) > 10 else "")
        context.warnings.append(
            f"{len(empty)} of {len(empty) + len(docs)} pages have no extractable text "
            f"(pages {listed})")
    return docs


def html_to_text(markup: str, selector: str = "") -> tuple[str, str | None]:
    """Main text of an HTML page (or of the elements matching `selector`), and its title."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, features="html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup(NOISE_TAGS):
        tag.decompose()
    parts: list = (list(soup.select(selector)) if selector
                   else [soup.find("main") or soup.find("article") or soup.body or soup])
    lines = (line.strip() for part in parts for line in part.get_text("\n").splitlines())
    return "\n".join(line for line in lines if line), title


def load_html(
    source: str, data: bytes, context: LoadContext, charset: str | None = None
) -> list[Document]:
    try:
        text, title = html_to_text(decode_text(source, data, charset), context.html_selector)
    except RecursionError:
        raise LoadError(source, "HTML nested too deeply to parse") from None
    if not text.strip() and context.html_selector:
        raise LoadError(source, f"no text matches the CSS selector {context.html_selector!r} "
                                "(DOCENT_HTML_SELECTOR)")
    return _single(source, text, "text/html", data, title=title)


def load_text(
    source: str, data: bytes, context: LoadContext, charset: str | None = None
) -> list[Document]:
    suffix = PurePosixPath(source).suffix.lower()
    mime = "text/markdown" if suffix in {".md", ".markdown"} else "text/plain"
    return _single(source, decode_text(source, data, charset), mime, data, title=None)


def _single(source: str, text: str, mime: str, data: bytes, title: str | None) -> list[Document]:
    if not text.strip():
        raise LoadError(source, "no text in file")
    return [Document(text, metadata=_metadata(source, mime, content_hash(data), title=title))]


def load_csv(
    source: str, data: bytes, context: LoadContext, charset: str | None = None
) -> list[Document]:
    """One document per row, written as `header: value` lines (`row` is 1-based)."""
    text = decode_text(source, data, charset)
    csv.field_size_limit(len(text) + 1)
    try:
        rows = [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise LoadError(source, f"malformed CSV ({exc})") from None
    if len(rows) < 2:
        raise LoadError(source, "CSV has no data rows")
    header, digest = rows[0], content_hash(data)
    docs = []
    for number, row in enumerate(rows[1:], start=1):
        lines = [f"{name}: {value}" for name, value in zip(header, row, strict=False) if value]
        if lines:
            docs.append(Document("\n".join(lines), metadata=_metadata(
                source, "text/csv", digest, row=number)))
    if not docs:
        raise LoadError(source, "CSV has no values under its header")
    return docs


Loader = Callable[[str, bytes, LoadContext], list[Document]]

LOADERS: dict[str, Loader] = {
    ".pdf": load_pdf,
    ".html": load_html,
    ".htm": load_html,
    ".md": load_text,
    ".markdown": load_text,
    ".txt": load_text,
    ".rst": load_text,
    ".csv": load_csv,
}


def read_capped(path: Path, limit: int) -> bytes:
    """The bytes of a regular file, refused (unread) above `limit`; reading stops at the cap."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise LoadError(path, "not a regular file")
        if info.st_size > limit:
            raise LoadError(path, f"file too large ({info.st_size / 2**20:.0f} MB; "
                                  f"DOCENT_MAX_FILE_MB allows {limit / 2**20:g} MB)")
        blocks, total = [], 0
        with path.open("rb") as handle:
            while block := handle.read(READ_BLOCK):
                total += len(block)
                if total > limit:
                    raise LoadError(path, f"file grew past DOCENT_MAX_FILE_MB "
                                          f"({limit / 2**20:g} MB) while being read")
                blocks.append(block)
    except PermissionError:
        raise LoadError(path, "permission denied") from None
    except OSError as exc:
        raise LoadError(path, f"cannot read file ({exc.strerror or exc})") from None
    return b"".join(blocks)


def load_file(
    path: Path, settings: Settings | None = None, context: LoadContext | None = None
) -> list[Document]:
    """Load one file; raise `LoadError` naming the file and the reason."""
    settings = settings or Settings()
    context = context or LoadContext(html_selector=settings.html_selector)
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(path, f"unsupported file type {path.suffix or '(none)'!r}")
    data = read_capped(path, int(settings.max_file_mb * 2**20))
    if not data.strip():
        raise LoadError(path, "empty file")
    return loader(str(path), data, context)
