"""The Chroma collection, its record manager and the guard against mixing embedding models."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import DocentError
from ingest.keyword_index import clear_keyword_index
from ingest.sentence_index import delete_sentence_collection

if TYPE_CHECKING:
    from langchain_chroma import Chroma
    from langchain_core.embeddings import Embeddings
    from langchain_core.indexing import RecordManager

    from app.settings import Settings

EMPTY_STORE_HINT = "nothing has been ingested yet: run `python -m app ingest PATH…` first"


def index_fingerprint(settings: Settings) -> dict[str, str | int]:
    """What the stored vectors depend on; a change needs `--reindex`."""
    return {
        "docent_embedding_model": settings.embedding_model,
        "docent_chunk_size": settings.chunk_size,
        "docent_chunk_overlap": settings.chunk_overlap,
        "docent_vectors": "sentence-mean",  # chunk vector = mean of its sentences' vectors
    }


@lru_cache(maxsize=4)
def _persistent_client(path: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(
        path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )


@lru_cache(maxsize=4)
def _http_client(host: str, port: int, ssl: bool, headers: tuple[tuple[str, str], ...]) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.HttpClient(host=host, port=port, ssl=ssl, headers=dict(headers),
                               settings=ChromaSettings(anonymized_telemetry=False))


def collection_names(client: Any) -> set[str]:
    """The names of the client's collections (chromadb returns names or objects)."""
    return {c if isinstance(c, str) else c.name for c in client.list_collections()}


def chroma_url(settings: Settings) -> str:
    scheme = "https" if settings.chroma_ssl else "http"
    return f"{scheme}://{settings.chroma_host}:{settings.chroma_port}"


def chroma_client(settings: Settings) -> Any:
    """A `chroma run` server's HttpClient when DOCENT_CHROMA_HOST is set, else the embedded
    store in DATA_DIR/chroma. The record manager and BM25 index live in DATA_DIR either way."""
    if not settings.chroma_host:
        return _persistent_client(settings.chroma_dir.resolve())
    token, header = settings.chroma_auth_token, settings.chroma_auth_header
    value = f"Bearer {token}" if header == "Authorization" else token
    headers = ((header, value),) if token else ()
    try:
        return _http_client(settings.chroma_host, settings.chroma_port, settings.chroma_ssl,
                            headers)
    except Exception as exc:  # chromadb raises ValueError, httpx errors, auth errors...
        from chromadb.errors import ChromaAuthError

        reason = str(exc).replace(token, "***") if token else str(exc)
        if isinstance(exc, ChromaAuthError):  # the server's 401/403 says only "Forbidden"
            reason = (f"the server refused the token ({reason}): check "
                      "DOCENT_CHROMA_AUTH_TOKEN and DOCENT_CHROMA_AUTH_HEADER" if token else
                      f"the server wants a token ({reason}): set DOCENT_CHROMA_AUTH_TOKEN")
        raise DocentError(f"Chroma server {chroma_url(settings)} (DOCENT_CHROMA_HOST): "
                          f"{reason}") from None


@dataclass
class Store:
    """The vector store and the record manager that keeps it idempotent."""

    vectorstore: Chroma
    record_manager: RecordManager
    settings: Settings

    def count(self) -> int:
        return int(self.vectorstore._collection.count())


def _check_fingerprint(stored: dict | None, settings: Settings) -> None:
    wanted = index_fingerprint(settings)
    stored = {k: v for k, v in (stored or {}).items() if k in wanted}
    if stored and stored != wanted:
        was = ", ".join(f"{k.removeprefix('docent_')}={v}" for k, v in stored.items())
        now = ", ".join(f"{k.removeprefix('docent_')}={v}" for k, v in wanted.items())
        raise DocentError(
            f"collection {settings.collection!r} in {settings.data_dir} was built with {was}; "
            f"the settings now say {now}. Run `python -m app ingest --reindex PATH…` to rebuild "
            "it (vectors of two models are never mixed), or restore the old settings."
        )


def _record_manager(settings: Settings) -> RecordManager:
    from langchain_classic.indexes import SQLRecordManager

    manager = SQLRecordManager(
        namespace=f"chroma/{settings.collection}", db_url=f"sqlite:///{settings.record_db}"
    )
    manager.create_schema()
    return manager


def open_store(
    settings: Settings, embeddings: Embeddings, *, create: bool = False, reindex: bool = False
) -> Store:
    """Open the collection; with `create`, make it (and with `reindex`, empty it first)."""
    from langchain_chroma import Chroma

    if not create and not settings.chroma_host and not settings.chroma_dir.exists():
        raise DocentError(f"{settings.data_dir}: {EMPTY_STORE_HINT}")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    client = chroma_client(settings)
    exists = settings.collection in collection_names(client)
    if exists and reindex:
        clear_keyword_index(settings)
        delete_sentence_collection(settings)
        client.delete_collection(settings.collection)
        manager = _record_manager(settings)
        manager.delete_keys(manager.list_keys())
        exists = False
    if exists:
        _check_fingerprint(client.get_collection(settings.collection).metadata, settings)
    elif not create:
        raise DocentError(f"{settings.data_dir}: {EMPTY_STORE_HINT}")
    else:  # a new collection (first ingest, or the old one deleted, e.g. a server reset):
        stale = _record_manager(settings)  # its records would make every chunk look stored
        stale.delete_keys(stale.list_keys())
    vectorstore = Chroma(
        client=client,
        collection_name=settings.collection,
        embedding_function=embeddings,
        collection_metadata={**index_fingerprint(settings), "hnsw:space": "cosine"},
    )
    return Store(vectorstore=vectorstore, record_manager=_record_manager(settings),
                 settings=settings)

