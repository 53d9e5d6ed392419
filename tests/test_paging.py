"""A store of more than 32,766 records is read whole (Chroma fails one `get` of that many);
filters by source leave out names no chunk can carry."""

from __future__ import annotations

from pathlib import Path

from core.index.paging import get_all, source_filters


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


def test_source_filters_leave_out_names_chroma_refuses(tmp_path: Path) -> None:
    import chromadb

    collection = chromadb.PersistentClient(path=str(tmp_path)).create_collection("few")
    collection.add(ids=["1"], embeddings=[[0.0, 1.0]], metadatas=[{"source": "a.md"}],
                   documents=["a"])
    not_utf8 = b"caf\xe9.md".decode("utf-8", "surrogateescape")  # a Latin-1 file name
    filters = source_filters({"a.md", not_utf8, "tab\there.md"})
    assert filters == [{"source": {"$in": ["a.md"]}}]
    assert get_all(collection, [], filters[0])["ids"] == ["1"]
    assert source_filters({not_utf8}) == []  # nothing to look up: no query at all
