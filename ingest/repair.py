"""Bring the store back in step: after a killed ingest, and for `--prune`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.index.paging import get_all, source_filters
from ingest.report import IngestReport, Problem
from ingest.source_policy import MISSING, stale_reason

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


def recorded_ids(store: Store, where: dict[str, Any] | None) -> set[str]:
    """The ids of the chunks that have a record, of the sources `where` selects
    (`core.index.paging.source_filters`; None: every source)."""
    group = sorted(where["source"]["$in"]) if where else None
    return set(store.record_manager.list_keys(group_ids=group))


def drop_unrecorded(store: Store, sources: Iterable[str]) -> int:
    """Delete the chunks of `sources` that no record names (a kill between a chunk write
    and its record's left them; an unchanged file's next ingest would re-add them, but a
    changed file's would leave them for good); return how many. Scoped to sources the
    caller just wrote, so a worker writing other files at the same time is not touched.
    Only on PostgreSQL: in a data dir the crash marker makes the next run repair all."""
    if store.backend is None:
        return 0
    orphans: set[str] = set()
    for where in source_filters(sorted(sources)):
        stored = set(store.vectorstore.get(where=where, include=[])["ids"])
        orphans |= stored - recorded_ids(store, where)
    if orphans:
        store.vectorstore.delete(sorted(orphans))
    return len(orphans)


def prune_missing(store: Store, roots: Iterable[Path], report: IngestReport, *,
                  follow_links: bool = False) -> None:
    """Delete the chunks of the files under `roots` that an ingest of them would no longer
    store under their name (`ingest.source_policy.stale_reason`): gone, no longer a file,
    over the size cap, or now leading elsewhere (out of the folder without
    `follow_links`). Each is counted in `report`; all but the gone ones are named in its
    warnings."""
    stored = get_all(store.vectorstore, ["metadatas"])
    sources = {meta.get("source", "") for meta in stored["metadatas"] if meta}
    for root in roots:
        top = root.resolve()
        for source in sorted(s for s in sources
                             if s == str(top) or s.startswith(str(top).rstrip("/") + "/")):
            reason = stale_reason(source, top, follow_links, store.settings)
            if reason is None:
                continue
            keys = store.record_manager.list_keys(group_ids=[source])
            if keys:
                store.vectorstore.delete(keys)
                store.record_manager.delete_keys(keys)
                report.deleted += len(keys)
                report.touched.add(source)
            if reason != MISSING:
                report.warnings.append(Problem(source, reason))
            sources.discard(source)
