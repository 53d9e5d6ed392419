"""The RAG graph's state."""

from __future__ import annotations

from typing import TypedDict

from langchain_core.documents import Document


class InputState(TypedDict):
    question: str


class PassageRef(TypedDict):
    """Where a passage comes from, as the answer's sources list it."""

    source: str
    page: int | None
    chunk_id: str | None
    score: float


class OutputState(TypedDict, total=False):
    answer: str
    sources: list[PassageRef]
    refused: bool
    unsupported: list[str]
    invalid_citations: list[int]
    dropped_passages: list[PassageRef]


class RAGState(InputState, OutputState, total=False):
    """What flows through retrieve → select → generate."""

    candidates: list[Document]
    documents: list[Document]
    selection_mode: str
