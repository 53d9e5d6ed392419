"""What the index holds, file by file, and taking one file out of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ingest.completeness import stored_files
from ingest.pipeline import indexing
from ingest.report import IngestReport

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from core.index.store import Store
    from core.settings import Settings


def chunk_counts(store: Store) -> dict[str, int]:
    """Source → number of stored chunks."""
    return {source: count for source, (_, count) in sorted(stored_files(store).items())}


def remove_source(settings: Settings, source: str, model: Embeddings | None = None
                  ) -> IngestReport:
    """Delete every chunk of `source` under the ingest lock; the keyword and sentence
    indexes follow as after an ingest. The file itself is not touched."""
    report = IngestReport()
    with indexing(settings, report, model=model) as (store, _):
        keys = store.record_manager.list_keys(group_ids=[source])
        if keys:
            store.vectorstore.delete(keys)
            store.record_manager.delete_keys(keys)
        report.deleted = len(keys)
        report.touched.add(source)
    return report
