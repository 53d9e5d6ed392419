"""Stream a word-processor body (DOCX, ODT) into text blocks: paragraphs, headings as
`#` lines, tables as Markdown. Each top-level block is cleared once read and charged to
the file's budget, so memory follows the largest block and the characters limit, not
the document."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO
from xml.etree import ElementTree

from langchain_core.documents import Document

from ingest.loaders.archive import open_package, open_part, part_title
from ingest.loaders.common import FileBudget, LoadError, content_hash, metadata
from ingest.loaders.tables import markdown_table

Element = ElementTree.Element


@dataclass(frozen=True)
class BodyTags:
    """How one format marks its blocks (tags in `{namespace}name` form)."""

    paragraphs: frozenset[str]
    table: str
    row: str
    cell: str
    text: Callable[[Element], str]  # a paragraph's text
    heading_level: Callable[[Element], int]  # 0 for body text


def body_document(source: str, data: bytes, budget: FileBudget, *, title_part: str,
                  title_tag: str, body_part: str, tags: BodyTags, mime: str
                  ) -> list[Document]:
    """A word-processor file (DOCX, ODT) as one document: its paragraphs, headings (`#`)
    and tables (Markdown), titled from `title_part`."""
    with open_package(source, data, budget) as package:
        title = part_title(source, package, title_part, title_tag)
        with open_part(source, package, body_part) as body:
            text = "\n\n".join(budget.text(block) for block in body_blocks(source, body, tags))
    if not text.strip():
        raise LoadError(source, "no text in the document")
    return [Document(text, metadata=metadata(source, mime, content_hash(data), title=title))]


def body_blocks(source: str, stream: IO[bytes], tags: BodyTags) -> Iterator[str]:
    """The text blocks of a body, in order."""
    tables = paragraphs = 0  # tables and paragraphs open around the current element
    try:
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            if element.tag == tags.table:
                tables += 1 if event == "start" else -1
                if event == "end" and tables == 0:
                    yield markdown_table(_rows(element, tags))
                    element.clear()
            elif element.tag in tags.paragraphs:
                paragraphs += 1 if event == "start" else -1
                if event == "start" or tables or paragraphs:
                    continue  # a paragraph in a table, or in a note or text box: read with it
                text = tags.text(element).strip()
                if text:
                    level = tags.heading_level(element)
                    yield f"{'#' * min(level, 6)} {text}" if level else text
                element.clear()
    except ElementTree.ParseError as exc:
        raise LoadError(source, f"corrupt file: bad XML in the document body ({exc})") from None


def _rows(table: Element, tags: BodyTags) -> list[list[str]]:
    """The table's own rows (not a nested table's); a cell's paragraphs joined by spaces."""
    rows = []
    for row in _own(table, tags.row, tags.table):
        cells = []
        for cell in _own(row, tags.cell, tags.table):
            paragraphs = (tags.text(p) for p in cell.iter() if p.tag in tags.paragraphs)
            cells.append(" ".join(text for text in paragraphs if text.strip()))
        rows.append(cells)
    return rows


def _own(parent: Element, tag: str, table: str) -> Iterator[Element]:
    """Descendants with `tag`, not looking inside nested tables."""
    for child in parent:
        if child.tag == tag:
            yield child
        elif child.tag != table:
            yield from _own(child, tag, table)
