"""Turn one file (or downloaded body) into LangChain `Document`s with source, title, mime,
content hash and where in the file (page, slide, sheet, section, row) each came from.

One module per format family; this one maps suffixes to loaders and reads files safely.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

from langchain_core.documents import Document

from core.settings import Settings
from ingest.loaders.common import (
    FileBudget,
    LoadContext,
    LoadError,
    OverBudget,
    content_hash,
    decode_text,
)
from ingest.loaders.html import html_to_text, load_html
from ingest.loaders.office import load_docx, load_pptx, load_xlsx
from ingest.loaders.opendoc import load_epub, load_odt
from ingest.loaders.pdf import load_pdf
from ingest.loaders.text import load_csv, load_text

READ_BLOCK = 1024 * 1024

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
    ".docx": load_docx,
    ".pptx": load_pptx,
    ".xlsx": load_xlsx,
    ".odt": load_odt,
    ".epub": load_epub,
}
# what to do with a format that is close to a supported one
CONVERT_HINTS = {".doc": ".docx", ".ppt": ".pptx", ".xls": ".xlsx", ".rtf": ".docx",
                 ".xlsm": ".xlsx", ".ods": ".xlsx", ".odp": ".pptx", ".pages": ".docx"}

__all__ = ["LOADERS", "FileBudget", "LoadContext", "LoadError", "OverBudget", "content_hash",
           "decode_text", "html_to_text", "load_csv", "load_file", "load_html", "load_pdf",
           "load_text", "read_capped", "unsupported"]


def unsupported(suffix: str) -> str:
    """Why a file with this suffix is not read (and how to make it readable)."""
    reason = f"unsupported file type {suffix or '(none)'!r}"
    if hint := CONVERT_HINTS.get(suffix.lower()):
        reason += f" (save it as {hint})"
    return reason


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
    """Load one file; raise `LoadError` naming the file and the reason (`OverBudget` when
    it costs more than its budget, `context.budget`)."""
    settings = settings or Settings()
    context = context or LoadContext.reading(str(path), settings)
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(path, unsupported(path.suffix))
    data = read_capped(path, int(settings.max_file_mb * 2**20))
    if not data.strip():
        raise LoadError(path, "empty file")
    return loader(str(path), data, context)
