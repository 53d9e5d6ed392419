"""Reading every record's metadata from Chroma, a page at a time."""

from __future__ import annotations

from typing import Any

# chromadb 1.x binds an SQL variable per record when it reads metadatas: a get of 40,000
# records failed with "too many SQL variables" (SQLite allows 32,766), pages of 10,000
# pass. ../shared/docs makes more sentence records than that, so a changed file failed.
PAGE = 10_000


def all_metadatas(collection: Any) -> list[dict[str, Any] | None]:
    """Every record's metadata (of a Chroma collection or LangChain's `Chroma`)."""
    metadatas: list[dict[str, Any] | None] = []
    while True:
        page = collection.get(include=["metadatas"], limit=PAGE,
                              offset=len(metadatas))["metadatas"]
        metadatas += page
        if len(page) < PAGE:
            return metadatas
