"""What every loader shares: the error it raises, its options and budget, metadata and
text decoding."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from langchain_core.documents import Document

from core.errors import DocentError
from core.settings import Settings
from core.tuning import MAX_FILE_CELLS, MAX_FILE_CHARACTERS, MAX_FILE_PAGES


class LoadError(DocentError):
    """An input that cannot be loaded; the message names the file (or URL) and the reason."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class OverBudget(LoadError):
    """A file that costs more than its budget; the reason names the limit it went over."""


@dataclass
class FileBudget:
    """What reading one file has cost so far, counted in work as it is done, not guessed
    from its size: a 1.6 KB spreadsheet declaring `A1:XFD1048576`, or a 3 MB document of
    90 MB of text, passes every size cap and then held the ingest lock for minutes.

    Loaders charge the `cells`, `characters` and `pages` (slides, sheets, chapters) they read,
    the splitter each document it cuts, and every charge looks at the clock (`clock` is
    injectable for tests). Python threads cannot be killed: a file that takes too long is
    stopped at its next charge, which every loader's loop makes.
    """

    source: str = ""  # the file or URL the failure names
    seconds: float = Settings.model_fields["max_file_seconds"].default
    max_cells: int = MAX_FILE_CELLS
    max_characters: int = MAX_FILE_CHARACTERS
    max_pages: int = MAX_FILE_PAGES
    clock: Callable[[], float] = time.monotonic
    cells: int = 0
    characters: int = 0
    pages: int = 0
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def charge(self, *, cells: int = 0, characters: int = 0, pages: int = 0) -> None:
        """Count work just done; raise `OverBudget` once a limit, or the time, is passed."""
        self.cells += cells
        self.characters += characters
        self.pages += pages
        if self.cells > self.max_cells:
            self._over("cells", f"more than {self.max_cells:,} spreadsheet cells read "
                                "(empty ones included)")
        if self.characters > self.max_characters:
            self._over("characters", f"more than {self.max_characters:,} characters of "
                                     "text (split the file)")
        if self.pages > self.max_pages:
            self._over("pages", f"more than {self.max_pages:,} pages, slides, sheets or "
                                "chapters")
        if (spent := self.clock() - self.started) > self.seconds:
            self._over("time", f"still reading after {spent:.0f} s "
                               f"(DOCENT_MAX_FILE_SECONDS={self.seconds:g})")

    def text(self, text: str) -> str:
        """`text`, its characters charged."""
        self.charge(characters=len(text))
        return text

    def _over(self, limit: str, detail: str) -> None:
        raise OverBudget(self.source, f"over the {limit} limit: {detail}")


@dataclass
class LoadContext:
    """Options for the loaders, the budget they charge, and the warnings they leave for
    the report."""

    html_selector: str = ""
    # spreadsheet rows are gathered into documents of up to this many characters
    chunk_size: int = Settings.model_fields["chunk_size"].default
    budget: FileBudget = field(default_factory=FileBudget)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def reading(cls, source: str, settings: Settings) -> LoadContext:
        """The loader options of `settings`, and a fresh budget for reading `source`."""
        return cls(html_selector=settings.html_selector, chunk_size=settings.chunk_size,
                   budget=FileBudget(source, settings.max_file_seconds))


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
