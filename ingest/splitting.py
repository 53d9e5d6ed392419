"""Chunking with `RecursiveCharacterTextSplitter`, keeping each chunk's start index."""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_core.documents import Document

if TYPE_CHECKING:
    from langchain_text_splitters import TextSplitter

    from core.settings import Settings
    from ingest.loaders.common import FileBudget


def make_splitter(settings: Settings) -> TextSplitter:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=settings.chunk_size,
        chunk_overlap=min(settings.chunk_overlap, settings.chunk_size // 2),
        add_start_index=True,
        keep_separator="end",
        separators=["\n\n", "\n", ". ", "。", " ", ""],
    )


def split(splitter: TextSplitter, docs: list[Document], budget: FileBudget | None = None
          ) -> list[Document]:
    """The non-empty chunks of `docs`; `budget` (the file's) is charged, its clock looked
    at, before each document is cut."""
    chunks = []
    for doc in docs:
        if budget is not None:
            budget.charge()
        chunks += [chunk for chunk in splitter.split_documents([doc])
                   if chunk.page_content.strip()]
    return chunks
