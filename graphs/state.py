"""The RAG graph's state."""

from __future__ import annotations

from typing import TypedDict

from langchain_core.documents import Document


class InputState(TypedDict):
    question: str


class Source(TypedDict):
    source: str
    page: int | None
    chunk_id: str | None
    score: float


class OutputState(TypedDict, total=False):
    answer: str
    sources: list[Source]
    refused: bool
    unsupported: list[str]
    invalid_citations: list[int]
    dropped_passages: list[Source]


class RAGState(InputState, OutputState, total=False):
    """What flows through retrieve → rerank → generate."""

    candidates: list[Document]
    documents: list[Document]
    rerank_mode: str
