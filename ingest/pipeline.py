"""Ingest paths and URLs into the store: discover → load → split → index (idempotent) → prune."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from app.errors import DocentError
from ingest.discover import discover
from ingest.keyword_index import clear_keyword_index, sync_keyword_index
from ingest.loaders import LoadContext, LoadError, load_file
from ingest.report import Failure, IngestReport
from ingest.sentence_index import SentenceMeanEmbeddings, sync_sentence_index
from ingest.splitting import make_splitter, split
from ingest.web import is_url, load_url, redact

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from app.settings import Settings
    from ingest.store import Store

Source = Path | str
INCOMPLETE = "ingest.incomplete"  # present while an ingest runs; left behind by a killed one


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


def _progress(total: int | None, unit: str, desc: str) -> Any:
    """A tqdm bar on stderr, shown only when stderr is a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, desc=desc, leave=False,
                disable=not sys.stderr.isatty())


class ProgressEmbeddings(Embeddings):
    """Embeds each distinct text of a batch once, advancing a progress bar as it goes."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.bar = _progress(None, "text", "embedding")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        unique = list(dict.fromkeys(texts))
        vectors = dict(zip(unique, self.inner.embed_documents(unique), strict=True))
        self.bar.update(len(texts))
        return [vectors[text] for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def cached_embeddings(settings: Settings, embeddings: Embeddings) -> Embeddings:
    """Embeddings cached by content hash, so a re-split re-embeds only new text."""
    from langchain_classic.embeddings import CacheBackedEmbeddings

    from ingest.embedding_cache import SQLiteByteStore

    return CacheBackedEmbeddings.from_bytes_store(
        ProgressEmbeddings(embeddings),
        SQLiteByteStore(settings.data_dir / "embedding_cache.sqlite"),
        namespace=settings.embedding_model,
        batch_size=settings.embedding_batch_size * 4,
        key_encoder="sha256",
    )


def _load(item: Source, settings: Settings, context: LoadContext) -> list[Document]:
    if isinstance(item, str):
        return load_url(item, settings, context)
    return load_file(item, settings, context)


def stored_files(store: Store) -> dict[str, tuple[set[str], int]]:
    """Source → (content hashes, chunk count) of what is stored, to skip unchanged files."""
    stored: dict[str, tuple[set[str], int]] = {}
    for meta in store.vectorstore.get(include=["metadatas"])["metadatas"]:
        if meta and "source" in meta:
            hashes, count = stored.get(str(meta["source"]), (set(), 0))
            hashes.add(str(meta.get("content_hash")))
            stored[str(meta["source"])] = (hashes, count + 1)
    return stored


def _unchanged(path: Path, stored: dict[str, tuple[set[str], int]]) -> int:
    """Chunks stored for `path` if its bytes are the ones they came from, else 0."""
    try:
        entry = stored.get(str(path.resolve()))
        if entry is None or len(entry[0]) != 1:
            return 0
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop; the loader reports it
        return 0
    return entry[1] if digest in entry[0] else 0


def _chunks(items: list[Source], settings: Settings, report: IngestReport,
            stored: dict[str, tuple[set[str], int]]) -> Iterator[Document]:
    """Chunks of every loadable file or URL; failures go to the report, the batch goes on.

    A file whose bytes match its stored chunks is not parsed again (`stored` is empty
    after an interrupted ingest, so that run checks everything).
    """
    splitter = make_splitter(settings)
    with _progress(len(items), "file", "files") as bar:
        for item in items:
            report.files += 1
            if isinstance(item, Path) and (known := _unchanged(item, stored)):
                report.files_loaded += 1
                report.chunks += known
                report.skipped += known
                bar.update()
                continue
            context = LoadContext(html_selector=settings.html_selector)
            try:
                chunks = split(splitter, _load(item, settings, context))
            except LoadError as exc:
                report.failed.append(Failure(exc.path, exc.reason))
                bar.update()
                continue
            source = redact(item) if isinstance(item, str) else str(item.resolve())
            if not source.isprintable() or not _encodable(source):
                report.failed.append(Failure(repr(source)[1:-1], (
                    "file name is not valid UTF-8 or has control characters: rename it")))
                bar.update()
                continue
            for chunk in chunks:
                chunk.metadata["source"] = source
            report.warnings += [Failure(source, warning) for warning in context.warnings]
            report.files_loaded += 1
            report.chunks += len(chunks)
            yield from chunks
            bar.update()


def prefetched(items: Iterator[Document], depth: int) -> Iterator[Document]:
    """Iterate `items` in a thread, up to `depth` ahead: files load while batches embed."""
    import queue
    import threading

    buffer: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buffer.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put(("done", None))
        except BaseException as exc:  # handed to the consumer, raised there
            buffer.put(("error", exc))

    thread = threading.Thread(target=produce, name="docent-loader", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = buffer.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join(timeout=5)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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


def index_chunks(chunks: Iterable[Document], store: Store, report: IngestReport) -> None:
    """Write chunks through the record manager: unchanged ones are skipped, stale ones removed.

    `scoped_full` cleanup runs once at the end for every source seen, so a file whose chunks
    span several batches is never half-deleted and re-added (as `incremental` would do).
    """
    from langchain_core.indexing import index

    batch = store.settings.embedding_batch_size * 4
    result = index(chunks, store.record_manager, store.vectorstore, cleanup="scoped_full",
                   source_id_key="source", key_encoder="sha256", batch_size=batch)
    report.added += result["num_added"]
    report.updated += result["num_updated"]
    report.skipped += result["num_skipped"]
    report.deleted += result["num_deleted"]


def open_for_ingest(settings: Settings, *, reindex: bool = False) -> Store:
    """The store with cached embeddings, created if needed (call under `ingest_lock`)."""
    from app.embeddings import embeddings_from
    from ingest.store import open_store

    model = embeddings_from(settings)
    embeddings = SentenceMeanEmbeddings(cached_embeddings(settings, model), model)
    return open_store(settings, embeddings, create=True, reindex=reindex)


def _expand(roots: Sequence[Source], settings: Settings, report: IngestReport,
            include: Iterable[str], exclude: Iterable[str]) -> list[Source]:
    """URLs as given, paths expanded by `discover` (a path that does not exist is an error)."""
    items: list[Source] = []
    for root in roots:
        if isinstance(root, str) and is_url(root):
            items.append(root)
        else:
            items += discover([Path(root)], include=include, exclude=exclude,
                              skip_dir=settings.data_dir,
                              on_error=lambda path, reason: report.failed.append(
                                  Failure(str(path), reason)))
    return items


def ingest_paths(
    roots: Sequence[Source],
    settings: Settings,
    *,
    prune: bool = False,
    reindex: bool = False,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> IngestReport:
    """Ingest files, folders and http(s) URLs; unchanged ones are skipped, changed ones replaced."""
    report = IngestReport()
    items = _expand(roots, settings, report, tuple(include), tuple(exclude))
    paths = [Path(root) for root in roots if not (isinstance(root, str) and is_url(root))]
    with ingest_lock(settings):
        marker = settings.data_dir / INCOMPLETE
        interrupted = marker.exists()
        marker.touch()
        store = open_for_ingest(settings, reindex=reindex)
        repaired = repair_interrupted(store)
        if interrupted or repaired:
            clear_keyword_index(settings)  # derived from the store: rebuilt in full below
            report.warnings.append(Failure(str(settings.data_dir), (
                f"an earlier ingest was interrupted: {repaired} orphan records/vectors "
                "removed, keyword index rebuilt, sentence vectors checked")))
        batch = settings.embedding_batch_size * 4
        known = {} if interrupted or repaired or reindex else stored_files(store)
        chunks = _chunks(items, settings, report, known)
        index_chunks(prefetched(chunks, 2 * batch), store, report)
        if prune:
            report.deleted += prune_missing(store, paths)
        sync_keyword_index(store, report)
        sync_sentence_index(store, report, full=interrupted or bool(repaired))
        marker.unlink()
    return report
