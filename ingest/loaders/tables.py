"""Tables as Markdown, so a row's cells stay on one line next to their headers.

PDF tables are found in the same pass that extracts a page's text: pypdf's visitors hand
over every text fragment with its position and every line and rectangle drawn, and a
ruled grid (rules that touch, 3 or more each way) becomes a table. pdfplumber finds the same
tables but parses each page again in pure Python: on ../shared/docs' PDFs that tripled
the load time (23 → 70 s), where the visitors cost ~nothing (pypdf's text is the
concatenation of the fragments, so the rest of the page is kept exactly).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

TOLERANCE = 2.0  # points: thinner than this is a line, not a box
# Rules closer than this are one: a framed code block's double frame (3 pt apart) made a
# sliver column that took each line's first word.
MERGE = 5.0
MIN_RULES = 3  # a 2 × 2 grid has 3 rules (or rule ends) each way
MAX_PAIRS = 250_000  # rule pairs to test for contact; more is a drawing, not a table

Matrix = Sequence[float]
Rule = tuple[float, float, float]  # position, start, end (x of a vertical rule, y0, y1)


def _cell(value: object) -> str:
    return " ".join(str(value or "").split()).replace("|", "\\|")


def markdown_table(rows: Sequence[Sequence[object]]) -> str:
    """Rows of cells as a Markdown table (the first row as header), without empty rows and
    columns; a table with one row or one column is only its cells' text, one per line (a
    layout table or a framed code block, not data)."""
    cells = [[_cell(value) for value in row] for row in rows]
    cells = [row for row in cells if any(row)]
    width = max((len(row) for row in cells), default=0)
    cells = [row + [""] * (width - len(row)) for row in cells]
    kept = [n for n in range(width) if any(row[n] for row in cells)]  # drop empty columns
    cells = [[row[n] for n in kept] for row in cells]
    width = len(kept)
    if len(cells) < 2 or width < 2:
        return "\n".join(value for row in cells for value in row if value)
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
    horizontal and vertical rules (lines, thin rectangles, rectangles' edges)."""

    fragments: list[tuple[float, float, str]] = field(default_factory=list)
    horizontal: list[Rule] = field(default_factory=list)
    vertical: list[Rule] = field(default_factory=list)
    point: tuple[float, float] | None = None

    def on_text(self, text: str, cm: Matrix, tm: Matrix, font: object, size: object) -> None:
        if text:
            x, y = _apply(cm, tm[4], tm[5])
            self.fragments.append((x, y, text))

    def on_operator(self, operator: bytes, operands: list, cm: Matrix, tm: Matrix) -> None:
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
        fragment was, by the grid as a Markdown table; None when there is no grid."""
        grids = self.grids()
        if not grids:
            return None
        cells: list[dict[tuple[int, int], list[str]]] = [{} for _ in grids]
        parts: list[str | int] = []
        for x, y, text in self.fragments:
            where = next(((n, spot) for n, grid in enumerate(grids)
                          if (spot := grid.cell(x, y)) is not None), None)
            if where is None:
                parts.append(text)
                continue
            n, spot = where
            if not cells[n]:
                parts.append(n)
            cells[n].setdefault(spot, []).append(text)
        out = []
        for part in parts:
            if isinstance(part, int):
                grid = grids[part]
                rows = [[" ".join(cells[part].get((r, c), [])) for c in range(len(grid.xs) - 1)]
                        for r in range(len(grid.ys) - 1)]
                out.append(f"\n{markdown_table(rows)}\n")
            else:
                out.append(part)
        return re.sub(r"\n{3,}", "\n\n", "".join(out))


def _distinct(values: list[float]) -> list[float]:
    """Sorted positions, those within MERGE of the previous one merged."""
    merged: list[float] = []
    for value in sorted(values):
        if not merged or value - merged[-1] > MERGE:
            merged.append(value)
    return merged
