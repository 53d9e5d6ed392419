"""Open zip-based documents (Office Open XML, OpenDocument, EPUB) without trusting them.

The central directory is checked before any part is inflated: a part count and a total
unpacked size above the caps is a zip bomb (or nothing a person writes), and an OLE
compound file is an encrypted or legacy binary Office file, not a zip at all.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO
from xml.etree import ElementTree

from ingest.loaders.common import FileBudget, LoadError

# A 10,000-slide deck has ~20,000 parts; a 50 MB file (DOCENT_MAX_FILE_MB) of XML
# unpacks to ~500 MB at the ~10× that deflate gets on it.
MAX_PARTS = 50_000
MAX_UNPACKED = 512 * 2**20
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")  # how password-protected OOXML is stored


def _refuse_ole(source: str, data: bytes) -> None:
    if not data.startswith(OLE_MAGIC):
        return
    if ENCRYPTION_STREAM in data:
        raise LoadError(source, "encrypted Office file (a password is needed): save a copy "
                                "without a password")
    raise LoadError(source, "legacy binary Office file (OLE), not Office Open XML: save it "
                            "as .docx, .xlsx or .pptx")


class _ClockedPart(io.BufferedIOBase):
    """A part's stream that charges the budget (its clock) at every read: XML parsers read
    in blocks of 16-64 KB, so a huge part is stopped inside one slide or paragraph."""

    def __init__(self, stream: IO[bytes], budget: FileBudget) -> None:
        super().__init__()
        self.stream, self.budget = stream, budget

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        self.budget.charge()
        return self.stream.read(-1 if size is None else size)

    def close(self) -> None:
        self.stream.close()
        super().close()


class _ClockedZip(zipfile.ZipFile):
    """A zip archive whose parts are read through `_ClockedPart`."""

    def __init__(self, data: bytes, budget: FileBudget) -> None:
        super().__init__(io.BytesIO(data))
        self.budget = budget

    def open(self, name: str | zipfile.ZipInfo, mode: str = "r", pwd: bytes | None = None,
             *, force_zip64: bool = False) -> IO[bytes]:
        stream = super().open(name, mode, pwd, force_zip64=force_zip64)  # type: ignore[arg-type]
        return _ClockedPart(stream, self.budget) if mode == "r" else stream  # type: ignore[return-value]


@contextmanager
def open_package(source: str, data: bytes, budget: FileBudget) -> Iterator[zipfile.ZipFile]:
    """The file as a zip archive, after the encryption and size checks; its parts charge
    `budget` as they are read."""
    _refuse_ole(source, data)
    try:
        package = _ClockedZip(data, budget)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise LoadError(source, f"corrupt file: not a readable zip archive ({exc})") from None
    with package:
        parts = package.infolist()
        if len(parts) > MAX_PARTS:
            raise LoadError(source, f"refused: {len(parts):,} parts in the archive (at most "
                                    f"{MAX_PARTS:,}; a zip bomb?)")
        unpacked = sum(part.file_size for part in parts)
        if unpacked > MAX_UNPACKED:
            raise LoadError(source, f"refused: unpacks to {unpacked / 2**20:,.0f} MB (at most "
                                    f"{MAX_UNPACKED / 2**20:,.0f} MB; a zip bomb?)")
        yield package


def has_part(package: zipfile.ZipFile, name: str) -> bool:
    try:
        package.getinfo(name)
    except KeyError:
        return False
    return True


@contextmanager
def open_part(source: str, package: zipfile.ZipFile, name: str) -> Iterator[IO[bytes]]:
    """A part's bytes as a stream; a missing or damaged part is a `LoadError`."""
    try:
        with package.open(name) as stream:
            yield stream
    except KeyError:
        raise LoadError(source, f"corrupt file: part {name!r} is missing") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise LoadError(source, f"corrupt file: part {name!r} does not unpack ({exc})") from None


def parse_part(source: str, package: zipfile.ZipFile, name: str) -> ElementTree.Element:
    """A (small) XML part as a tree. Python's expat (≥ 2.4.1) stops entity expansion bombs."""
    with open_part(source, package, name) as stream:
        try:
            return ElementTree.parse(stream).getroot()
        except ElementTree.ParseError as exc:
            raise LoadError(source, f"corrupt file: bad XML in {name!r} ({exc})") from None


def part_title(source: str, package: zipfile.ZipFile, name: str, tag: str) -> str | None:
    """The first non-empty `tag` (e.g. dc:title) in an optional metadata part."""
    if not has_part(package, name):
        return None
    for element in parse_part(source, package, name).iter(tag):
        if element.text and element.text.strip():
            return element.text.strip()
    return None
