"""What the answer shows of the documents: its sources and its evidence, with file and page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from graphs.state import EvidenceRef, PassageRef

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


def passage_refs(docs: list[Document]) -> list[PassageRef]:
    return [
        PassageRef(source=display_path(str(doc.metadata.get("source", ""))),
                   page=doc.metadata.get("page"), chunk_id=doc.id,
                   score=round(float(doc.metadata.get("score", 0.0)), 4))
        for doc in docs
    ]


def evidence_refs(sentences: list[Sentence], docs: list[Document]) -> list[EvidenceRef]:
    """The evidence sentences, verbatim, with the passage each comes from ([n] of the sources)."""
    return [
        EvidenceRef(text=s.text, source=display_path(str(docs[s.passage].metadata.get("source",
                                                                                       ""))),
                    page=docs[s.passage].metadata.get("page"), chunk_id=docs[s.passage].id,
                    passage=s.passage + 1)
        for s in sentences
    ]
