"""The RAG graph's state."""

from __future__ import annotations

from typing import Literal, TypedDict

from langchain_core.documents import Document


class InputState(TypedDict):
    question: str


class PassageRef(TypedDict):
    """Where a passage comes from, as the answer's sources list it."""

    source: str
    page: int | None
    chunk_id: str | None
    score: float


class EvidenceRef(TypedDict):
    """A sentence that answers the question, verbatim, and where it stands: `passage` is
    its passage's number [n] in the sources."""

    text: str
    source: str
    page: int | None
    chunk_id: str | None
    passage: int


class OutputState(TypedDict, total=False):
    answer: str
    answer_kind: Literal["answer", "extracted", "evidence", "refusal"]
    evidence: list[EvidenceRef]
    sources: list[PassageRef]
    refused: bool
    warnings: list[str]
    unsupported: list[str]
    invalid_citations: list[int]
    dropped_passages: list[PassageRef]


class RAGState(InputState, OutputState, total=False):
    """What flows through retrieve → select → find_evidence → generate."""

    candidates: list[Document]
    documents: list[Document]
    selection_mode: str
    draft: str
