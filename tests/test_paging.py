"""A store of more than 32,766 records is read whole (Chroma fails one `get` of that many)."""

from __future__ import annotations

from pathlib import Path

from core.index.paging import get_all


def test_get_all_reads_40000_records_that_one_get_cannot(tmp_path: Path) -> None:
    import chromadb

    collection = chromadb.PersistentClient(path=str(tmp_path)).create_collection("many")
    for start in range(0, 40_000, 5_000):
        ids = [str(n) for n in range(start, start + 5_000)]
        collection.add(ids=ids, embeddings=[[0.0, 0.0, 0.0, 1.0]] * len(ids),
                       metadatas=[{"chunk_id": f"c{n}"} for n in ids], documents=ids)
    got = get_all(collection, ["metadatas", "documents"])
    assert len(got["ids"]) == len(set(got["ids"])) == 40_000
    assert {m["chunk_id"] for m in got["metadatas"]} == {f"c{n}" for n in range(40_000)}
    assert got["documents"][got["ids"].index("39999")] == "39999"
