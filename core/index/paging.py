"""Read a whole Chroma collection (or what a filter selects) in pages.

Chroma (1.x, SQLite) fails a `get` of the metadatas or documents of more than 32,766
records at once ("too many SQL variables"): a store of ~4,000 chunks has that many
sentence pieces, and every ingest that changed something then crashed.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

PAGE = 10_000  # records per `get`, well under SQLite's 32,766 variables


def get_all(collection: Any, include: list[str], where: dict[str, Any] | None = None
            ) -> dict[str, list]:
    """`collection.get(include=include, where=where)` of every record (a Chroma collection
    or a LangChain Chroma vector store): "ids" and each included field, in store order."""
    found: dict[str, list] = {"ids": [], **{field: [] for field in include}}
    offset = 0
    while True:
        page = collection.get(include=include, where=where, limit=PAGE, offset=offset)
        for key, values in found.items():
            values += page[key]
        if len(page["ids"]) < PAGE:
            return found
        offset += PAGE


def storable_source(source: str) -> bool:
    """Whether chunks may carry `source`: printable, valid UTF-8 (Chroma refuses a `where`
    holding a lone surrogate, which is how a file name that is not UTF-8 reads)."""
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return source.isprintable()


def source_filters(sources: Collection[str] | None) -> list[dict[str, Any] | None]:
    """`where` filters that together select the chunks of `sources`, in groups of 500
    (SQLite's variable limit again); None selects everything. Sources no chunk can carry
    are left out."""
    if sources is None:
        return [None]
    ordered = sorted(filter(storable_source, sources))
    return [{"source": {"$in": ordered[start:start + 500]}}
            for start in range(0, len(ordered), 500)]
