"""Ingest paths and URLs into the store: discover → load → split → index (idempotent) → prune."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import DocentError
from core.index.keyword import sync_keyword_index
from core.index.paging import storable_source
from core.index.sentences import SentenceMeanEmbeddings, sync_sentence_index
from core.tuning import TUNING
from ingest.completeness import FileNotes, Stored, stored_files, unchanged
from ingest.crash_marker import INCOMPLETE as INCOMPLETE  # tests name it from here
from ingest.crash_marker import (
    KEYWORD_BEHIND,
    clear_marker,
    mark_keyword_behind,
    mark_writing,
    read_marker,
    records_lost,
)
from ingest.discover import discover, source_of
from ingest.embedding_cache import cached_embeddings
from ingest.loaders import LoadContext, LoadError, load_file
from ingest.lock import LOCK_WAIT_S, ingest_lock
from ingest.prefetch import prefetched
from ingest.progress import HEARTBEAT_S, Heartbeat, progress_bar
from ingest.reindex import abandon_reindex, begin_reindex, clean_leftovers, finish_reindex
from ingest.repair import drop_unrecorded, prune_missing, repair_interrupted
from ingest.report import IngestReport, Problem
from ingest.source_policy import load_upload, upload_name
from ingest.splitting import make_splitter, split
from ingest.web import DEFAULT_URL_LIMITS, UrlLimits, is_url, load_url, redact

if TYPE_CHECKING:
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings

    from core.index.store import Store
    from core.settings import Settings

PathOrUrl = Path | str
Item = tuple[PathOrUrl, str]  # a file or URL, and the `source` its chunks get


def _load(item: PathOrUrl, settings: Settings, limits: UrlLimits, context: LoadContext
          ) -> list[Document]:
    if isinstance(item, str):
        if upload_name(item) is not None:
            return load_upload(item, settings, context)
        return load_url(item, limits, context)
    return load_file(item, settings, context)


def _chunks(items: list[Item], settings: Settings, limits: UrlLimits, report: IngestReport,
            stored: Stored, notes: FileNotes, heartbeat: Heartbeat) -> Iterator[Document]:
    """Chunks of every loadable file or URL; failures go to the report, the batch goes on.

    A file whose stored chunks are all those of its current bytes is not parsed again
    (`stored` is empty after an interrupted ingest, so that run checks everything).
    """
    splitter = make_splitter(settings)
    expected = notes.expected() if stored else {}
    with progress_bar(len(items), "file", "files") as bar:
        for item, source in items:
            report.files += 1
            heartbeat.reading(source)
            if isinstance(item, Path) and (known := unchanged(item, source, stored, expected)):
                report.files_loaded += 1
                report.chunks += known
                report.skipped += known
                _advance(bar, heartbeat)
                continue
            context = LoadContext.reading(str(item) if isinstance(item, Path) else source,
                                          settings)
            try:
                chunks = split(splitter, _load(item, settings, limits, context), context.budget)
            except LoadError as exc:  # OverBudget too: nothing of the file is stored
                report.failed.append(Problem(exc.path, exc.reason))
                _advance(bar, heartbeat)
                continue
            if not storable_source(source):
                report.failed.append(Problem(repr(source)[1:-1], (
                    "file name is not valid UTF-8 or has control characters: rename it")))
                _advance(bar, heartbeat)
                continue
            for chunk in chunks:
                chunk.metadata["source"] = source
            report.warnings += [Problem(source, warning) for warning in context.warnings]
            report.files_loaded += 1
            report.chunks += len(chunks)
            if isinstance(item, Path):
                notes.note(source, chunks)
            yield from chunks
            _advance(bar, heartbeat)


def _advance(bar: Any, heartbeat: Heartbeat) -> None:
    bar.update()
    heartbeat.read()


def index_chunks(chunks: Iterable[Document], store: Store, report: IngestReport) -> None:
    """Write chunks through the record manager: unchanged ones are skipped, stale ones removed.

    `scoped_full` cleanup runs once at the end for every source seen, so a file whose chunks
    span several batches is never half-deleted and re-added (as `incremental` would do).
    """
    from langchain_core.indexing import index

    def noted(chunks: Iterable[Document]) -> Iterator[Document]:
        for chunk in chunks:
            report.touched.add(chunk.metadata["source"])
            yield chunk

    batch = TUNING.embedding_batch * 4
    result = index(noted(chunks), store.record_manager, store.vectorstore, cleanup="scoped_full",
                   source_id_key="source", key_encoder="sha256", batch_size=batch)
    report.added += result["num_added"]
    report.updated += result["num_updated"]
    report.skipped += result["num_skipped"]
    report.deleted += result["num_deleted"]


def open_for_ingest(settings: Settings, model: Embeddings | None = None,
                    name: str | None = None) -> Store:
    """The live store (or generation `name`) with cached embeddings, created if needed
    (call under `ingest_lock`); `model` defaults to the settings' embedding model."""
    from core.embeddings import embeddings_from
    from core.index.store import open_store

    model = model or embeddings_from(settings)
    embeddings = SentenceMeanEmbeddings(cached_embeddings(settings, model), model)
    return open_store(settings, embeddings, create=True, name=name)


def check_model(settings: Settings, model: Embeddings) -> None:
    """Embed one query, so a model that does not load fails before anything is touched
    (a query: MiniLM then loads without torch, and nothing reaches the embedding cache)."""
    try:
        model.embed_query("docent checks that the embedding model loads")
    except Exception as exc:  # sentence-transformers raises OSError, ValueError...
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DocentError(f"embedding model {settings.embedding_model!r} "
                          f"(DOCENT_EMBEDDING_MODEL) does not load: {reason}") from None


def expand_roots(roots: Sequence[PathOrUrl], settings: Settings, report: IngestReport,
            include: Iterable[str], exclude: Iterable[str], follow_links: bool
            ) -> tuple[list[Item], list[Path]]:
    """URLs and uploads in the database (`upload://NAME`) as given, paths expanded by
    `discover` (a missing one is a failure), each with its `source`; and the paths that
    exist."""
    items: list[Item] = []
    paths: list[Path] = []
    for root in roots:
        if isinstance(root, str) and upload_name(root) is not None:  # read like a URL
            items.append((root, root))
            continue
        if isinstance(root, str) and is_url(root):
            try:
                items.append((root, redact(root)))
            except ValueError as exc:  # urlsplit: "Invalid IPv6 URL", a bad port...
                report.failed.append(Problem(root, f"not a valid URL ({exc})"))
            continue
        if problem := _not_a_document_path(root, settings):
            report.failed.append(Problem(repr(str(root)) if not str(root) else str(root),
                                         problem))
            continue
        path = Path(root)
        found = list(discover(
            [path], include=include, exclude=exclude, skip_dir=settings.data_dir,
            follow_links=follow_links,
            on_error=lambda p, why: report.failed.append(Problem(str(p), why)),
            on_skip=lambda p, why: report.skipped_files.append(Problem(str(p), why))))
        items += [(file, source_of(file, path)) for file in found]
        if not found and path.is_dir():  # a typo in --include must not look like success
            report.warnings.append(Problem(str(path), "no file to read here" + (
                " matches --include/--exclude" if include or exclude else "")))
        if path.exists() or path.is_symlink():
            paths.append(path)
    return items, paths


def _not_a_document_path(root: PathOrUrl, settings: Settings) -> str | None:
    """Why `root` must not be read at all: an empty name (Path("") is the current folder),
    or docent's own data dir (but for the files uploaded through `serve`)."""
    if not str(root).strip():
        return "an empty path: name a file or folder ('.' for the current folder)"
    data_dir, resolved = settings.data_dir.resolve(), Path(root).resolve()
    uploads = settings.uploads_dir.resolve()
    if resolved == uploads or uploads in resolved.parents:
        return None
    if resolved == data_dir or data_dir in resolved.parents:
        return "this is docent's own data dir (DOCENT_DATA_DIR), not documents"
    return None


@contextmanager
def indexing(settings: Settings, report: IngestReport, *, reindex: bool = False,
             wait_s: float = LOCK_WAIT_S, model: Embeddings | None = None,
             keyword_later: bool = False, merge_later: bool = False
             ) -> Iterator[tuple[Store, bool]]:
    """The store to write into, under the ingest lock and the crash marker.

    Before: the model is checked when a collection is to be made, what a dead run left is
    removed or repaired, and `--reindex` starts a new generation beside the live one.
    Yields the store and whether every file must be checked again (nothing stored can be
    trusted as complete). After: the sentence and BM25 indexes follow the chunks, a new
    generation goes live, and the marker goes; a kill before that leaves it for the next
    run to see. `keyword_later` leaves the BM25 rebuild to `catch_up_keywords` (the
    marker says so), so that a `--watch` change is searchable without waiting for it.
    On PostgreSQL a large ingest ends by merging the keyword index's segments (before a
    new generation goes live), unless `merge_later` (a queue worker merges once the queue
    is empty, not after each file).
    """
    from core.embeddings import embeddings_from
    from core.index.store import store_exists

    model = model or embeddings_from(settings)
    existed = store_exists(settings)
    if reindex or not existed:
        check_model(settings, model)
    with ingest_lock(settings, wait_s, shared=not reindex):
        clean_leftovers(settings)
        left = read_marker(settings)
        interrupted, keyword_behind = left not in (None, KEYWORD_BEHIND), left is not None
        lost = existed and records_lost(settings)
        mark_writing(settings)
        name = begin_reindex(settings) if reindex else None
        try:
            store = open_for_ingest(settings, model, name)
            # without a marker, records and vectors agree: reading every id to check took
            # 1.2 s of a one-file batch on 4,019 chunks (load 8)
            repaired = repair_interrupted(store) if interrupted or lost else 0
            full = bool(interrupted or repaired)
            if full:
                cause = (f"{settings.record_db.name} was missing (deleted by hand?)"
                         if lost else "an earlier ingest was interrupted")
                report.warnings.append(Problem(str(settings.data_dir), (
                    f"{cause}: {repaired} orphan records/vectors removed, keyword index "
                    "rebuilt, sentence vectors checked")))
            yield store, full or reindex
            drop_unrecorded(store, report.touched)
            changed = bool(report.added or report.updated or report.deleted)
            sync_sentence_index(store, changed=changed, full=full, sources=report.touched)
            later = keyword_later and name is None and (changed or full or keyword_behind)
            if not later:
                # the live BM25 index serves until its rebuild replaces it (never cleared)
                sync_keyword_index(store, changed=changed or full or keyword_behind)
        except BaseException:
            if name is not None:
                with suppress(Exception):  # the next ingest retries (`clean_leftovers`)
                    abandon_reindex(settings, name)
            raise
        if name is not None:
            merge_keyword_segments(settings, name, report.written, report, live=False)
            finish_reindex(settings, name)
        if later:
            mark_keyword_behind(settings)
        else:
            clear_marker(settings)
    if name is None and not merge_later:  # out of the lock: see merge_segments
        merge_keyword_segments(settings, store.name, report.written, report)


def merge_keyword_segments(settings: Settings, generation: str, written: int,
                           report: IngestReport, *, live: bool = True) -> None:
    """On PostgreSQL, after `written` chunks went into `generation` (`live`: one searches
    may read): merge its keyword index's segments when that many call for it
    (core.index.postgres.maintenance); a failure is a warning, never a failed ingest."""
    if not settings.database_url:
        return
    from core.index.postgres.maintenance import merge_after_ingest
    from core.index.store import where_stored

    if warning := merge_after_ingest(settings.database_url, generation, written, live=live):
        report.warnings.append(Problem(where_stored(settings), warning))


def catch_up_keywords(settings: Settings, model: Embeddings | None = None,
                      wait_s: float = LOCK_WAIT_S) -> bool:
    """Rebuild the BM25 index that `indexing(keyword_later=True)` left behind; return
    whether there was one to rebuild. Until it is replaced the old index serves (it may
    miss the newest chunks; ids of deleted ones are dropped at query time), so dense
    search finds a change first and keyword search a rebuild later: on 4,019 chunks
    1.1 s median at load 4.6 (`bench/watch.py`), 3.8–5.0 s at load 7.7, longer than the
    rest of a one-file batch. It writes only the data dir's BM25 files (on PostgreSQL there
    is none to rebuild), so it need not hold the lock alone."""
    with ingest_lock(settings, wait_s, shared=True):
        if read_marker(settings) != KEYWORD_BEHIND:
            return False
        sync_keyword_index(open_for_ingest(settings, model), changed=True)
        clear_marker(settings)
        return True


def ingest_paths(
    roots: Sequence[PathOrUrl],
    settings: Settings,
    *,
    prune: bool = False,
    reindex: bool = False,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    follow_links: bool = False,
    url_limits: UrlLimits = DEFAULT_URL_LIMITS,
    wait_s: float = LOCK_WAIT_S,
    model: Embeddings | None = None,
    heartbeat_s: float = HEARTBEAT_S,
) -> IngestReport:
    """Ingest files, folders and http(s) URLs; unchanged ones are skipped, changed ones replaced.
    A path that does not exist is a failure, the rest goes on; `follow_links` reads
    symlinks in folders that lead outside them. `model` replaces the settings' embedding
    model (tests use a fake); `heartbeat_s` is how often a progress line goes to stderr
    when it is not a terminal."""
    report = IngestReport()
    items, paths = expand_roots(roots, settings, report, tuple(include), tuple(exclude),
                           follow_links)
    if not (items or paths) and report.failed:
        return report  # nothing given exists: no model to load, nothing to open
    # prune only under paths that exist: an unmounted drive must not empty the index
    return ingest_items(items, settings, report, prune_under=paths if prune else (),
                        reindex=reindex, url_limits=url_limits, wait_s=wait_s, model=model,
                        heartbeat_s=heartbeat_s, follow_links=follow_links)


def ingest_items(
    items: Sequence[Item],
    settings: Settings,
    report: IngestReport,
    *,
    prune_under: Sequence[Path] = (),
    reindex: bool = False,
    url_limits: UrlLimits = DEFAULT_URL_LIMITS,
    wait_s: float = LOCK_WAIT_S,
    model: Embeddings | None = None,
    heartbeat_s: float = HEARTBEAT_S,
    keyword_later: bool = False,
    merge_later: bool = False,
    follow_links: bool = False,
) -> IngestReport:
    """Ingest files and URLs, each with its `source` (`ingest.discover.source_of`), then
    delete the chunks of files under `prune_under` that are gone or now lead elsewhere
    (`ingest.repair.prune_missing`); `report` is filled in. `keyword_later` and
    `merge_later`: see `indexing`."""
    with Heartbeat(len(items), heartbeat_s) as heartbeat, indexing(
            settings, report, reindex=reindex, wait_s=wait_s, model=model,
            keyword_later=keyword_later, merge_later=merge_later) as (store, check_all):
        known = {} if check_all else stored_files(store, {source for _, source in items})
        notes = FileNotes(settings, store.name)
        chunks = _chunks(list(items), settings, url_limits, report, known, notes, heartbeat)
        index_chunks(prefetched(chunks, 2 * TUNING.embedding_batch * 4), store, report)
        if prune_under:
            prune_missing(store, prune_under, report, follow_links=follow_links)
    return report


def ingest_documents(docs: Iterable[Document], settings: Settings, *, reindex: bool = False,
                     model: Embeddings | None = None) -> IngestReport:
    """Documents already loaded (a benchmark's passages, each with its `source`), split and
    stored by the same steps as files."""
    report = IngestReport()
    with indexing(settings, report, reindex=reindex, model=model) as (store, _):
        index_chunks(split(make_splitter(settings), list(docs)), store, report)
    return report
