"""What every loader shares: the error it raises, its options, metadata and text decoding."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from langchain_core.documents import Document

from core.errors import DocentError


class LoadError(DocentError):
    """An input that cannot be loaded; the message names the file (or URL) and the reason."""

    def __init__(self, path: object, reason: str) -> None:
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


def metadata(source: str, mime: str, digest: str, **extra: object) -> dict:
    return {"source": source, "title": extra.pop("title", None) or default_title(source),
            "mime": mime, "content_hash": digest, **extra}


def single(source: str, text: str, mime: str, data: bytes, title: str | None) -> list[Document]:
    """The whole text as one document; no text is an error."""
    if not text.strip():
        raise LoadError(source, "no text in file")
    return [Document(text, metadata=metadata(source, mime, content_hash(data), title=title))]


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
