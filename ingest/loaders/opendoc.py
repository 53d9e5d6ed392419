"""OpenDocument text (.odt) and EPUB e-books, read from their zip parts."""

from __future__ import annotations

import posixpath
import zipfile

from langchain_core.documents import Document

from ingest.loaders.archive import has_part, open_package, open_part, parse_part, part_title
from ingest.loaders.blocks import BodyTags, Element, body_document
from ingest.loaders.common import LoadContext, LoadError, content_hash, decode_text, metadata
from ingest.loaders.html import html_to_text

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
OPF = "{http://www.idpf.org/2007/opf}"
CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
ODT_MIME = "application/vnd.oasis.opendocument.text"
EPUB_MIME = "application/epub+zip"


def _odt_text(paragraph: Element) -> str:
    """Text of a paragraph: spans, `text:s` spaces, tabs and line breaks; not footnotes
    (a note's body would cut the sentence it is anchored in)."""
    out: list[str] = []

    def walk(node: Element) -> None:
        if node.tag == TEXT + "s":
            count = node.get(TEXT + "c", "1")
            out.append(" " * (int(count) if count.isdigit() else 1))
        elif node.tag == TEXT + "tab":
            out.append("\t")
        elif node.tag == TEXT + "line-break":
            out.append("\n")
        elif node.tag != TEXT + "note":
            out.append(node.text or "")
            for child in node:
                walk(child)
                out.append(child.tail or "")

    walk(paragraph)
    return "".join(out)


def _odt_heading(paragraph: Element) -> int:
    if paragraph.tag != TEXT + "h":
        return 0
    level = paragraph.get(TEXT + "outline-level", "1")
    return int(level) if level.isdigit() else 1


ODT_TAGS = BodyTags(paragraphs=frozenset({TEXT + "p", TEXT + "h"}), table=TABLE + "table",
                    row=TABLE + "table-row", cell=TABLE + "table-cell", text=_odt_text,
                    heading_level=_odt_heading)


def load_odt(source: str, data: bytes, context: LoadContext) -> list[Document]:
    """Paragraphs, headings (`#`) and tables (Markdown) as one document."""
    return body_document(source, data, context.budget, title_part="meta.xml",
                         title_tag=DC_TITLE,
                         body_part="content.xml", tags=ODT_TAGS, mime=ODT_MIME)


def _spine(source: str, package: zipfile.ZipFile) -> tuple[str, list[str]]:
    """The package document's path and the reading order's XHTML parts."""
    container = parse_part(source, package, "META-INF/container.xml")
    rootfile = container.find(f".//{CONTAINER}rootfile")
    if rootfile is None or not rootfile.get("full-path"):
        raise LoadError(source, "corrupt e-book: no package document in META-INF/container.xml")
    opf_path = rootfile.get("full-path", "")
    opf = parse_part(source, package, opf_path)
    folder = posixpath.dirname(opf_path)
    hrefs = {item.get("id"): posixpath.normpath(posixpath.join(folder, item.get("href", "")))
             for item in opf.iter(OPF + "item")}
    return opf_path, [hrefs[ref.get("idref")] for ref in opf.iter(OPF + "itemref")
                      if ref.get("idref") in hrefs]


def load_epub(source: str, data: bytes, context: LoadContext) -> list[Document]:
    """One document per spine item with text (`section`, 1-based reading order). Each
    chapter is charged as a page, and for its markup's characters: the HTML parser reads
    all of it."""
    docs, digest, budget = [], content_hash(data), context.budget
    with open_package(source, data, budget) as package:
        opf_path, parts = _spine(source, package)
        title = part_title(source, package, opf_path, DC_TITLE)
        if has_part(package, "META-INF/encryption.xml"):
            with open_part(source, package, "META-INF/encryption.xml") as stream:
                listed = stream.read().decode("utf-8", "replace")
            if any(posixpath.basename(part) in listed for part in parts):
                raise LoadError(source, "encrypted e-book (DRM): its chapters cannot be read")
        for number, part in enumerate(parts, start=1):
            budget.charge(pages=1)
            with open_part(source, package, part) as stream:
                markup = budget.text(decode_text(source, stream.read()))
            try:
                text, _ = html_to_text(markup)
            except RecursionError:
                raise LoadError(source, f"{part}: HTML nested too deeply to parse") from None
            if text.strip():
                docs.append(Document(text, metadata=metadata(
                    source, EPUB_MIME, digest, title=title, section=number)))
    if not docs:
        raise LoadError(source, "no text in any chapter")
    return docs
