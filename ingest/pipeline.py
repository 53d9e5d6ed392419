"""Ingest paths into the store: discover → load → split → index (idempotent) → prune."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import DocentError
from ingest.discover import discover
from ingest.loaders import LoadError, load_file
from ingest.report import Failure, IngestReport
from ingest.splitting import make_splitter, split

if TYPE_CHECKING:
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings

    from app.settings import Settings
    from ingest.store import Store


@contextmanager
def ingest_lock(settings: Settings) -> Iterator[None]:
    """One ingest per data directory at a time; a second one waits, then fails clearly."""
    from filelock import FileLock, Timeout

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(settings.data_dir / "ingest.lock")
    try:
        lock.acquire(timeout=settings.lock_timeout)
    except Timeout:
        raise DocentError(
            f"another ingest is running on {settings.data_dir} "
            f"(waited {settings.lock_timeout:.0f} s for {lock.lock_file})"
        ) from None
    try:
        yield
    finally:
        lock.release()


def cached_embeddings(settings: Settings, embeddings: Embeddings) -> Embeddings:
    """Embeddings cached by content hash, so a re-split re-embeds only new text."""
    from langchain_classic.embeddings import CacheBackedEmbeddings

    from ingest.embedding_cache import SQLiteByteStore

    return CacheBackedEmbeddings.from_bytes_store(
        embeddings,
        SQLiteByteStore(settings.data_dir / "embedding_cache.sqlite"),
        namespace=settings.embedding_model,
        batch_size=settings.embedding_batch_size * 4,
        key_encoder="sha256",
    )


def _chunks(files: Iterable[Path], settings: Settings, report: IngestReport) -> Iterator[Document]:
    """Chunks of every loadable file; failures go to the report, the batch goes on."""
    splitter = make_splitter(settings)
    for path in files:
        report.files += 1
        try:
            chunks = split(splitter, load_file(path))
        except LoadError as exc:
            report.failed.append(Failure(exc.path, exc.reason))
            continue
        source = str(path.resolve())
        for chunk in chunks:
            chunk.metadata["source"] = source
        report.files_loaded += 1
        report.chunks += len(chunks)
        yield from chunks


def prune_missing(store: Store, roots: Iterable[Path]) -> int:
    """Delete the chunks of files that no longer exist under `roots`; return how many."""
    prefixes = [str(root.resolve()) for root in roots]
    stored = store.vectorstore.get(include=["metadatas"])
    sources = {meta.get("source", "") for meta in stored["metadatas"] if meta}
    gone = [s for s in sources
            if any(s == p or s.startswith(p.rstrip("/") + "/") for p in prefixes)
            and not Path(s).exists()]
    deleted = 0
    for source in gone:
        keys = store.record_manager.list_keys(group_ids=[source])
        if keys:
            store.vectorstore.delete(keys)
            store.record_manager.delete_keys(keys)
            deleted += len(keys)
    return deleted


def index_chunks(chunks: Iterable[Document], store: Store, report: IngestReport) -> None:
    """Write chunks through the record manager: unchanged ones are skipped, stale ones removed."""
    from langchain_core.indexing import index

    batch = store.settings.embedding_batch_size * 4
    result = index(chunks, store.record_manager, store.vectorstore, cleanup="incremental",
                   source_id_key="source", key_encoder="sha256", batch_size=batch)
    report.added += result["num_added"]
    report.updated += result["num_updated"]
    report.skipped += result["num_skipped"]
    report.deleted += result["num_deleted"]


def open_for_ingest(settings: Settings, *, reindex: bool = False) -> Store:
    """The store with cached embeddings, created if needed (call under `ingest_lock`)."""
    from app.embeddings import embeddings_from
    from ingest.store import open_store

    embeddings = cached_embeddings(settings, embeddings_from(settings))
    return open_store(settings, embeddings, create=True, reindex=reindex)


def ingest_paths(
    roots: list[Path],
    settings: Settings,
    *,
    prune: bool = False,
    reindex: bool = False,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> IngestReport:
    """Ingest files and folders; unchanged files are skipped, changed ones replaced."""
    files = list(discover(roots, include=include, exclude=exclude, skip_dir=settings.data_dir))
    report = IngestReport()
    with ingest_lock(settings):
        store = open_for_ingest(settings, reindex=reindex)
        index_chunks(_chunks(files, settings, report), store, report)
        if prune:
            report.deleted += prune_missing(store, roots)
    return report
