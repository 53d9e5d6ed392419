"""Progress of an ingest on a terminal: files read, texts embedded."""

from __future__ import annotations

import sys
from typing import Any

from langchain_core.embeddings import Embeddings


def progress_bar(total: int | None, unit: str, desc: str) -> Any:
    """A tqdm bar on stderr, shown only when stderr is a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, desc=desc, leave=False,
                disable=not sys.stderr.isatty())


class ProgressEmbeddings(Embeddings):
    """Embeds each distinct text of a batch once, advancing a progress bar as it goes."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.bar = progress_bar(None, "text", "embedding")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        unique = list(dict.fromkeys(texts))
        vectors = dict(zip(unique, self.inner.embed_documents(unique), strict=True))
        self.bar.update(len(texts))
        return [vectors[text] for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)
