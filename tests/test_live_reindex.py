"""Index changes that running readers survive: a `Resources` follows another process's
`--reindex` and ingest, one question reads one snapshot, and a question whose generation
is deleted under it runs once more on the new one. Fake embeddings; the other process
is a real one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.resources import Resources
from core.settings import Settings
from tests.fakes import HashingEmbeddings
from tests.helpers import ROOT, SAMPLE_DATA

ZORBLAT = "The zorblat fountain in the roastery courtyard is painted teal."
QUOKKA = "The quokka mascot of the roastery is named Pebble."

# `ingest` with the fake embedding, in a process of its own: DATA_DIR CORPUS [reindex|prune]
OTHER_PROCESS = """
import sys
from pathlib import Path
from core.settings import Settings
from ingest.pipeline import ingest_paths
from tests.fakes import HashingEmbeddings

data_dir, corpus, how = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
settings = Settings(_env_file=None, data_dir=data_dir, embedding_model="test:hashing")
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
                           str(corpus), *how], cwd=ROOT, capture_output=True, text=True,
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

    assert "annual leave" in resources.answer_on_one_index(question)
    assert len(read) == 2 and read[0] != read[1] == resources.store().name


def test_a_failure_on_a_live_index_is_not_retried(settings: Settings) -> None:
    resources = Resources(settings, embeddings=HashingEmbeddings())
    calls: list[Resources] = []

    def question(view: Resources) -> str:
        calls.append(view)
        raise ValueError("the model is missing")

    with pytest.raises(ValueError, match="model is missing"):
        resources.answer_on_one_index(question)
    assert len(calls) == 1
