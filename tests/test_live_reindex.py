"""Index changes that running readers survive: a `Resources` follows another process's
`--reindex` and ingest, one question reads one snapshot, and a question whose generation
is deleted under it runs once more on the new one. Fake embeddings; the other process
is a real one."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.resources import Resources
from core.settings import Settings
from tests.fakes import HashingEmbeddings
from tests.helpers import ROOT, SAMPLE_DATA, free_port

ZORBLAT = "The zorblat fountain in the roastery courtyard is painted teal."
QUOKKA = "The quokka mascot of the roastery is named Pebble."

# `ingest` with the fake embedding (under the name the store was built with), in a process
# of its own: DATA_DIR CORPUS MODEL_NAME [reindex|prune]
OTHER_PROCESS = """
import sys
from pathlib import Path
from core.settings import Settings
from ingest.pipeline import ingest_paths
from tests.fakes import HashingEmbeddings

data_dir, corpus, name, how = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4:]
settings = Settings(_env_file=None, data_dir=data_dir, embedding_model=name)
report = ingest_paths([corpus], settings, model=HashingEmbeddings(),
                      reindex="reindex" in how, prune="prune" in how)
sys.exit(report.exit_code)
"""


def _settings(data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, embedding_model="test:hashing",
                    answer_cache=False)


def ingest_elsewhere(settings: Settings, corpus: Path, *how: str) -> None:
    """`ingest` (with `--reindex` or `--prune`) run by another process."""
    done = subprocess.run([sys.executable, "-c", OTHER_PROCESS, str(settings.data_dir),
                           str(corpus), settings.embedding_model, *how], cwd=ROOT,
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def ingest_here(settings: Settings, corpus: Path, *, reindex: bool = False) -> None:
    from ingest.pipeline import ingest_paths

    report = ingest_paths([corpus], settings, model=HashingEmbeddings(), reindex=reindex)
    assert report.exit_code == 0, report.table()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE_DATA, folder)
    return folder


@pytest.fixture
def settings(tmp_path: Path, corpus: Path) -> Settings:
    settings = _settings(tmp_path / "docent-data")
    ingest_here(settings, corpus)
    return settings


def best_sentence_text(resources: Resources, question: str) -> str:
    """The texts of the chunks whose sentences rank first for `question` (dense side)."""
    from core.index.sentences import sentence_ranking

    ranked = sentence_ranking(resources.store(), question, 3, None) or []
    return "\n".join(doc.page_content for doc, _ in ranked)


def test_resources_follow_another_process_reindex_and_ingest(settings: Settings,
                                                             corpus: Path) -> None:
    resources = Resources(settings, embeddings=HashingEmbeddings())
    first = resources.store().name
    assert ZORBLAT not in best_sentence_text(resources, "zorblat fountain courtyard")

    (corpus / "zorblat.md").write_text(f"# Courtyard\n\n{ZORBLAT}\n")
    ingest_elsewhere(settings, corpus, "reindex")
    assert resources.store().name != first  # the replaced generation is gone
    assert ZORBLAT in best_sentence_text(resources, "zorblat fountain courtyard")
    keyword = resources.keyword_index()
    assert keyword is not None and keyword.search("zorblat", 1)

    # an ingest of the same generation: its vectors are read through a new client
    (corpus / "zorblat.md").unlink()
    (corpus / "quokka.md").write_text(f"# Mascot\n\n{QUOKKA}\n")
    ingest_elsewhere(settings, corpus, "prune")
    assert QUOKKA in best_sentence_text(resources, "quokka mascot Pebble")
    assert ZORBLAT not in best_sentence_text(resources, "zorblat fountain courtyard")


def test_watch_goes_on_after_another_process_reindex(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """`ingest --watch` (on a thread, fake embeddings as in tests/test_watch.py) keeps its
    folder in step after another process rebuilt the index under it."""
    import core.embeddings
    from tests.test_watch import Running, settings_for, wait_in_sync

    monkeypatch.setattr(core.embeddings, "load_embeddings",
                        lambda model, batch_size: HashingEmbeddings())
    folder, data_dir = tmp_path / "notes", tmp_path / "data"
    folder.mkdir()
    (folder / "coffee.md").write_text("The café roasts Ethiopian beans every Tuesday.")
    running = Running(folder, data_dir)
    wait_in_sync(folder, data_dir, tmp_path, running.log)
    (folder / "leave.txt").write_text("Full-time staff get fifteen days of paid leave.")
    ingest_elsewhere(settings_for(data_dir), folder, "reindex")
    (folder / "hours.md").write_text("The shop opens at eight and closes at six.")
    wait_in_sync(folder, data_dir, tmp_path, running.log)
    assert running.stop() == 0, running.log()


def test_a_client_that_missed_a_deletion_skips_the_deleted_records(settings: Settings,
                                                                   corpus: Path) -> None:
    """While another process's ingest runs, a question's snapshot still reads through the
    client it opened, whose vectors include the chunks that ingest deletes."""
    resources = Resources(settings, embeddings=HashingEmbeddings())
    view = resources.pinned()
    assert "18 days of paid annual leave" in best_sentence_text(view, "paid annual leave")
    (corpus / "handbook.pdf").unlink()
    ingest_elsewhere(settings, corpus, "prune")
    assert "annual leave" not in best_sentence_text(view, "paid annual leave")


def test_a_view_keeps_its_snapshot_while_the_resources_follow(settings: Settings,
                                                              corpus: Path) -> None:
    resources = Resources(settings, embeddings=HashingEmbeddings())
    view = resources.pinned()
    before = view.index()
    ingest_here(settings, corpus, reindex=True)
    assert view.index() is before and view.store() is before.store
    assert view.keyword_index() is before.keyword
    now = resources.index()
    assert now.store.name != before.store.name and now.keyword is not before.keyword
    assert view.embeddings() is resources.embeddings()  # loaded once, shared


def test_a_question_whose_generation_is_deleted_runs_once_more_on_the_new_one(
    settings: Settings, corpus: Path
) -> None:
    resources = Resources(settings, embeddings=HashingEmbeddings())
    read: list[str] = []

    def question(view: Resources) -> str:
        read.append(view.store().name)
        if len(read) == 1:  # a --reindex deletes the generation this run reads
            ingest_here(settings, corpus, reindex=True)
        found = view.store().vectorstore.similarity_search("paid annual leave", k=1)
        return found[0].page_content

    assert "annual leave" in resources.on_one_index(question)
    assert len(read) == 2 and read[0] != read[1] == resources.store().name


def test_a_failure_on_a_live_index_is_not_retried(settings: Settings) -> None:
    resources = Resources(settings, embeddings=HashingEmbeddings())
    calls: list[Resources] = []

    def question(view: Resources) -> str:
        calls.append(view)
        raise ValueError("the model is missing")

    with pytest.raises(ValueError, match="model is missing"):
        resources.on_one_index(question)
    assert len(calls) == 1


ZORBLAT_QUESTION = "What colour is the zorblat fountain in the courtyard?"
LEAVE_QUESTION = "How many days of paid annual leave do full-time employees get?"
AFTER_SWITCH = 5  # questions each door answers once the new generation is live


@dataclass
class Asked:
    """What one door answered: (question, whether it failed, the reply's text, and
    whether the other process's --reindex had finished before the question was sent)."""

    replies: list[tuple[str, bool, str, bool]] = field(default_factory=list)

    def enough(self, done: threading.Event) -> bool:
        after = sum(1 for *_, finished in self.replies if finished)
        return len(self.replies) >= 50 and after >= AFTER_SWITCH and done.is_set()


def _ask_server(url: str, done: threading.Event, asked: Asked) -> None:
    import httpx

    with httpx.Client(base_url=url, timeout=120) as client:
        while not asked.enough(done):
            question = (ZORBLAT_QUESTION, LEAVE_QUESTION)[len(asked.replies) % 2]
            finished = done.is_set()
            reply = client.post("/v1/chat/completions", json={
                "model": "docent", "messages": [{"role": "user", "content": question}]})
            asked.replies.append((question, reply.status_code != 200, reply.text, finished))


async def _ask_mcp(env: dict[str, str], done: threading.Event, asked: Asked) -> None:
    import json

    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    server = StdioServerParameters(command=sys.executable, args=["-m", "app", "mcp"],
                                   cwd=str(ROOT), env=env)
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        while not asked.enough(done):
            question = (ZORBLAT_QUESTION, LEAVE_QUESTION)[len(asked.replies) % 2]
            finished = done.is_set()
            reply = await session.call_tool("ask_documents", {"question": question})
            text = json.dumps(reply.structured_content, ensure_ascii=False) \
                if not reply.is_error else str(reply.content)
            asked.replies.append((question, reply.is_error, text, finished))


@pytest.mark.slow  # the packaged embedding model: the other process is a real `ingest`
def test_serve_and_mcp_answer_throughout_another_process_reindex(tmp_path: Path,
                                                                 corpus: Path) -> None:
    """`serve` and `mcp` answer 50 questions or more each, without an error, while
    `python -m app ingest --reindex` replaces their index in another process; once it is
    done they answer from the new one (a document it added)."""
    from ingest.pipeline import ingest_paths
    from tests.ollama_standin import serve_ollama
    from tests.servers import running_server

    data_dir = tmp_path / "docent-data"
    assert ingest_paths([corpus], Settings(_env_file=None, data_dir=data_dir)).exit_code == 0
    port = free_port()
    # the model's reply names no colour: "teal" can only come from the index's evidence
    with serve_ollama("gemma3:270m", ["The fountain has one colour [1]."]) as ollama:
        env = {**os.environ, "DOCENT_DATA_DIR": str(data_dir), "DOCENT_API_KEY": "",
               "DOCENT_ANSWER_CACHE": "false", "DOCENT_LLM_BACKEND": "ollama",
               "DOCENT_LLM_MODEL": "gemma3:270m", "DOCENT_LLM_URL": ollama.url,
               "PYTHONPATH": str(ROOT)}
        url = f"http://127.0.0.1:{port}"
        with running_server([sys.executable, "-m", "app", "serve", "--port", str(port)],
                            f"{url}/health", tmp_path / "serve.log", timeout=120, cwd=ROOT,
                            env=env):
            done, served, mcp = threading.Event(), Asked(), Asked()
            asking = threading.Thread(target=_ask_server, args=(url, done, served))
            asking.start()
            mcp_asking = threading.Thread(target=asyncio.run,
                                          args=(_ask_mcp(env, done, mcp),))
            mcp_asking.start()
            while len(served.replies) < 5 or len(mcp.replies) < 5:  # both are answering
                assert asking.is_alive() and mcp_asking.is_alive()
                time.sleep(0.2)
            (corpus / "zorblat.md").write_text(f"# Courtyard\n\n{ZORBLAT}\n")
            started = (len(served.replies), len(mcp.replies))
            reindex = subprocess.run([sys.executable, "-m", "app", "ingest", str(corpus),
                                      "--reindex"], cwd=ROOT, env=env, capture_output=True,
                                     text=True, timeout=600)
            during = (len(served.replies) - started[0], len(mcp.replies) - started[1])
            done.set()
            asking.join(timeout=600)
            mcp_asking.join(timeout=600)
            assert reindex.returncode == 0, reindex.stderr[-2000:]
            # `ask` in another process goes through the running server
            asked = subprocess.run([sys.executable, "-m", "app", "ask", ZORBLAT_QUESTION,
                                    "--json"], cwd=ROOT, env=env, capture_output=True,
                                   text=True, timeout=300)
    assert asked.returncode == 0 and "teal" in asked.stdout, asked.stderr[-2000:]
    for door, replies, meanwhile in (("serve", served, during[0]), ("mcp", mcp, during[1])):
        assert len(replies.replies) >= 50 and meanwhile > 0, (door, meanwhile)
        assert [r for r in replies.replies if r[1]] == [], door  # no error, ever
        after = [text for question, _, text, finished in replies.replies
                 if finished and question == ZORBLAT_QUESTION]
        assert after and all("teal" in text for text in after), (door, after)
        first = replies.replies[0]
        assert first[0] == ZORBLAT_QUESTION and "teal" not in first[2], door
