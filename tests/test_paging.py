"""Metadata read from a real Chroma collection in pages (chromadb fails above ~32k)."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_all_metadatas_reads_every_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    import chromadb

    import core.index.paging
    from core.index.paging import all_metadatas

    monkeypatch.setattr(core.index.paging, "PAGE", 10)
    collection = chromadb.PersistentClient(path=str(tmp_path)).create_collection("pages")
    assert all_metadatas(collection) == []
    for start, stop in ((0, 20), (20, 25)):  # whole pages, then a part page
        numbers = range(start, stop)
        collection.add(ids=[f"r{n}" for n in numbers],
                       embeddings=[[1.0, float(n)] for n in numbers],
                       metadatas=[{"n": n} for n in numbers])
        assert sorted(m["n"] for m in all_metadatas(collection) if m) == list(range(stop))
