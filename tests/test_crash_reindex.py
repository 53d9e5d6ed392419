"""kill -9 of a real `python -m app ingest --reindex` at its dangerous points: the old index
serves untouched until the new one is complete and live, and the next run completes and
leaves one generation. And kill -9 while a big file is half stored: the file is completed
later even after an ingest of another folder cleared the crash marker."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import DocentError
from core.settings import Settings
from ingest.pipeline import INCOMPLETE, ingest_paths
from tests.helpers import ROOT, SAMPLE_DATA, sentences_in_step

pytestmark = pytest.mark.slow

# Imported by Python at start-up (PYTHONPATH), it SIGKILLs the process at DOCENT_KILL_POINT.
KILL_HOOK = '''
import os, signal

def _wrap(owner, name, nth, after):
    original, calls = getattr(owner, name), [0]
    def wrapper(*args, **kwargs):
        calls[0] += 1
        if not after and calls[0] >= nth:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if after and calls[0] >= nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    setattr(owner, name, wrapper)

import dataclasses, core.tuning  # batches of 16 chunks: kills fall in the middle of the work
core.tuning.TUNING = dataclasses.replace(core.tuning.TUNING, embedding_batch=4)

point = os.environ.get("DOCENT_KILL_POINT", "")
if point == "half-written":  # the new generation (or a big file) is partly stored
    import langchain_chroma
    _wrap(langchain_chroma.Chroma, "add_documents", int(os.environ["DOCENT_KILL_NTH"]), True)
elif point == "after-switch":  # the pointer names the new generation; the old is not deleted
    import ingest.reindex
    _wrap(ingest.reindex, "write_generations", 2, after=True)
'''
RESPLIT = {"chunk_size": 300, "chunk_overlap": 50}


def _settings(data_dir: Path, **changes: object) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, **changes)  # type: ignore[arg-type]


def snapshot(settings: Settings) -> dict[str, object]:
    """Chunk id → (source, text), records and BM25 ids of the live index; it must open."""
    from core.embeddings import embeddings_from
    from core.index.keyword import _loaded, load_keyword_index
    from core.index.store import open_store

    store = open_store(settings, embeddings_from(settings))
    got = store.vectorstore.get(include=["metadatas", "documents"])
    _loaded.clear()  # what a new process reads
    keyword = load_keyword_index(settings)
    assert sentences_in_step(settings), "sentence vectors out of step with the chunks"
    return {"chunks": {i: (m["source"], d) for i, m, d in zip(
                got["ids"], got["metadatas"], got["documents"], strict=True)},
            "records": sorted(store.record_manager.list_keys()),
            "keyword": sorted(keyword.ids) if keyword else None}


def one_generation(settings: Settings) -> None:
    """Nothing of another generation is left: two collections (chunks, sentences), one
    BM25 root, records of the live namespace only."""
    import sqlite3

    from core.index.generation import active_collection
    from core.index.store import chroma_client, collection_names

    live = active_collection(settings)
    assert collection_names(chroma_client(settings)) == {live, f"{live}-sentences"}
    assert [p.name for p in (settings.data_dir / "bm25").iterdir()] == [live]
    with sqlite3.connect(settings.record_db) as db:
        spaces = {row[0] for row in db.execute("SELECT DISTINCT namespace FROM upsertion_record")}
    assert spaces == {f"chroma/{live}"}


def _killed_ingest(data_dir: Path, args: list[str], point: str, hook_dir: Path,
                   **env: str) -> None:
    environ = {**os.environ, "DOCENT_DATA_DIR": str(data_dir), "DOCENT_KILL_POINT": point,
               "PYTHONPATH": f"{hook_dir}{os.pathsep}{ROOT}", **env}
    done = subprocess.run([sys.executable, "-m", "app", "ingest", *args], cwd=ROOT,
                          env=environ, capture_output=True, text=True, timeout=600)
    assert done.returncode == -signal.SIGKILL, (point, done.returncode, done.stderr[-2000:])


@pytest.fixture
def hook_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "hook"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(KILL_HOOK)
    return folder


def test_kill_9_during_reindex_keeps_the_old_index_serving(tmp_path: Path,
                                                           hook_dir: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE_DATA, corpus)
    stage = tmp_path / "stage"
    assert ingest_paths([corpus], _settings(stage)).exit_code == 0
    old = snapshot(_settings(stage))
    reference = tmp_path / "reference"
    shutil.copytree(stage, reference)
    assert ingest_paths([corpus], _settings(reference, **RESPLIT), reindex=True).exit_code == 0
    new = snapshot(_settings(reference, **RESPLIT))
    assert len(new["chunks"]) > 16, "two batches: the kill falls mid-build"  # type: ignore[arg-type]
    resplit_env = {"DOCENT_CHUNK_SIZE": "300", "DOCENT_CHUNK_OVERLAP": "50"}

    half = tmp_path / "half-written"
    shutil.copytree(stage, half)
    _killed_ingest(half, [str(corpus), "--reindex"], "half-written", hook_dir,
                   DOCENT_KILL_NTH="1", **resplit_env)
    assert snapshot(_settings(half)) == old, "the old index serves, untouched"
    again = ingest_paths([corpus], _settings(half))  # the next run removes the half-built one
    assert again.added == again.deleted == 0 and again.exit_code == 0
    one_generation(_settings(half))
    assert snapshot(_settings(half)) == old
    assert ingest_paths([corpus], _settings(half, **RESPLIT), reindex=True).exit_code == 0
    assert snapshot(_settings(half, **RESPLIT)) == new
    one_generation(_settings(half))

    switched = tmp_path / "after-switch"
    shutil.copytree(stage, switched)
    _killed_ingest(switched, [str(corpus), "--reindex"], "after-switch", hook_dir,
                   **resplit_env)
    assert snapshot(_settings(switched, **RESPLIT)) == new, "the complete new index serves"
    with pytest.raises(DocentError, match="--reindex"):
        snapshot(_settings(switched))
    done = ingest_paths([corpus], _settings(switched, **RESPLIT))
    assert done.added == done.deleted == 0 and done.exit_code == 0
    one_generation(_settings(switched))
    assert snapshot(_settings(switched, **RESPLIT)) == new


def test_kill_9_mid_file_then_another_folder_then_the_file_completes_it(
    tmp_path: Path, hook_dir: Path
) -> None:
    big = tmp_path / "big" / "log.md"
    big.parent.mkdir()
    big.write_text("\n\n".join(f"Batch {n} was roasted for {n % 7 + 9} minutes. " * 20
                               for n in range(50)))
    reference = _settings(tmp_path / "reference")
    full = ingest_paths([big.parent], reference).chunks
    assert full > 32

    data = tmp_path / "data"
    _killed_ingest(data, [str(big.parent)], "half-written", hook_dir, DOCENT_KILL_NTH="2")
    other = ingest_paths([SAMPLE_DATA], _settings(data))  # clears the crash marker
    assert other.exit_code == 0 and not (data / INCOMPLETE).exists()
    completed = ingest_paths([big.parent], _settings(data))
    assert 0 < completed.added < full, "the stored part is kept, the rest added"
    chunks = snapshot(_settings(data))["chunks"]
    assert sorted(i for i, (s, _) in chunks.items()  # type: ignore[attr-defined]
                  if s == str(big.resolve())) == snapshot(reference)["records"]
