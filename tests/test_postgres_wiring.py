"""With DOCENT_DATABASE_URL set, the index lives in PostgreSQL: `ingest`, `ask` and
`--reindex` run there, processes with different data dirs share it, and nothing of the
index is written to DATA_DIR. Real PostgreSQL (the `database_url` fixture); the embedding
model is the tests' hashing fake (in subprocesses through a sitecustomize hook) and the LLM
the Ollama stand-in, so no result depends on a model."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.pipeline import ingest_paths
from tests.fakes import HashingEmbeddings
from tests.helpers import ROOT, SAMPLE_DATA, free_port
from tests.ollama_standin import serve_ollama

# Imported at start-up (PYTHONPATH): every model load returns the hashing fake.
FAKE_MODEL_HOOK = """
import core.embeddings
from tests.fakes import HashingEmbeddings
core.embeddings.embeddings_from = lambda settings: HashingEmbeddings()
"""
QUESTION = "How many days of paid annual leave do full-time employees get?"
# what the embedded index keeps in DATA_DIR, none of which may appear there on PostgreSQL
INDEX_FILES = ["chroma", "records.sqlite", "bm25", "files.sqlite", "ingest.incomplete"]


@pytest.fixture
def collection(request: pytest.FixtureRequest) -> str:
    """The test's own collection, so tests sharing the database never see each other's."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40]
    return f"{slug}-{uuid.uuid4().hex[:6]}"


def _settings(database_url: str, collection: str, data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, database_url=database_url,
                    collection=collection, embedding_model="test:hashing",
                    answer_cache=False)


def _docent(env: dict[str, str], hook: Path, *args: str) -> subprocess.CompletedProcess[str]:
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(FAKE_MODEL_HOOK)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("DOCENT_")}
    env = {**inherited, **env, "PYTHONPATH": f"{hook}{os.pathsep}{ROOT}", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=600)


def _env(database_url: str, collection: str, data_dir: Path) -> dict[str, str]:
    return {"DOCENT_DATABASE_URL": database_url, "DOCENT_COLLECTION": collection,
            "DOCENT_DATA_DIR": str(data_dir), "DOCENT_EMBEDDING_MODEL": "test:hashing",
            "DOCENT_ANSWER_CACHE": "false"}


def _index_files(data_dir: Path) -> list[str]:
    return sorted(p.name for p in data_dir.iterdir() if p.name in INDEX_FILES
                  or p.name.endswith(".generation.json")) if data_dir.exists() else []


def test_cli_ingest_in_one_data_dir_is_answered_from_another(
        database_url: str, collection: str, tmp_path: Path) -> None:
    writer, reader = tmp_path / "worker-a", tmp_path / "replica-b"
    ingested = _docent(_env(database_url, collection, writer), tmp_path / "hook",
                       "ingest", str(SAMPLE_DATA), "--json")
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["added"] > 0
    assert _index_files(writer) == []

    reply = ["Full-time employees get 18 days", " of paid annual leave [1]."]
    with serve_ollama("gemma3:270m", reply) as ollama:
        answered = _docent({**_env(database_url, collection, reader),
                            "DOCENT_LLM_BACKEND": "ollama", "DOCENT_LLM_MODEL": "gemma3:270m",
                            "DOCENT_LLM_URL": ollama.url}, tmp_path / "hook",
                           "ask", QUESTION, "--json")
    assert answered.returncode == 0, answered.stderr
    result = json.loads(answered.stdout)
    assert Path(result["sources"][0]["source"]).name == "handbook.pdf"
    assert "18 days" in result["evidence"][0]["text"]
    assert _index_files(reader) == []


def test_reingest_of_unchanged_files_stores_nothing_twice(
        database_url: str, collection: str, tmp_path: Path) -> None:
    from core.index.store import open_store

    settings = _settings(database_url, collection, tmp_path / "data")
    first = ingest_paths([SAMPLE_DATA], settings, model=HashingEmbeddings())
    assert first.exit_code == 0 and first.added > 0
    again = ingest_paths([SAMPLE_DATA], _settings(database_url, collection, tmp_path / "other"),
                         model=HashingEmbeddings())
    assert (again.added, again.updated, again.deleted) == (0, 0, 0)
    assert again.skipped == first.added
    store = open_store(settings, HashingEmbeddings())
    assert store.count() == first.added == len(store.record_manager.list_keys())


def test_prune_removes_the_chunks_of_a_deleted_file(
        database_url: str, collection: str, tmp_path: Path) -> None:
    from core.index.store import open_store
    from ingest.catalog import chunk_counts

    folder = tmp_path / "docs"
    shutil.copytree(SAMPLE_DATA, folder)
    settings = _settings(database_url, collection, tmp_path / "data")
    assert ingest_paths([folder], settings, model=HashingEmbeddings()).exit_code == 0
    menu = str(folder / "menu.csv")
    assert menu in chunk_counts(open_store(settings, HashingEmbeddings()))

    (folder / "menu.csv").unlink()
    pruned = ingest_paths([folder], settings, prune=True, model=HashingEmbeddings())
    assert pruned.deleted > 0
    store = open_store(settings, HashingEmbeddings())
    assert menu not in chunk_counts(store)
    assert store.count() == len(store.record_manager.list_keys())


def test_reindex_switch_is_atomic_for_readers_on_two_replicas(
        database_url: str, collection: str, tmp_path: Path) -> None:
    """Two replicas (their own data dirs) search in a loop while another process runs
    `--reindex`: every search of each sees one whole generation, old or new, and each is
    on the new one after the switch."""
    from core.index.generation import read_generations
    from core.resources import Resources
    from graphs.context import Context
    from graphs.options import resolve
    from graphs.retrieval import hybrid_search

    settings = _settings(database_url, collection, tmp_path / "first")
    assert ingest_paths([SAMPLE_DATA], settings, model=HashingEmbeddings()).exit_code == 0
    old = read_generations(settings).active
    replicas = [Resources(_settings(database_url, collection, tmp_path / name),
                          embeddings=HashingEmbeddings()) for name in ("a", "b")]
    opts = resolve(settings, Context())
    seen: dict[int, list[tuple[str, str]]] = {0: [], 1: []}
    errors: list[BaseException] = []
    stop = threading.Event()

    def search(view: Resources) -> tuple[str, str]:
        found = hybrid_search(view.store(), view.keyword_index(), QUESTION, opts)
        return view.store().name, str(found[0].metadata["source"]) if found else ""

    def read(number: int) -> None:
        while not stop.is_set():
            try:
                seen[number].append(replicas[number].on_one_index(search))
            except BaseException as exc:  # any failure of a reader is the finding
                errors.append(exc)

    readers = [threading.Thread(target=read, args=(number,)) for number in seen]
    for reader in readers:
        reader.start()
    try:
        rebuilt = _docent(_env(database_url, collection, tmp_path / "writer"),
                          tmp_path / "hook", "ingest", "--reindex", str(SAMPLE_DATA), "--json")
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert rebuilt.returncode == 0, rebuilt.stderr
    new = read_generations(settings).active
    assert new != old and errors == []
    for number, replica in enumerate(replicas):
        seen[number].append(replica.on_one_index(search))
        assert {name for name, _ in seen[number]} <= {old, new} and seen[number][-1][0] == new
        assert {Path(source).name for _, source in seen[number]} == {"handbook.pdf"}
    assert old not in _generation_names(settings)


def _generation_names(settings: Settings) -> set[str]:
    from core.index.store import generation_names

    return generation_names(settings)


def test_another_embedding_model_is_refused_not_mixed(
        database_url: str, collection: str, tmp_path: Path) -> None:
    from core.errors import DocentError
    from core.index.store import open_store

    settings = _settings(database_url, collection, tmp_path / "data")
    assert ingest_paths([SAMPLE_DATA / "menu.csv"], settings,
                        model=HashingEmbeddings()).exit_code == 0
    other = settings.model_copy(update={"embedding_model": "test:other"})
    with pytest.raises(DocentError, match="--reindex"):
        open_store(other, HashingEmbeddings())


@pytest.mark.parametrize("command", [["ingest", str(SAMPLE_DATA)], ["ask", QUESTION]])
def test_unreachable_database_is_one_line(command: list[str], tmp_path: Path) -> None:
    url = f"postgresql://docent:secret@127.0.0.1:{free_port()}/docent"
    done = _docent(_env(url, "unreachable", tmp_path / "data"), tmp_path / "hook", *command)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "DOCENT_DATABASE_URL" in lines[0] and "***" in lines[0]
    assert "secret" not in done.stderr and "Traceback" not in done.stderr


def test_a_keyword_token_with_spaces_is_kept_whole(database_url: str, collection: str) -> None:
    """kiwipiepy keeps "스탠더드 앤드 푸어스" as one token: the space-joined tokens column must
    not split it, for pg_search and for the bm25s index built from the column alike."""
    from core.index.backend import Chunk
    from core.index.postgres.backend import PostgresBackend
    from core.index.tokens import keyword_tokens

    backend = PostgresBackend(database_url, collection)
    generation = f"{collection}-gen1"
    backend.create_generation(generation, 2)
    text = "스탠더드 앤드 푸어스가 신용등급을 발표했다"
    tokens = keyword_tokens(text, backend.korean(generation))
    assert "@스탠더드 앤드 푸어스" in tokens
    backend.add_chunks(generation, [Chunk("a", text, [1.0, 0.0], tokens),
                                    Chunk("b", "날씨가 맑다", [0.0, 1.0],
                                          keyword_tokens("날씨가 맑다", "bigram"))], [])
    index = backend.keyword_index(generation)
    assert index is not None and "@스탠더드 앤드 푸어스" in index.retriever.vocab_dict
    assert [i for i, _ in backend.keyword_search(generation, "스탠더드 앤드 푸어스", 5)] == ["a"]
    backend.drop_generation(generation)
    backend.close()
