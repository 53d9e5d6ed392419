"""Tables as Markdown, so a row's cells stay on one line next to their headers.

PDF tables are found in the same pass that extracts a page's text: pypdf's visitors hand
over every text fragment with its position and every line and rectangle drawn, and a
ruled grid (rules that touch, 3 or more each way) becomes a table. pdfplumber finds the
same tables but parses each page again in pure Python: on debian-reference.pdf, where 218
of 261 pages passed a cheap rule-count pre-filter, it took loading from 12 to ~38 s; the
visitors cost +3-4 % CPU on ../shared/docs' PDFs (pypdf's text is the concatenation of
the fragments, so the rest of the page is kept exactly).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.loaders.common import FileBudget

TOLERANCE = 2.0  # points: thinner than this is a line, not a box
# Rules closer than this are one: a framed code block's double frame (3 pt apart) made a
# sliver column that took each line's first word.
MERGE = 5.0
BASELINE = 3.0  # points: text fragments this close in height are on one line
# The 171 tables of debian-reference.pdf have 53-100 % of their cells filled; the grids
# of lshort-ko.pdf's TikZ figures (which swallowed the text around them) 0-47 %.
MIN_FILLED = 0.5
MIN_RULES = 3  # a 2 × 2 grid has 3 rules (or rule ends) each way
MAX_PAIRS = 250_000  # rule pairs to test for contact; more is a drawing, not a table

Matrix = Sequence[float]
Rule = tuple[float, float, float]  # position, start, end (x of a vertical rule, y0, y1)


def _cell(value: object) -> str:
    return " ".join(str(value or "").split()).replace("|", "\\|")


def markdown_table(rows: Sequence[Sequence[object]]) -> str:
    """Rows of cells as a Markdown table (the first row as header), without empty rows and
    columns. A table with fewer than two rows of two or more values is only its cells'
    text, one per line: a layout table (an icon beside a note), a framed code block."""
    cells = [[_cell(value) for value in row] for row in rows]
    cells = [row for row in cells if any(row)]
    width = max((len(row) for row in cells), default=0)
    cells = [row + [""] * (width - len(row)) for row in cells]
    kept = [n for n in range(width) if any(row[n] for row in cells)]  # drop empty columns
    cells = [[row[n] for n in kept] for row in cells]
    if sum(1 for row in cells if sum(map(bool, row)) >= 2) < 2:  # not a data table
        return "\n".join(value for row in cells for value in row if value)
    width = len(kept)
    lines = ["| " + " | ".join(row) + " |" for row in cells]
    lines.insert(1, "|" + " --- |" * width)
    return "\n".join(lines)


def _apply(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, b * x + d * y + f


@dataclass
class Grid:
    """A ruled table: its column rules (x, left to right) and row rules (y, top down)."""

    xs: list[float]
    ys: list[float]

    def cell(self, x: float, y: float) -> tuple[int, int] | None:
        """(row, column) of a point inside the grid, else None."""
        if not (self.xs[0] - TOLERANCE <= x <= self.xs[-1] and
                self.ys[-1] <= y <= self.ys[0] + TOLERANCE):
            return None
        column = min(max(bisect_right(self.xs, x) - 1, 0), len(self.xs) - 2)
        row = sum(1 for rule in self.ys[1:-1] if y < rule)
        return row, column


@dataclass
class PageLayout:
    """What pypdf's visitors report for one page: text fragments where they start, and
    horizontal and vertical rules (lines, thin rectangles, rectangles' edges). Each
    operator reported charges the file's budget (its clock)."""

    budget: FileBudget
    fragments: list[tuple[float, float, str]] = field(default_factory=list)
    horizontal: list[Rule] = field(default_factory=list)
    vertical: list[Rule] = field(default_factory=list)
    point: tuple[float, float] | None = None

    def on_text(self, text: str, cm: Matrix, tm: Matrix, font: object, size: object) -> None:
        if text:
            x, y = _apply(cm, tm[4], tm[5])
            self.fragments.append((x, y, text))

    def on_operator(self, operator: bytes, operands: list, cm: Matrix, tm: Matrix) -> None:
        self.budget.charge()
        try:
            if operator == b"m":
                self.point = _apply(cm, float(operands[0]), float(operands[1]))
            elif operator == b"l" and self.point is not None:
                end = _apply(cm, float(operands[0]), float(operands[1]))
                self._rule(self.point, end)
                self.point = end
            elif operator == b"re":
                x, y, w, h = (float(value) for value in operands[:4])
                corners = [_apply(cm, x, y), _apply(cm, x + w, y), _apply(cm, x + w, y + h),
                           _apply(cm, x, y + h)]
                for start, end in zip(corners, corners[1:] + corners[:1], strict=True):
                    self._rule(start, end)
        except (ValueError, TypeError, IndexError):  # malformed operands draw nothing
            return

    def _rule(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        (x0, y0), (x1, y1) = start, end
        if abs(y1 - y0) <= TOLERANCE and abs(x1 - x0) > TOLERANCE:
            self.horizontal.append(((y0 + y1) / 2, min(x0, x1), max(x0, x1)))
        elif abs(x1 - x0) <= TOLERANCE and abs(y1 - y0) > TOLERANCE:
            self.vertical.append(((x0 + x1) / 2, min(y0, y1), max(y0, y1)))

    def grids(self) -> list[Grid]:
        """The ruled grids on the page: rules that touch, ≥ 3 distinct each way (counting
        where rules end)."""
        across, down = self.horizontal, self.vertical
        if not across or not down or len(across) * len(down) > MAX_PAIRS:
            return []
        parent = list(range(len(across) + len(down)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i, (y, x0, x1) in enumerate(across):
            for j, (x, y0, y1) in enumerate(down):
                if (x0 - TOLERANCE <= x <= x1 + TOLERANCE
                        and y0 - TOLERANCE <= y <= y1 + TOLERANCE):
                    parent[root(i)] = root(len(across) + j)
        # a rule's ends count as rules too: tables often have no outer vertical rules,
        # their top and bottom rules span the first and last columns
        groups: dict[int, tuple[list[float], list[float]]] = {}
        for i, (y, x0, x1) in enumerate(across):
            xs, ys = groups.setdefault(root(i), ([], []))
            ys.append(y)
            xs += (x0, x1)
        for j, (x, y0, y1) in enumerate(down):
            xs, ys = groups.setdefault(root(len(across) + j), ([], []))
            xs.append(x)
            ys += (y0, y1)
        found = []
        for xs, ys in groups.values():
            columns, rows = _distinct(xs), _distinct(ys)
            if len(columns) >= MIN_RULES and len(rows) >= MIN_RULES:
                found.append(Grid(columns, rows[::-1]))
        return found

    def text_with_tables(self) -> str | None:
        """The page's text with each grid's fragments replaced, where the grid's first
        fragment was, by the grid as a Markdown table; None when there is no table. A grid
        whose cells are mostly empty is a drawing (a plot's grid lines), not a table."""
        grids = self.grids()
        grids = [grid for grid, rows in zip(grids, self._place(grids)[1], strict=True)
                 if _filled(rows) >= MIN_FILLED]
        if not grids:
            return None
        parts, tables = self._place(grids)
        out = [f"\n{markdown_table(tables[part])}\n" if isinstance(part, int) else part
               for part in parts]
        return re.sub(r"\n{3,}", "\n\n", "".join(out))

    def _place(self, grids: list[Grid]) -> tuple[list[str | int], list[list[list[str]]]]:
        """The page as text fragments and grid numbers (where each grid's first fragment
        was), and each grid's rows."""
        placed: list[list[tuple[int, int, float, str]]] = [[] for _ in grids]
        parts: list[str | int] = []
        for x, y, text in self.fragments:
            where = next(((n, spot) for n, grid in enumerate(grids)
                          if (spot := grid.cell(x, y)) is not None), None)
            if where is None:
                parts.append(text)
                continue
            n, (row, column) = where
            if not placed[n]:
                parts.append(n)
            placed[n].append((row, column, y, text))
        return parts, [_rows(cells, len(grid.xs) - 1) for cells, grid in zip(
            placed, grids, strict=True)]


def _filled(rows: list[list[str]]) -> float:
    """The share of non-empty cells, not counting empty rows and columns."""
    rows = [row for row in rows if any(row)]
    columns = [n for n in range(len(rows[0]) if rows else 0) if any(row[n] for row in rows)]
    cells = len(rows) * len(columns)
    return sum(1 for row in rows for n in columns if row[n]) / cells if cells else 0.0


def _rows(placed: list[tuple[int, int, float, str]], width: int) -> list[list[str]]:
    """Table rows from the fragments placed in a grid's (row, column) cells. A grid row
    without rules between its lines (a table ruled only above and below) is cut at each
    text baseline; a line that fills fewer than two cells continues the one above (text
    wrapped inside a cell)."""
    rows: list[list[str]] = []
    for row in sorted({r for r, _, _, _ in placed}):
        here = [(column, y, text) for r, column, y, text in placed if r == row]
        lines = _distinct([y for _, y, _ in here], BASELINE)[::-1]  # top line first
        nearest = [_nearest(lines, y) for _, y, _ in here]
        start = len(rows)
        for number in range(len(lines)):
            cells = [" ".join(text.strip() for (column, _, text), line in zip(
                here, nearest, strict=True) if column == c and line == number)
                for c in range(width)]
            if len(rows) > start and sum(map(bool, cells)) < 2:
                rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]
            else:
                rows.append(cells)
    return rows


def _nearest(lines: list[float], y: float) -> int:
    return min(range(len(lines)), key=lambda n: abs(lines[n] - y))


def _distinct(values: list[float], merge: float = MERGE) -> list[float]:
    """Sorted positions, those within `merge` of the previous one merged."""
    merged: list[float] = []
    for value in sorted(values):
        if not merged or value - merged[-1] > merge:
            merged.append(value)
    return merged
