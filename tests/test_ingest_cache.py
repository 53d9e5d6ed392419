"""The embedding cache: a re-split (new chunk settings + --reindex) embeds only new texts
(the sentence pieces of the chunks; MiniLM: mostly-Hangul pieces are skipped)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.embeddings import SentenceTransformerEmbeddings
from core.settings import Settings
from ingest.pipeline import ingest_paths
from tests.helpers import SAMPLE_DATA

pytestmark = pytest.mark.slow


def _texts(settings: Settings) -> set[str]:
    """The distinct texts the stored chunks needed embedded (their sentence pieces)."""
    from core.embeddings import embeddings_from
    from core.index.sentences import embedded_texts
    from core.index.store import open_store

    store = open_store(settings, embeddings_from(settings))
    chunks = store.vectorstore.get(include=["documents"])["documents"]
    return {piece for text in chunks for piece in embedded_texts(text, hangul=False)}


def test_resplit_embeds_only_text_it_has_not_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedded: list[str] = []
    real = SentenceTransformerEmbeddings.embed_documents

    def counting(self: SentenceTransformerEmbeddings, texts: list[str]) -> list[list[float]]:
        embedded.extend(texts)
        return real(self, texts)

    monkeypatch.setattr(SentenceTransformerEmbeddings, "embed_documents", counting)
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE_DATA, corpus)
    first = Settings(_env_file=None, data_dir=tmp_path / "data", chunk_size=600)
    ingest_paths([corpus], first)
    seen = _texts(first)
    assert sorted(embedded) == sorted(seen), "each distinct piece embedded exactly once"

    embedded.clear()
    assert ingest_paths([corpus], first).added == 0
    assert embedded == [], "an unchanged re-ingest embeds nothing"

    resplit = Settings(_env_file=None, data_dir=tmp_path / "data", chunk_size=400)
    report = ingest_paths([corpus], resplit, reindex=True)
    now = _texts(resplit)
    assert report.added == report.chunks
    assert sorted(embedded) == sorted(now - seen), "only texts not embedded before"
    assert now & seen, "the corpus has chunks that both settings produce (CSV rows, short notes)"
