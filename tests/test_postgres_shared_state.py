"""What `serve` replicas and ingest workers share besides the index, in PostgreSQL when
DOCENT_DATABASE_URL is set: chat threads, the answer cache, the embedding cache, and what
`doctor` says of them. Each replica or process has a data directory of its own, so nothing
shared can live there (each test its own collection and thread ids)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.outputs import Generation

from core.errors import DocentError
from core.settings import Settings
from tests.fakes import HashingEmbeddings
from tests.helpers import ROOT, SAMPLE_DATA
from tests.served import API_KEY, in_process, keyed_app

UNREACHABLE = "postgresql://x:secret@127.0.0.1:1/none"
LEAVE = "How many days of paid annual leave do full-time employees get?"
PART_TIME = "What about part-time employees?"
STANDALONE = "How many days of paid annual leave do part-time employees get?"


def _unique() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


def _replica(root: Path, database_url: str, collection: str, **more: Any) -> Settings:
    """A replica's settings: its own data directory, the shared database, the sample
    documents ingested with the fake embedding."""
    from ingest.pipeline import ingest_paths

    settings = Settings(_env_file=None, data_dir=root / "docent-data",
                        embedding_model="test:hashing", answer_cache=False, api_key=API_KEY,
                        database_url=database_url, collection=collection, **more)
    report = ingest_paths([SAMPLE_DATA], settings, model=HashingEmbeddings())
    assert report.exit_code == 0, report.table()
    return settings


def _ask(client: Any, thread: str, question: str) -> dict[str, Any]:
    """The final result of one question in `thread`, streamed by the web app."""
    result: dict[str, Any] = {}
    with client.stream("POST", f"/api/conversations/{thread}/ask", json={"question": question},
                       headers={"authorization": f"Bearer {API_KEY}"}) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                event = json.loads(line[6:])
                assert "error" not in event, event
                result = event.get("result", result)
    return result


def test_a_conversation_started_on_one_replica_continues_on_another(
        database_url: str, tmp_path: Path) -> None:
    collection, thread = _unique(), _unique()
    first = keyed_app(_replica(tmp_path / "a", database_url, collection))
    second = keyed_app(_replica(tmp_path / "b", database_url, collection))
    try:
        assert _ask(in_process(first), thread, LEAVE)["question"] == LEAVE
        other = in_process(second)
        answered = _ask(other, thread, PART_TIME)  # made standalone from the first turn
        assert (answered["asked"], answered["question"]) == (PART_TIME, STANDALONE)
        auth = {"authorization": f"Bearer {API_KEY}"}
        listed = other.get("/api/conversations", headers=auth).json()["conversations"]
        assert {"id": thread, "title": LEAVE} in listed
        messages = in_process(first).get(f"/api/conversations/{thread}",
                                         headers=auth).json()["messages"]
        assert [m["content"] for m in messages if m["role"] == "user"] == [LEAVE, PART_TIME]
        in_process(first).delete(f"/api/conversations/{thread}", headers=auth)
        listed = other.get("/api/conversations", headers=auth).json()["conversations"]
        assert thread not in {c["id"] for c in listed}
    finally:
        first.state.conversations.close()
        second.state.conversations.close()
    for replica in ("a", "b"):
        assert not (tmp_path / replica / "docent-data" / "chat.sqlite").exists()


@pytest.mark.slow  # two processes load the packaged embedding model
def test_docent_chat_continues_a_thread_in_another_process(database_url: str,
                                                           tmp_path: Path) -> None:
    """Two `python -m app chat` runs, each with its own data directory, one thread."""
    from ingest.pipeline import ingest_paths
    from tests.ollama_standin import serve_ollama

    collection, thread = _unique(), _unique()
    with serve_ollama("gemma3:270m", ["Full-time employees get 18 days [1]."]) as ollama:
        replies = []
        for process, question in (("a", LEAVE), ("b", PART_TIME)):
            data_dir = tmp_path / process
            settings = Settings(_env_file=None, data_dir=data_dir, database_url=database_url,
                                collection=collection)
            assert ingest_paths([SAMPLE_DATA], settings).exit_code == 0
            env = {**os.environ, "DOCENT_DATA_DIR": str(data_dir),
                   "DOCENT_DATABASE_URL": database_url, "DOCENT_COLLECTION": collection,
                   "DOCENT_ANSWER_CACHE": "false", "DOCENT_LLM_BACKEND": "ollama",
                   "DOCENT_LLM_MODEL": "gemma3:270m", "DOCENT_LLM_URL": ollama.url,
                   "PYTHONPATH": str(ROOT)}
            done = subprocess.run([sys.executable, "-m", "app", "chat", "--thread", thread,
                                   "--json"], input=question + "\n", capture_output=True,
                                  text=True, cwd=ROOT, env=env, timeout=600)
            assert done.returncode == 0, done.stderr[-2000:]
            replies.append(json.loads(done.stdout))
            assert not (data_dir / "chat.sqlite").exists()
    assert replies[0]["question"] == LEAVE
    assert (replies[1]["asked"], replies[1]["question"]) == (PART_TIME, STANDALONE)


def _run(code: str, database_url: str, collection: str = "docent") -> str:
    """`code` in another Python process on the database; what it printed."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=300,
                          env={**os.environ, "DOCENT_DATABASE_URL": database_url,
                               "DOCENT_COLLECTION": collection, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_an_answer_cached_by_one_process_is_found_by_another(database_url: str,
                                                             tmp_path: Path) -> None:
    from core.llm import answer_cache

    # a prompt of k passages is longer than PostgreSQL indexes (2,704 bytes): LangChain's
    # SQLAlchemyCache failed to store it
    prompt = f"{_unique()} " + "passage text " * 1000
    cache = answer_cache(Settings(_env_file=None, data_dir=tmp_path, database_url=database_url))
    assert not isinstance(cache, bool)
    cache.update(prompt, "llm", [Generation(text="18 days [1].")])
    found = _run("import sys\nfrom core.llm import answer_cache\n"
                 "from core.settings import Settings\n"
                 f"hit = answer_cache(Settings(data_dir={str(tmp_path / 'other')!r}))"
                 f".lookup({prompt!r}, 'llm')\nprint(hit[0].text)", database_url)
    assert found.strip() == "18 days [1]."
    assert cache.lookup(prompt, "another llm") is None
    assert not (tmp_path / "llm_cache.sqlite").exists()


class NeverCalled(Embeddings):
    """An embedding that fails when asked: every vector must come from the cache."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise AssertionError(f"embedded again: {texts}")

    def embed_query(self, text: str) -> list[float]:
        raise AssertionError(f"embedded again: {text}")


def test_embeddings_cached_by_one_process_are_read_by_another(database_url: str,
                                                              tmp_path: Path) -> None:
    from ingest.embedding_cache import cached_embeddings

    texts = [f"{_unique()} one", f"{_unique()} two"]
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url=database_url,
                        embedding_model=f"test:{_unique()}")
    vectors = cached_embeddings(settings, HashingEmbeddings()).embed_documents(texts)
    read = _run("import json\nfrom core.settings import Settings\n"
                "from ingest.embedding_cache import cached_embeddings\n"
                "from tests.test_postgres_shared_state import NeverCalled\n"
                f"settings = Settings(data_dir={str(tmp_path / 'other')!r}, "
                f"embedding_model={settings.embedding_model!r})\n"
                "print(json.dumps(cached_embeddings(settings, NeverCalled())"
                f".embed_documents({texts!r})))", database_url)
    for got, vector in zip(json.loads(read), vectors, strict=True):
        assert got == pytest.approx(vector, abs=1e-6)  # stored as float32
    assert not (tmp_path / "embedding_cache.sqlite").exists()


def test_writers_racing_on_the_same_keys_do_not_fail(database_url: str) -> None:
    """Four writers store the same new keys at once, each in its own order (as ingest
    workers embedding the same texts do), five times over."""
    from core.index.postgres.caches import embedding_store

    store = embedding_store(database_url)
    rounds = [[(f"{_unique()}-{n}", f"vector {n}".encode()) for n in range(2000)]
              for _ in range(5)]
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def write(seed: int) -> None:
        shuffled = random.Random(seed)
        for pairs in rounds:
            mine = shuffled.sample(pairs, len(pairs))
            start.wait()
            try:
                store.mset(mine)
            except BaseException as exc:  # every writer's failure is reported
                failures.append(exc)

    writers = [threading.Thread(target=write, args=(seed,)) for seed in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert failures == []
    for pairs in rounds:
        assert store.mget([key for key, _ in pairs]) == [value for _, value in pairs]


def _one_line_error(command: list[str], tmp_path: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "app", *command], input="hello\n",
                          capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "DOCENT_DATABASE_URL": UNREACHABLE,
                               "DOCENT_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("docent: error")]
    assert "Traceback" not in done.stderr and len(errors) == 1, done.stderr
    assert "secret" not in done.stderr
    return errors[0]


@pytest.mark.parametrize("command", [["chat"], ["serve", "--port", "1"]])
def test_an_unreachable_database_is_one_line_at_start(command: list[str],
                                                      tmp_path: Path) -> None:
    line = _one_line_error(command, tmp_path)
    assert line.startswith("docent: error: PostgreSQL postgresql://x:***@127.0.0.1:1/none "
                           "(DOCENT_DATABASE_URL): "), line


def test_doctor_reports_the_database_and_what_it_holds(database_url: str,
                                                       tmp_path: Path) -> None:
    from app.doctor import check_postgres
    from core.index.backend import Chunk, open_backend
    from core.index.generation import Generations

    collection = _unique()
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url=database_url,
                        embedding_model="test:hashing", collection=collection)
    checks = {check.name: check for check in check_postgres(settings)}
    assert checks["index"].status == "warn" and "nothing ingested" in checks["index"].detail

    backend = open_backend(settings, HashingEmbeddings())
    generation = f"{collection}-g1"
    backend.create_generation(generation, 4)
    backend.add_chunks(generation, [Chunk("c1", "text", [1.0, 0, 0, 0], ["text"])], [])
    backend.write_generations(Generations(generation))
    checks = {check.name: check for check in check_postgres(settings)}
    assert [c.status for c in checks.values()] == ["ok"] * 5, checks
    assert checks["postgresql"].detail.startswith(f"{database_url} reachable (PostgreSQL 17")
    assert checks["extensions"].detail.startswith("pgvector 0.8")
    assert checks["index"].detail == (f"collection {collection!r}, generation "
                                      f"{generation!r}: 1 chunks")
    assert checks["chat checkpoints"].detail == "checkpoints, checkpoint_blobs, checkpoint_writes"


def test_doctor_says_in_one_line_that_the_database_is_unreachable(tmp_path: Path) -> None:
    from app.doctor import check_postgres

    settings = Settings(_env_file=None, data_dir=tmp_path, database_url=UNREACHABLE)
    [check] = check_postgres(settings)  # nothing more is asked of a server that is not there
    assert (check.name, check.status) == ("postgresql", "FAIL")
    assert check.detail.startswith("PostgreSQL postgresql://x:***@127.0.0.1:1/none "
                                   "(DOCENT_DATABASE_URL): ") and "\n" not in check.detail
    assert check.fix.startswith("start the server or fix DOCENT_DATABASE_URL")


def test_an_unreachable_database_is_one_error_for_the_caches(tmp_path: Path) -> None:
    from core.llm import answer_cache
    from ingest.embedding_cache import cached_embeddings

    settings = Settings(_env_file=None, data_dir=tmp_path, database_url=UNREACHABLE)
    for opening in (lambda: answer_cache(settings),
                    lambda: cached_embeddings(settings, HashingEmbeddings())):
        with pytest.raises(DocentError, match=r"^PostgreSQL postgresql://x:\*\*\*@"):
            opening()


def test_an_answer_cache_the_database_fails_is_a_miss_not_an_error(
        database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    from core.index.postgres.caches import PostgresAnswerCache, PostgresByteStore

    store = PostgresByteStore(database_url, f"docent_cache_{_unique()}")
    cache = PostgresAnswerCache(store)
    cache.update("prompt", "llm", [Generation(text="kept")])
    assert [g.text for g in cache.lookup("prompt", "llm") or []] == ["kept"]
    with store.pool.connection() as connection:  # the table gone, as in a restore gone wrong
        connection.execute(f"DROP TABLE {store.table}")
    cache.update("prompt", "llm", [Generation(text="again")])
    assert cache.lookup("prompt", "llm") is None
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        f"the answer cache in {store.table} cannot be written",
        f"the answer cache in {store.table} cannot be read"]


def _open_checkpointer(url: str) -> None:
    from core.index.postgres.checkpoints import postgres_checkpointer

    with postgres_checkpointer(url):
        pass


def _open_caches(url: str) -> None:
    from core.index.postgres.caches import answer_cache, embedding_store

    answer_cache(url)
    embedding_store(url)


@pytest.mark.parametrize("opening", [_open_checkpointer, _open_caches])
def test_replicas_starting_together_make_the_tables_once(opening: Any,
                                                         database_url: str) -> None:
    """Four replicas open the chat checkpointer or the caches at once on a schema without
    their tables: each checkpointer had tried to create them (a unique violation), then
    waited on one another (a deadlock)."""
    import psycopg

    schema = _unique()
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in database_url else "?"
    url = f"{database_url}{separator}options=-csearch_path%3D{schema}"
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def open_one() -> None:
        start.wait()
        try:
            opening(url)
        except BaseException as exc:  # every replica's failure is reported
            failures.append(exc)

    try:
        replicas = [threading.Thread(target=open_one) for _ in range(4)]
        for replica in replicas:
            replica.start()
        for replica in replicas:
            replica.join()
        assert failures == []
    finally:
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")
