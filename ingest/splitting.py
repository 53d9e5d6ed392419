"""Chunking with `RecursiveCharacterTextSplitter`, keeping each chunk's start index."""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_core.documents import Document

if TYPE_CHECKING:
    from langchain_text_splitters import TextSplitter

    from core.settings import Settings


def make_splitter(settings: Settings) -> TextSplitter:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=settings.chunk_size,
        chunk_overlap=min(settings.chunk_overlap, settings.chunk_size // 2),
        add_start_index=True,
        keep_separator="end",
        separators=["\n\n", "\n", ". ", "。", " ", ""],
    )


def split(splitter: TextSplitter, docs: list[Document]) -> list[Document]:
    return [chunk for chunk in splitter.split_documents(docs) if chunk.page_content.strip()]
