"""Bring the store back in step: after a killed ingest, and for `--prune`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from core.index.paging import get_all

if TYPE_CHECKING:
    from core.index.store import Store


def repair_interrupted(store: Store) -> int:
    """Make records and vectors agree again after a killed ingest; return what was fixed.

    A kill between the vector write and the record write leaves vectors without records
    (deleted here: a re-run re-adds them from the embedding cache); a kill during cleanup
    leaves records without vectors (deleted here, so the chunk is not wrongly "skipped").
    """
    vector_ids = set(store.vectorstore.get(include=[])["ids"])
    record_ids = set(store.record_manager.list_keys())
    orphan_vectors, orphan_records = vector_ids - record_ids, record_ids - vector_ids
    if orphan_vectors:
        store.vectorstore.delete(sorted(orphan_vectors))
    if orphan_records:
        store.record_manager.delete_keys(sorted(orphan_records))
    return len(orphan_vectors) + len(orphan_records)


def prune_missing(store: Store, roots: Iterable[Path]) -> dict[str, int]:
    """Delete the chunks of files that no longer exist under `roots`; return how many,
    by source.
    Files read through a symlink are stored under the link's path in the folder (see
    `ingest.discover.source_of`), so they are found here too."""
    prefixes = [str(root.resolve()) for root in roots]
    stored = get_all(store.vectorstore, ["metadatas"])
    sources = {meta.get("source", "") for meta in stored["metadatas"] if meta}
    gone = [s for s in sources
            if any(s == p or s.startswith(p.rstrip("/") + "/") for p in prefixes)
            and not Path(s).exists()]
    deleted = {}
    for source in gone:
        keys = store.record_manager.list_keys(group_ids=[source])
        if keys:
            store.vectorstore.delete(keys)
            store.record_manager.delete_keys(keys)
            deleted[source] = len(keys)
    return deleted
