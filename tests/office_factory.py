"""Office, OpenDocument and EPUB files generated at test time: .docx, .pptx and .xlsx by
the libraries people's tools are built on (python-docx, python-pptx, openpyxl), .odt and
.epub as the zip of XML parts their specifications define; plus hostile variants."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable


def make_docx(paragraphs: list[str], *, heading: str = "", table: list[list[str]] | None = None,
              title: str = "") -> bytes:
    from docx import Document

    document = Document()
    document.core_properties.title = title
    if heading:
        document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_pptx(slides: list[str], notes: dict[int, str] | None = None) -> bytes:
    """One slide per string (title + body lines); `notes` maps slide index → speaker notes."""
    from pptx import Presentation

    deck = Presentation()
    for index, text in enumerate(slides):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        title, *body = text.splitlines() or [""]
        slide.shapes.title.text = title
        slide.placeholders[1].text = "\n".join(body)
        if notes and index in notes:
            slide.notes_slide.notes_text_frame.text = notes[index]
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def make_xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip(parts: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, body in parts.items():
            package.writestr(name, body)
    return out.getvalue()


def make_odt(body_xml: str, title: str = "") -> bytes:
    """`body_xml`: the `<office:text>` content, with the text: and table: prefixes."""
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    content = (f'<office:document-content xmlns:office="{office}" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               f'office:version="1.3"><office:body><office:text>{body_xml}'
               '</office:text></office:body></office:document-content>')
    meta = (f'<office:document-meta xmlns:office="{office}" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta>'
            f'<dc:title>{title}</dc:title></office:meta></office:document-meta>')
    return _zip({"mimetype": "application/vnd.oasis.opendocument.text",
                 "content.xml": content, "meta.xml": meta})


def make_epub(chapters: list[str], title: str = "A Book") -> bytes:
    """One XHTML chapter per string (its body markup), in spine order."""
    items = "".join(f'<item id="c{n}" href="text/c{n}.xhtml" '
                    'media-type="application/xhtml+xml"/>' for n in range(len(chapters)))
    spine = "".join(f'<itemref idref="c{n}"/>' for n in range(len(chapters)))
    parts: dict[str, str | bytes] = {
        "mimetype": "application/epub+zip",
        "META-INF/container.xml": (
            '<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
            '<rootfiles><rootfile full-path="OEBPS/content.opf" '
            'media-type="application/oebps-package+xml"/></rootfiles></container>'),
        "OEBPS/content.opf": (
            '<package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
            '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<dc:title>{title}</dc:title></metadata><manifest>{items}</manifest>'
            f'<spine>{spine}</spine></package>'),
    }
    for n, body in enumerate(chapters):
        parts[f"OEBPS/text/c{n}.xhtml"] = (
            '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>c</title></head>'
            f'<body>{body}</body></html>')
    return _zip(parts)


def make_huge_deck(slides: int) -> bytes:
    """A deck of `slides` one-line slides, written part by part (python-pptx needs minutes
    for 10,000 slides); the structure PowerPoint reads: presentation.xml lists the slides."""
    p = "http://schemas.openxmlformats.org/presentationml/2006/main"
    a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    rel = "http://schemas.openxmlformats.org/package/2006/relationships"
    ids = "".join(f'<p:sldId id="{256 + n}" r:id="rId{n + 1}"/>' for n in range(slides))
    rels = "".join(f'<Relationship Id="rId{n + 1}" Type="{r}/slide" '
                   f'Target="slides/slide{n + 1}.xml"/>' for n in range(slides))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("ppt/presentation.xml", f'<p:presentation xmlns:p="{p}" '
                         f'xmlns:r="{r}"><p:sldIdLst>{ids}</p:sldIdLst></p:presentation>')
        package.writestr("ppt/_rels/presentation.xml.rels",
                         f'<Relationships xmlns="{rel}">{rels}</Relationships>')
        for n in range(1, slides + 1):
            package.writestr(f"ppt/slides/slide{n}.xml", (
                f'<p:sld xmlns:p="{p}" xmlns:a="{a}"><p:cSld><p:spTree><p:sp><p:txBody>'
                f'<a:p><a:r><a:t>Slide {n} of the long deck: item {n * 7}.</a:t></a:r></a:p>'
                '</p:txBody></p:sp></p:spTree></p:cSld></p:sld>'))
    return out.getvalue()


def zip_bomb_docx(unpacked_mb: int = 600) -> bytes:
    """A .docx whose document.xml inflates to `unpacked_mb` MB of spaces (~1000:1)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        with package.open("word/document.xml", "w", force_zip64=True) as part:
            block = b" " * 2**20
            for _ in range(unpacked_mb):
                part.write(block)
    return out.getvalue()


def many_parts_docx(parts: int) -> bytes:
    """A .docx of `parts` empty parts (short names, stored: 86 bytes each): a bomb by
    count rather than size."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as package:
        for n in range(parts):
            package.writestr(str(n), b"")
    return out.getvalue()


def encrypted_office() -> bytes:
    """What Office writes for a password-protected .docx/.xlsx: an OLE compound file
    holding `EncryptionInfo` and `EncryptedPackage` streams (header and directory names
    only; the loader refuses it from these, before any decryption)."""
    sector = 512
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff"
              + b"\x09\x00").ljust(sector, b"\x00")
    names = [name.encode("utf-16-le").ljust(64, b"\x00") + bytes(64)
             for name in ("Root Entry", "EncryptionInfo", "EncryptedPackage")]
    return header + b"".join(names).ljust(sector * 2, b"\x00") + bytes(sector * 4)


def _rewrite_parts(data: bytes, edit: dict[str, Callable[[bytes], bytes]]) -> bytes:
    """The zip `data` with the parts named in `edit` passed through their function."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info in source.infolist():
            body = source.read(info)
            package.writestr(info.filename, edit[info.filename](body)
                             if info.filename in edit else body)
    return out.getvalue()


def declared_dimension_xlsx(rows: list[list[object]]) -> bytes:
    """A one-sheet workbook ("Parts") whose sheet declares `A1:XFD1048576` and holds `rows`
    plus one cell in that corner: openpyxl's read-only mode trusts the declaration, pads
    every row to 16,384 cells and fills the million missing rows with such rows."""
    def claim(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', xml)
        return xml.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" '
                           b't="inlineStr"><is><t>corner</t></is></c></row></sheetData>')
    return _rewrite_parts(make_xlsx({"Parts": rows}), {"xl/worksheets/sheet1.xml": claim})


def wide_rows_xlsx(rows: int) -> bytes:
    """A sheet of `rows` rows, each with a cell in column A and one in XFD, the last
    column: every row read is 16,384 cells wide, in a file of a few kilobytes."""
    def widen(xml: bytes) -> bytes:
        cells = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="XFD{n}"><v>{n}</v></c>'
                        '</row>' for n in range(1, rows + 1))
        return re.sub(rb"<sheetData>.*</sheetData>|<sheetData/>",
                      f"<sheetData>{cells}</sheetData>".encode(), xml, flags=re.DOTALL)
    return _rewrite_parts(make_xlsx({"Wide": [["n"]]}), {"xl/worksheets/sheet1.xml": widen})


def long_docx(paragraphs: int, length: int = 1000) -> bytes:
    """A .docx of `paragraphs` distinct paragraphs of `length` characters each, written as
    its XML part (python-docx needs minutes for a few thousand)."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    words = " ".join(f"word{n}" for n in range(length))[:length]
    body = "".join(f"<w:p><w:r><w:t>{n} {words}</w:t></w:r></w:p>" for n in range(paragraphs))
    return _zip({"word/document.xml": f'<w:document xmlns:w="{w}"><w:body>{body}'
                                      "</w:body></w:document>"})
