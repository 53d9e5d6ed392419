"""What the answer shows of the documents: its sources and its evidence, with the file and
where in it each passage stands (page, slide, sheet or section)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphs.locator import locator
from graphs.state import EvidenceRef, Location, PassageRef

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from graphs.evidence import Sentence


def display_path(source: str) -> str:
    """The source relative to the working directory when it lies below it."""
    path = Path(source)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return source


def location(metadata: Mapping[str, Any]) -> Location:
    """The chunk's place in its file: each kind of locator (None where it has none) and
    the `locator` text to show."""
    return Location(page=metadata.get("page"), slide=metadata.get("slide"),
                    sheet=metadata.get("sheet"), section=metadata.get("section"),
                    locator=locator(metadata))


def passage_refs(docs: list[Document]) -> list[PassageRef]:
    return [
        PassageRef(source=display_path(str(doc.metadata.get("source", ""))),
                   **location(doc.metadata), chunk_id=doc.id,
                   score=round(float(doc.metadata.get("score", 0.0)), 4))
        for doc in docs
    ]


def evidence_refs(sentences: list[Sentence], docs: list[Document]) -> list[EvidenceRef]:
    """The evidence sentences, verbatim, with the passage each comes from ([n] of the sources)."""
    return [
        EvidenceRef(text=s.text, source=display_path(str(docs[s.passage].metadata.get("source",
                                                                                       ""))),
                    **location(docs[s.passage].metadata), chunk_id=docs[s.passage].id,
                    passage=s.passage + 1)
        for s in sentences
    ]
