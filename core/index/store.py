"""The index a process reads and writes: a Chroma collection (embedded or a `chroma run`
server) or, with DOCENT_DATABASE_URL, a generation in PostgreSQL (through
`core.index.postgres.vectorstore`); its record manager; and the guard against mixing
embedding models."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from core.errors import DocentError
from core.index.backend import postgres_backend
from core.index.damage import CHROMA_FIX, RECORDS_FIX, damaged
from core.index.generation import active_collection

if TYPE_CHECKING:
    from langchain_chroma import Chroma
    from langchain_core.embeddings import Embeddings
    from langchain_core.indexing import RecordManager

    from core.index.postgres.backend import PostgresBackend
    from core.index.postgres.vectorstore import PostgresVectorStore
    from core.settings import Settings

# how long a process waits for another to finish making a generation's tables
CREATION_WAIT_S = 120.0
EMPTY_STORE_HINT = "nothing has been ingested yet: run `python -m app ingest PATH…` first"


def index_fingerprint(settings: Settings) -> dict[str, str | int]:
    """What the stored vectors depend on; a change needs `--reindex`."""
    return {
        "docent_embedding_model": settings.embedding_model,
        "docent_chunk_size": settings.chunk_size,
        "docent_chunk_overlap": settings.chunk_overlap,
        "docent_vectors": "sentence-mean",  # chunk vector = mean of its sentences' vectors
    }


_embedded: dict[Path, Any] = {}
_embedded_lock = threading.Lock()


def _persistent_client(path: Path, *, fresh: bool = False) -> Any:
    """The process's client of the embedded store at `path`, or with `fresh` a new one
    for a reader (the process's stays for its writers).

    A client keeps the vector indexes it has loaded: through it, chromadb 1.5's queries
    showed neither the records another process added since nor that process's deletions
    (they came back without text) until a new client was opened. Clients and collections
    handed out before keep working, on what they had loaded."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient
    from chromadb.config import Settings as ChromaSettings

    def new_client() -> Any:
        return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(
            anonymized_telemetry=False, allow_reset=False))

    with _embedded_lock:
        if fresh:  # chromadb keeps one system per path: without it, a new client reads anew
            SharedSystemClient.clear_system_cache()
            return new_client()
        if path not in _embedded:
            _embedded[path] = new_client()
        return _embedded[path]


@lru_cache(maxsize=4)
def _http_client(url: str, headers: tuple[tuple[str, str], ...]) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http(s)://HOST:PORT address")
    ssl = parts.scheme == "https"
    port = parts.port or (443 if ssl else 8000)
    return chromadb.HttpClient(host=parts.hostname, port=port, ssl=ssl, headers=dict(headers),
                               settings=ChromaSettings(anonymized_telemetry=False))


def collection_names(client: Any) -> set[str]:
    """The names of the client's collections (chromadb returns names or objects)."""
    return {c if isinstance(c, str) else c.name for c in client.list_collections()}


def chroma_client(settings: Settings, *, fresh: bool = False) -> Any:
    """A `chroma run` server's HttpClient when DOCENT_CHROMA_URL is set, else the embedded
    store in DATA_DIR/chroma (with `fresh`, a new client of it, which reads what other
    processes wrote since). The record manager and BM25 index live in DATA_DIR either way.

    The token goes in both headers Chroma's token auth may be configured to read
    (`Authorization: Bearer` and `X-Chroma-Token`), so the user sets only the token.
    """
    if not settings.chroma_url:
        try:
            return _persistent_client(settings.chroma_dir.resolve(), fresh=fresh)
        except Exception as exc:  # chromadb raises InternalError for a damaged sqlite file
            raise damaged(settings.chroma_dir, exc, CHROMA_FIX) from None
    token = settings.chroma_token
    headers = (("Authorization", f"Bearer {token}"), ("X-Chroma-Token", token)) if token else ()
    try:
        return _http_client(settings.chroma_url.rstrip("/"), headers)
    except Exception as exc:  # chromadb raises ValueError, httpx errors, auth errors...
        from chromadb.errors import ChromaAuthError

        reason = str(exc).replace(token, "***") if token else str(exc)
        if isinstance(exc, ChromaAuthError):  # the server's 401/403 says only "Forbidden"
            reason = (f"the server refused the token ({reason}): check "
                      "DOCENT_CHROMA_TOKEN" if token else
                      f"the server wants a token ({reason}): set DOCENT_CHROMA_TOKEN")
        raise DocentError(f"Chroma server {settings.chroma_url} (DOCENT_CHROMA_URL): "
                          f"{reason}") from None


@dataclass
class Store:
    """The vector store and the record manager that keeps it idempotent; `name` is the
    generation (Chroma collection) they belong to, `client` the Chroma client it reads
    through (the sentence collection too), or `backend` the PostgreSQL index that holds
    it (then no client)."""

    vectorstore: Chroma | PostgresVectorStore
    settings: Settings
    name: str
    client: Any
    backend: PostgresBackend | None = None

    @cached_property
    def record_manager(self) -> RecordManager:
        """The records, opened on first use: answering never reads them, and opening them
        (SQLAlchemy's import included) took 0.3 s of a cold `ask`."""
        return record_manager(self.settings, self.name)

    @property
    def searched_by_a_server(self) -> bool:
        """Whether a search waits on a database server's process (PostgreSQL), so that a
        question's two searches gain from running at once."""
        return self.backend is not None

    def count(self) -> int:
        if self.backend is not None:
            return self.backend.count(self.name)
        return int(self.vectorstore._collection.count())  # type: ignore[union-attr]


def _check_fingerprint(stored: dict | None, settings: Settings) -> None:
    wanted = index_fingerprint(settings)
    stored = {k: v for k, v in (stored or {}).items() if k in wanted}
    if stored and stored != wanted:
        was = ", ".join(f"{k.removeprefix('docent_')}={v}" for k, v in stored.items())
        now = ", ".join(f"{k.removeprefix('docent_')}={v}" for k, v in wanted.items())
        raise DocentError(
            f"collection {settings.collection!r} in {where_stored(settings)} was built with {was}; "
            f"the settings now say {now}. Run `python -m app ingest --reindex PATH…` to rebuild "
            "it (vectors of two models are never mixed), or restore the old settings."
        )


def record_manager(settings: Settings, name: str | None = None) -> RecordManager:
    """The records of generation `name` (default: the live one)."""
    from langchain_classic.indexes import SQLRecordManager
    from sqlalchemy.exc import SQLAlchemyError

    if (backend := postgres_backend(settings)) is not None:
        return backend.record_manager(name or active_collection(settings))

    manager = SQLRecordManager(
        namespace=f"chroma/{name or active_collection(settings)}",
        db_url=f"sqlite:///{settings.record_db}",
    )
    try:
        manager.create_schema()
    except SQLAlchemyError as exc:  # "file is not a database", a read-only file...
        raise damaged(settings.record_db, getattr(exc, "orig", None) or exc, RECORDS_FIX) from None
    return manager


def nothing_stored(settings: Settings) -> bool:
    """Whether the data dir has no embedded store and names no server: certainly nothing
    ingested, known without opening Chroma."""
    return not (settings.chroma_url or settings.database_url or settings.chroma_dir.exists())


def store_exists(settings: Settings) -> bool:
    """Whether the live collection exists (without creating the embedded store)."""
    if nothing_stored(settings):
        return False
    return active_collection(settings) in generation_names(settings)


def generation_names(settings: Settings) -> set[str]:
    """The names the index's generations (and embedded sentence collections) take."""
    if (backend := postgres_backend(settings)) is not None:
        return backend.generation_names()
    return collection_names(chroma_client(settings))


def where_stored(settings: Settings) -> str:
    """The index's place, for messages: the database (password hidden) or the data dir."""
    if settings.database_url:
        from core.index.postgres.connection import shown_url

        return f"{shown_url(settings.database_url)} (DOCENT_DATABASE_URL)"
    return str(settings.data_dir)


def open_store(settings: Settings, embeddings: Embeddings | None, *, create: bool = False,
               name: str | None = None, fresh: bool = False) -> Store:
    """Open the live collection, or generation `name` (for `--reindex`); with `create`,
    make it when it does not exist; with `fresh`, through a new client (`chroma_client`)."""
    from langchain_chroma import Chroma

    if (backend := postgres_backend(settings)) is not None:
        return _open_postgres(backend, settings, embeddings, create=create, name=name)
    if not create and nothing_stored(settings):
        raise DocentError(f"{settings.data_dir}: {EMPTY_STORE_HINT}")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    name = name or active_collection(settings)
    client = chroma_client(settings, fresh=fresh)
    exists = name in collection_names(client)
    if exists:
        _check_fingerprint(client.get_collection(name).metadata, settings)
    elif not create:
        raise DocentError(f"{settings.data_dir}: {EMPTY_STORE_HINT}")
    else:  # a new collection (first ingest, or the old one deleted, e.g. a server reset):
        stale = record_manager(settings, name)  # its records would make every chunk look stored
        stale.delete_keys(stale.list_keys())
    vectorstore = Chroma(
        client=client,
        collection_name=name,
        embedding_function=embeddings,
        collection_metadata={**index_fingerprint(settings), "hnsw:space": "cosine"},
    )
    store = Store(vectorstore=vectorstore, settings=settings, name=name, client=client)
    if create:
        store.record_manager  # noqa: B018 (damaged records stop an ingest before it writes)
    return store


def _create_postgres(backend: PostgresBackend, settings: Settings, embeddings: Embeddings,
                     name: str) -> None:
    """Make generation `name`, once across processes: two workers starting on an empty
    database both saw it missing, and the later one's wipe of stale records deleted the
    records the earlier one had just written (1 to 53 chunks left unrecorded,
    tests/test_postgres_workers.py)."""
    from core.index.postgres.lock import advisory_lock

    with advisory_lock(backend.url, name, CREATION_WAIT_S, purpose="index creation"):
        if name in backend.generation_names():  # made meanwhile: by the same model?
            _check_fingerprint(backend.fingerprint(name), settings)
            return
        stale = backend.record_manager(name)  # records of a generation dropped by hand
        stale.delete_keys(stale.list_keys())
        backend.create_generation(name, len(embeddings.embed_query("dimensions")))
        backend.set_fingerprint(name, index_fingerprint(settings))


def _open_postgres(backend: PostgresBackend, settings: Settings, embeddings: Embeddings | None,
                   *, create: bool, name: str | None) -> Store:
    """`open_store` on PostgreSQL: a new generation's tables are as wide as one vector of
    `embeddings`, and it keeps the fingerprint `_check_fingerprint` compares."""
    from core.index.postgres.vectorstore import PostgresVectorStore

    name = name or backend.generations().active
    if name in backend.generation_names():
        _check_fingerprint(backend.fingerprint(name), settings)
    elif not create:
        raise DocentError(f"{where_stored(settings)}: {EMPTY_STORE_HINT}")
    else:
        if embeddings is None:
            raise DocentError("a new index needs the embedding model")
        _create_postgres(backend, settings, embeddings, name)
    store = Store(vectorstore=PostgresVectorStore(backend, name, embeddings),
                  settings=settings, name=name, client=None, backend=backend)
    if create:
        store.record_manager  # noqa: B018 (unreachable records stop an ingest before it writes)
    return store
