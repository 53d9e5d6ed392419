"""Turn one file into LangChain `Document`s, keeping source, title, page and mime."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from pathlib import Path

from langchain_core.documents import Document

from app.errors import DocentError

MAX_TEXT_BYTES = 50 * 1024 * 1024


class LoadError(DocentError):
    """A file that cannot be loaded; the message names the file and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _metadata(path: Path, mime: str, digest: str, **extra: object) -> dict:
    return {"source": str(path), "title": extra.pop("title", path.stem), "mime": mime,
            "content_hash": digest, **extra}


def decode_text(path: Path, data: bytes) -> str:
    """Decode bytes as UTF-8 (BOM too), else the detected encoding (cp949/euc-kr...)."""
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadError(path, "binary data, not text (NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["cp949", "euc_kr", "utf_16", "cp1252", "latin_1"]).best()
    if best is None or best.chaos > 0.3:
        raise LoadError(path, "cannot decode text (not UTF-8, cp949/euc-kr or Latin-1)")
    return str(best)


def load_pdf(path: Path, data: bytes) -> list[Document]:
    """One document per PDF page with text; page numbers are 1-based."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(path, "encrypted PDF (a password is needed)")
        title = (reader.metadata.title if reader.metadata else None) or path.stem
        digest = content_hash(data)
        docs = []
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            if text.strip():
                docs.append(Document(text, metadata=_metadata(
                    path, "application/pdf", digest, title=str(title), page=number)))
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise LoadError(
            path, f"corrupt or unreadable PDF ({exc.__class__.__name__}: {exc})"
        ) from None
    if not docs:
        raise LoadError(path, f"PDF has no extractable text on its {len(reader.pages)} pages")
    return docs


def html_to_text(markup: str) -> tuple[str, str | None]:
    """Main text of an HTML page without navigation, scripts or styles, and its title."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, features="html.parser")
    title = soup.title.get_text(strip=True) if soup.title else None
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "aside", "form"]):
        tag.decompose()
    main = soup.find("main") or soup.find("article") or soup.body or soup
    lines = (line.strip() for line in main.get_text("\n").splitlines())
    return "\n".join(line for line in lines if line), title


def load_html(path: Path, data: bytes) -> list[Document]:
    text, title = html_to_text(decode_text(path, data))
    return _single(path, text, "text/html", data, title=title or path.stem)


def load_text(path: Path, data: bytes) -> list[Document]:
    mime = "text/markdown" if path.suffix.lower() in {".md", ".markdown"} else "text/plain"
    return _single(path, decode_text(path, data), mime, data, title=path.stem)


def _single(path: Path, text: str, mime: str, data: bytes, title: str) -> list[Document]:
    if not text.strip():
        raise LoadError(path, "no text in file")
    return [Document(text, metadata=_metadata(path, mime, content_hash(data), title=title))]


def load_csv(path: Path, data: bytes) -> list[Document]:
    """One document per row, written as `header: value` lines."""
    text = decode_text(path, data)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise LoadError(path, f"malformed CSV ({exc})") from exc
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise LoadError(path, "CSV has no data rows")
    header, digest = rows[0], content_hash(data)
    docs = []
    for number, row in enumerate(rows[1:], start=1):
        lines = [f"{name}: {value}" for name, value in zip(header, row, strict=False) if value]
        docs.append(Document("\n".join(lines), metadata=_metadata(
            path, "text/csv", digest, title=path.stem, row=number)))
    return docs


LOADERS: dict[str, Callable[[Path, bytes], list[Document]]] = {
    ".pdf": load_pdf,
    ".html": load_html,
    ".htm": load_html,
    ".md": load_text,
    ".markdown": load_text,
    ".txt": load_text,
    ".rst": load_text,
    ".csv": load_csv,
}


def load_file(path: Path) -> list[Document]:
    """Load one file; raise `LoadError` naming the file and the reason."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(path, f"unsupported file type {path.suffix or '(none)'!r}")
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise LoadError(path, f"file too large ({size} bytes, limit {MAX_TEXT_BYTES})")
        data = path.read_bytes()
    except PermissionError:
        raise LoadError(path, "permission denied") from None
    except OSError as exc:
        raise LoadError(path, f"cannot read file ({exc.strerror or exc})") from None
    if not data.strip():
        raise LoadError(path, "empty file")
    return loader(path, data)
