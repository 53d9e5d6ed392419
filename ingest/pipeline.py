"""Ingest paths and URLs into the store: discover → load → split → index (idempotent) → prune."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from core.index.keyword import clear_keyword_index, sync_keyword_index
from core.index.sentences import SentenceMeanEmbeddings, sync_sentence_index
from core.tuning import TUNING
from ingest.discover import discover
from ingest.embedding_cache import cached_embeddings
from ingest.loaders import LoadContext, LoadError, load_file
from ingest.lock import LOCK_WAIT_S, ingest_lock
from ingest.prefetch import prefetched
from ingest.progress import progress_bar
from ingest.repair import drop_index, prune_missing, repair_interrupted
from ingest.report import IngestReport, Problem
from ingest.splitting import make_splitter, split
from ingest.web import DEFAULT_URL_LIMITS, UrlLimits, is_url, load_url, redact

if TYPE_CHECKING:
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings

    from core.index.store import Store
    from core.settings import Settings

PathOrUrl = Path | str
INCOMPLETE = "ingest.incomplete"  # present while an ingest runs; left behind by a killed one


def _load(item: PathOrUrl, settings: Settings, limits: UrlLimits, context: LoadContext
          ) -> list[Document]:
    if isinstance(item, str):
        return load_url(item, limits, context)
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


def _chunks(items: list[PathOrUrl], settings: Settings, limits: UrlLimits, report: IngestReport,
            stored: dict[str, tuple[set[str], int]]) -> Iterator[Document]:
    """Chunks of every loadable file or URL; failures go to the report, the batch goes on.

    A file whose bytes match its stored chunks is not parsed again (`stored` is empty
    after an interrupted ingest, so that run checks everything).
    """
    splitter = make_splitter(settings)
    with progress_bar(len(items), "file", "files") as bar:
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
                chunks = split(splitter, _load(item, settings, limits, context))
            except LoadError as exc:
                report.failed.append(Problem(exc.path, exc.reason))
                bar.update()
                continue
            source = redact(item) if isinstance(item, str) else str(item.resolve())
            if not source.isprintable() or not _encodable(source):
                report.failed.append(Problem(repr(source)[1:-1], (
                    "file name is not valid UTF-8 or has control characters: rename it")))
                bar.update()
                continue
            for chunk in chunks:
                chunk.metadata["source"] = source
            report.warnings += [Problem(source, warning) for warning in context.warnings]
            report.files_loaded += 1
            report.chunks += len(chunks)
            yield from chunks
            bar.update()


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def index_chunks(chunks: Iterable[Document], store: Store, report: IngestReport) -> None:
    """Write chunks through the record manager: unchanged ones are skipped, stale ones removed.

    `scoped_full` cleanup runs once at the end for every source seen, so a file whose chunks
    span several batches is never half-deleted and re-added (as `incremental` would do).
    """
    from langchain_core.indexing import index

    batch = TUNING.embedding_batch * 4
    result = index(chunks, store.record_manager, store.vectorstore, cleanup="scoped_full",
                   source_id_key="source", key_encoder="sha256", batch_size=batch)
    report.added += result["num_added"]
    report.updated += result["num_updated"]
    report.skipped += result["num_skipped"]
    report.deleted += result["num_deleted"]


def open_for_ingest(settings: Settings, model: Embeddings | None = None) -> Store:
    """The store with cached embeddings, created if needed (call under `ingest_lock`);
    `model` defaults to the settings' embedding model."""
    from core.embeddings import embeddings_from
    from core.index.store import open_store

    model = model or embeddings_from(settings)
    embeddings = SentenceMeanEmbeddings(cached_embeddings(settings, model), model)
    return open_store(settings, embeddings, create=True)


def _expand(roots: Sequence[PathOrUrl], settings: Settings, report: IngestReport,
            include: Iterable[str], exclude: Iterable[str]) -> list[PathOrUrl]:
    """URLs as given, paths expanded by `discover` (a path that does not exist is an error)."""
    items: list[PathOrUrl] = []
    for root in roots:
        if isinstance(root, str) and is_url(root):
            items.append(root)
        else:
            items += discover([Path(root)], include=include, exclude=exclude,
                              skip_dir=settings.data_dir,
                              on_error=lambda path, reason: report.failed.append(
                                  Problem(str(path), reason)))
    return items


@contextmanager
def indexing(settings: Settings, report: IngestReport, *, reindex: bool = False,
             wait_s: float = LOCK_WAIT_S, model: Embeddings | None = None
             ) -> Iterator[tuple[Store, bool]]:
    """The store to write into, under the ingest lock and the crash marker.

    Before: `--reindex` drops the old index, and what a killed ingest left half-done is
    repaired. Yields the store and whether every file must be checked again (nothing
    stored can be trusted as complete). After: the BM25 and sentence indexes follow the
    chunks, and the marker goes; a kill before that leaves it for the next run to see.
    """
    with ingest_lock(settings, wait_s):
        marker = settings.data_dir / INCOMPLETE
        interrupted = marker.exists()
        marker.touch()
        if reindex:
            drop_index(settings)
        store = open_for_ingest(settings, model)
        repaired = repair_interrupted(store)
        if interrupted or repaired:
            clear_keyword_index(settings)  # derived from the store: rebuilt in full below
            report.warnings.append(Problem(str(settings.data_dir), (
                f"an earlier ingest was interrupted: {repaired} orphan records/vectors "
                "removed, keyword index rebuilt, sentence vectors checked")))
        yield store, bool(interrupted or repaired or reindex)
        changed = bool(report.added or report.updated or report.deleted)
        sync_keyword_index(store, changed=changed)
        sync_sentence_index(store, changed=changed, full=interrupted or bool(repaired))
        marker.unlink()


def ingest_paths(
    roots: Sequence[PathOrUrl],
    settings: Settings,
    *,
    prune: bool = False,
    reindex: bool = False,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    url_limits: UrlLimits = DEFAULT_URL_LIMITS,
    wait_s: float = LOCK_WAIT_S,
    model: Embeddings | None = None,
) -> IngestReport:
    """Ingest files, folders and http(s) URLs; unchanged ones are skipped, changed ones replaced.
    `model` replaces the settings' embedding model (tests use a fake)."""
    report = IngestReport()
    items = _expand(roots, settings, report, tuple(include), tuple(exclude))
    paths = [Path(root) for root in roots if not (isinstance(root, str) and is_url(root))]
    with indexing(settings, report, reindex=reindex, wait_s=wait_s, model=model) as (
            store, check_all):
        known = {} if check_all else stored_files(store)
        chunks = _chunks(items, settings, url_limits, report, known)
        index_chunks(prefetched(chunks, 2 * TUNING.embedding_batch * 4), store, report)
        if prune:
            report.deleted += prune_missing(store, paths)
    return report


def ingest_documents(docs: Iterable[Document], settings: Settings, *, reindex: bool = False,
                     model: Embeddings | None = None) -> IngestReport:
    """Documents already loaded (a benchmark's passages, each with its `source`), split and
    stored by the same steps as files."""
    report = IngestReport()
    with indexing(settings, report, reindex=reindex, model=model) as (store, _):
        index_chunks(split(make_splitter(settings), list(docs)), store, report)
    return report
