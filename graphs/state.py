"""The RAG graph's state."""

from __future__ import annotations

from typing import Literal

from langchain_core.documents import Document

# typing's TypedDict has no JSON schema in pydantic on Python < 3.12: LangGraph's server
# then gave null input and output schemas (Studio had no input form)
from typing_extensions import TypedDict


class InputState(TypedDict):
    question: str


class Location(TypedDict):
    """Where in its file a passage stands: at most one of page (PDF), slide (PPTX), sheet
    (XLSX, its name) and section (EPUB chapter), and `locator`, that place as shown
    ("slide 3"; None for a file read as one piece)."""

    page: int | None
    slide: int | None
    sheet: str | None
    section: int | None
    locator: str | None


class PassageRef(Location):
    """Where a passage comes from, as the answer's sources list it."""

    source: str
    chunk_id: str | None
    score: float


class EvidenceRef(Location):
    """A sentence that answers the question, verbatim, and where it stands: `passage` is
    its passage's number [n] in the sources."""

    text: str
    source: str
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
