"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING

from core.settings import Settings

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from graphs.context import Context

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "data"
SHARED = ROOT.parent / "shared"


def reset_caches() -> None:
    """Forget the process-wide resources, so the next run reads the settings again."""
    from core.resources import default_resources

    default_resources.cache_clear()


def stored_chunks(settings: Settings) -> dict[str, tuple[str, str]]:
    """chunk id → (source, text) for everything in the collection."""
    from core.embeddings import embeddings_from
    from core.index.store import open_store

    got = open_store(settings, embeddings_from(settings)).vectorstore.get(
        include=["metadatas", "documents"])
    return {i: (m["source"], d) for i, m, d in zip(
        got["ids"], got["metadatas"], got["documents"], strict=True)}


def sentences_in_step(settings: Settings) -> bool:
    """Whether the sentence collection holds exactly the sentences of the stored chunks."""
    from core.embeddings import embeddings_from
    from core.index.sentences import dense_pieces, reads_hangul, sentence_collection
    from core.index.store import open_store

    store = open_store(settings, embeddings_from(settings))
    got = store.vectorstore.get(include=["documents"])
    hangul = reads_hangul(store.vectorstore.embeddings)
    expected = sorted(f"{i}:{n}" for i, text in zip(got["ids"], got["documents"], strict=True)
                      for n in range(len(dense_pieces(text, hangul))))
    sentences = sentence_collection(store)
    held = sorted(sentences.get(include=[])["ids"]) if sentences is not None else []
    return held == expected


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def retrieve_and_select(question: str, ctx: Context) -> tuple[list[Document], list[Document],
                                                              str]:
    """The fused candidates, the passages selected from them, and the selection mode."""
    from graphs.options import run_resources
    from graphs.retrieval import hybrid_search
    from graphs.selection import select_passages

    resources, opts = run_resources(ctx)
    index = resources.keyword_index()
    candidates = hybrid_search(resources.store(), index, question, opts)
    kept, mode = select_passages(question, candidates, index, opts)
    return candidates, kept, mode
