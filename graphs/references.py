"""What the answer shows of the documents: its sources and its evidence, with the file and
where in it each passage stands (page, slide, sheet or section)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphs.state import EvidenceRef, Location, PassageRef

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from graphs.evidence import Sentence

# the chunk metadata that says where in its file a chunk stands, as the loaders store it:
# PDF `page`, PPTX `slide` (both 1-based), XLSX `sheet` (its name), EPUB `section` (chapter)
LOCATOR_KEYS = ("page", "slide", "sheet", "section")


def display_path(source: str) -> str:
    """The source relative to the working directory when it lies below it."""
    path = Path(source)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return source


def locator(metadata: Mapping[str, Any]) -> str | None:
    """Where in its file a chunk stands, as shown: "page 4", "slide 3", "sheet Q3",
    "section 2"; None for a file read as one piece (Markdown, HTML, DOCX, ...)."""
    for key in LOCATOR_KEYS:
        if (value := metadata.get(key)) not in (None, ""):
            return f"{key} {value}"
    return None


def cited(name: str, where: str | None) -> str:
    """A source as the reader sees it: "deck.pptx, slide 3", or the name alone."""
    return f"{name}, {where}" if where else name


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
