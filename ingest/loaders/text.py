"""Plain text, Markdown, reST and CSV files."""

from __future__ import annotations

import csv
import io
from pathlib import PurePosixPath

from langchain_core.documents import Document

from ingest.loaders.common import (
    LoadContext,
    LoadError,
    content_hash,
    decode_text,
    metadata,
    single,
)


def load_text(
    source: str, data: bytes, context: LoadContext, charset: str | None = None
) -> list[Document]:
    suffix = PurePosixPath(source).suffix.lower()
    mime = "text/markdown" if suffix in {".md", ".markdown"} else "text/plain"
    text = context.budget.text(decode_text(source, data, charset))
    return single(source, text, mime, data, title=None)


def row_lines(header: list[str], row: list) -> list[str]:
    """`header: value` for each non-empty cell of a row (CSV rows, spreadsheet rows)."""
    return [f"{name}: {value}" for name, value in zip(header, row, strict=False)
            if value is not None and str(value).strip()]


def load_csv(
    source: str, data: bytes, context: LoadContext, charset: str | None = None
) -> list[Document]:
    """One document per row, written as `header: value` lines (`row` is 1-based). The
    text's characters and each row's cells are charged to the budget."""
    budget = context.budget
    text = budget.text(decode_text(source, data, charset))
    csv.field_size_limit(len(text) + 1)
    rows = []
    try:
        for row in csv.reader(io.StringIO(text)):
            budget.charge(cells=len(row) or 1)
            if any(c.strip() for c in row):
                rows.append(row)
    except csv.Error as exc:
        raise LoadError(source, f"malformed CSV ({exc})") from None
    if len(rows) < 2:
        raise LoadError(source, "CSV has no data rows")
    header, digest = rows[0], content_hash(data)
    docs = []
    for number, row in enumerate(rows[1:], start=1):
        if lines := row_lines(header, row):
            docs.append(Document("\n".join(lines), metadata=metadata(
                source, "text/csv", digest, row=number)))
    if not docs:
        raise LoadError(source, "CSV has no values under its header")
    return docs
