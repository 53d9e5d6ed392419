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

from ingest.loaders.common import LoadError

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


@contextmanager
def open_package(source: str, data: bytes) -> Iterator[zipfile.ZipFile]:
    """The file as a zip archive, after the encryption and size checks."""
    _refuse_ole(source, data)
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
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
