"""Office Open XML: Word (.docx), PowerPoint (.pptx) and Excel (.xlsx) files.

Word and PowerPoint parts are read straight from the zip with a streaming XML parser
(python-docx and python-pptx build the whole object model: a 10,000-slide deck then
holds every slide in memory); Excel through openpyxl's read-only mode, which streams rows.
Each loader charges the file's budget (`FileBudget`) as it reads.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator

from langchain_core.documents import Document

from ingest.loaders.archive import has_part, open_package, parse_part, part_title
from ingest.loaders.blocks import BodyTags, Element, body_document
from ingest.loaders.common import FileBudget, LoadContext, LoadError, content_hash, metadata
from ingest.loaders.tables import markdown_table
from ingest.loaders.text import row_lines

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
CORE = "docProps/core.xml"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADING_STYLE = re.compile(r"^(?:heading|제목)\s*(\d)$", re.IGNORECASE)


def _docx_text(paragraph: Element) -> str:
    parts = []
    for node in paragraph.iter():
        if node.tag == W + "t" and node.text:
            parts.append(node.text)
        elif node.tag == W + "tab":
            parts.append("\t")
        elif node.tag in (W + "br", W + "cr"):
            parts.append("\n")
    return "".join(parts)


def _docx_heading(paragraph: Element) -> int:
    style = paragraph.find(f"{W}pPr/{W}pStyle")
    name = style.get(W + "val", "") if style is not None else ""
    if name.lower() == "title":
        return 1
    match = HEADING_STYLE.match(name)
    return int(match.group(1)) if match else 0


DOCX_TAGS = BodyTags(paragraphs=frozenset({W + "p"}), table=W + "tbl", row=W + "tr",
                     cell=W + "tc", text=_docx_text, heading_level=_docx_heading)


def load_docx(source: str, data: bytes, context: LoadContext) -> list[Document]:
    """The document's paragraphs, headings (`#`) and tables (Markdown) as one document."""
    return body_document(source, data, context.budget, title_part=CORE, title_tag=DC_TITLE,
                         body_part="word/document.xml", tags=DOCX_TAGS, mime=DOCX_MIME)


def _relationships(source: str, package: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id → target part name, for `part` (empty when it has none)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if not has_part(package, rels):
        return {}
    return {rel.get("Id", ""): posixpath.normpath(posixpath.join(folder, rel.get("Target", "")))
            for rel in parse_part(source, package, rels).iter(REL + "Relationship")
            if rel.get("TargetMode") != "External"}


def _slides(source: str, package: zipfile.ZipFile) -> list[str]:
    """Slide parts in the deck's order (presentation.xml's list, hidden slides included)."""
    presentation = "ppt/presentation.xml"
    targets = _relationships(source, package, presentation)
    order = parse_part(source, package, presentation).iter(P + "sldId")
    return [targets[rid] for slide in order if (rid := slide.get(R + "id", "")) in targets]


def _shape_text(root: Element) -> Iterator[str]:
    """Paragraphs of a slide's text boxes, and its tables as Markdown, in document order."""
    def walk(node: Element) -> Iterator[str]:
        for child in node:
            if child.tag == A + "tbl":
                rows = [[" ".join("".join(t.text or "" for t in cell.iter(A + "t")).split())
                         for cell in row.iter(A + "tc")] for row in child.iter(A + "tr")]
                yield markdown_table(rows)
            elif child.tag == A + "p":
                yield "".join(t.text or "" for t in child.iter(A + "t"))
            else:
                yield from walk(child)
    return (text for text in walk(root) if text.strip())


def load_pptx(source: str, data: bytes, context: LoadContext) -> list[Document]:
    """One document per slide with text (`slide`, 1-based), speaker notes after it."""
    docs, digest, budget = [], content_hash(data), context.budget
    with open_package(source, data, budget) as package:
        title = part_title(source, package, CORE, DC_TITLE)
        for number, part in enumerate(_slides(source, package), start=1):
            budget.charge(pages=1)
            lines = list(_shape_text(parse_part(source, package, part)))
            notes = [target for target in _relationships(source, package, part).values()
                     if "/notesSlides/" in target and has_part(package, target)]
            for note in notes[:1]:
                if text := "\n".join(_shape_text(parse_part(source, package, note))):
                    lines.append(f"Notes: {text}")
            if lines:
                docs.append(Document(budget.text("\n".join(lines)), metadata=metadata(
                    source, PPTX_MIME, digest, title=title, slide=number)))
    if not docs:
        raise LoadError(source, "no text on any slide")
    return docs


def load_xlsx(source: str, data: bytes, context: LoadContext) -> list[Document]:
    """Each sheet's rows under its header as `header: value` lines, as CSV rows are, rows
    separated by a blank line and gathered into documents of up to a chunk's size
    (`sheet` is the sheet's name, `rows` the spreadsheet rows a document holds: "120–141").
    Rows stream from openpyxl's read-only mode and are charged to the budget as read."""
    from openpyxl import load_workbook

    with open_package(source, data, context.budget):
        pass  # the encryption and zip-bomb checks, before openpyxl inflates anything
    docs, digest = [], content_hash(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for sheet in book.worksheets:
                context.budget.charge(pages=1)
                # never trust a sheet's <dimension ref>: openpyxl pads every row, and
                # each missing one, to the declared width; A1:XFD1048576 with a cell in
                # its last row held the ingest lock for 258 s (issue #24)
                sheet.reset_dimensions()
                for rows, text in _sheet_texts(sheet.iter_rows(values_only=True),
                                               context.budget, context.chunk_size):
                    docs.append(Document(text, metadata=metadata(
                        source, XLSX_MIME, digest, sheet=sheet.title, rows=rows)))
        finally:
            book.close()
    except LoadError:
        raise
    except Exception as exc:  # openpyxl raises KeyError, ValueError... on damaged parts
        raise LoadError(source, f"corrupt or unreadable spreadsheet "
                                f"({exc.__class__.__name__}: {exc})") from None
    if not docs:
        raise LoadError(source, "no values in any sheet")
    return docs


def _sheet_texts(rows: Iterator[tuple], budget: FileBudget, size: int
                 ) -> Iterator[tuple[str, str]]:
    """Rows under the first non-empty row (the header; unnamed columns are `column N`),
    gathered into texts of up to `size` characters (a longer row is a text alone), each
    with the span of spreadsheet rows it holds ("7", "120–141"). Every cell read is
    charged, an empty row as one."""
    header: list[str] | None = None
    blocks: list[str] = []
    first = last = length = 0
    for number, row in enumerate(rows, start=1):  # openpyxl yields missing rows empty
        budget.charge(cells=len(row) or 1)
        if not any(value is not None and str(value).strip() for value in row):
            continue
        if header is None:
            header = [str(value).strip() if value is not None and str(value).strip()
                      else f"column {n}" for n, value in enumerate(row, start=1)]
            continue
        # rows are as wide as their last cell, not the sheet: name the columns past the header
        header += [f"column {n}" for n in range(len(header) + 1, len(row) + 1)]
        if not (lines := row_lines(header, list(row))):
            continue
        block = budget.text("\n".join(lines))
        if blocks and length + len(block) > size:
            yield _span(first, last), "\n\n".join(blocks)
            blocks, length = [], 0
        if not blocks:
            first = number
        blocks.append(block)
        last, length = number, length + len(block) + 2  # and the blank line after it
    if blocks:
        yield _span(first, last), "\n\n".join(blocks)


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"
