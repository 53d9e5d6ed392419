"""Tables as Markdown, so a row's cells stay on one line next to their headers.

PDF tables come from pdfplumber, only on pages whose content stream draws enough
lines and rectangles to hold a ruled table: pdfplumber reads a page ~20× slower than
pypdf, and running it on every page cut PDF loading from 22.6 to 8.7 chunks/s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

# `x y w h re` (a rectangle) and `x y l` (a line segment) in a page's content stream
DRAWING_OPERATOR = re.compile(rb"(?<![A-Za-z])(?:re|l)(?![A-Za-z])")
# A ruled 2×2 table needs 6 segments (or 4 cell rectangles); pages of prose seldom have any.
MIN_DRAWING_OPERATORS = 6


def _cell(value: object) -> str:
    return " ".join(str(value or "").split()).replace("|", "\\|")


def markdown_table(rows: Sequence[Sequence[object]]) -> str:
    """Rows of cells as a Markdown table (the first row as header); a table with one row
    or one column is only its cells' text, one per line (a layout table, not data)."""
    cells = [[_cell(value) for value in row] for row in rows]
    cells = [row for row in cells if any(row)]
    width = max((len(row) for row in cells), default=0)
    if len(cells) < 2 or width < 2:
        return "\n".join(value for row in cells for value in row if value)
    cells = [row + [""] * (width - len(row)) for row in cells]
    lines = ["| " + " | ".join(row) + " |" for row in cells]
    lines.insert(1, "|" + " --- |" * width)
    return "\n".join(lines)


def may_hold_table(page: Any) -> bool:
    """Whether a pypdf page draws enough lines or rectangles to hold a ruled table
    (a byte scan of its content stream, ~1 % of pypdf's own text extraction)."""
    try:
        contents = page.get_contents()
        data = contents.get_data() if contents is not None else b""
    except Exception:  # a damaged stream: its text was read (or not) by pypdf already
        return False
    found = DRAWING_OPERATOR.finditer(data)
    return sum(1 for _, _ in zip(range(MIN_DRAWING_OPERATORS), found, strict=False)) == (
        MIN_DRAWING_OPERATORS)


def page_with_tables(plumber_page: Any) -> str | None:
    """The text of a pdfplumber page with its tables as Markdown, in reading order (text
    above each table, the table, text beside it); None when it holds no table."""
    tables = [t for t in plumber_page.find_tables() if len(t.rows) >= 2]
    if not tables:
        return None
    tables.sort(key=lambda t: t.bbox[1])
    boxes = [t.bbox for t in tables]

    def outside(obj: dict) -> bool:
        x, top = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= x <= x1 and t0 <= top <= t1 for x0, t0, x1, t1 in boxes)

    rest = plumber_page.filter(outside)
    width, height = plumber_page.width, plumber_page.height
    parts, above = [], 0.0
    for table in tables:
        _, top, _, bottom = table.bbox
        parts.append(_text(rest, (0, above, width, top)))
        parts.append(markdown_table(table.extract()))
        parts.append(_text(rest, (0, top, width, bottom)))
        above = max(above, bottom)
    parts.append(_text(rest, (0, above, width, height)))
    return "\n\n".join(part for part in parts if part.strip())


def _text(page: Any, box: tuple[float, float, float, float]) -> str:
    x0, top, x1, bottom = box
    if bottom <= top:
        return ""
    return page.crop((x0, top, x1, bottom), strict=False).extract_text() or ""
