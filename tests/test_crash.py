"""kill -9 of a real `python -m app ingest` at several points; a re-run reaches the exact state
of an uninterrupted ingest: same chunk ids and texts, records = vectors (= BM25 ids), and
the sentence vectors exactly those of the chunks."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.pipeline import ingest_paths
from tests.helpers import ROOT, SAMPLE_DATA, sentences_in_step

pytestmark = pytest.mark.slow

# Imported by Python at start-up (PYTHONPATH), it SIGKILLs the process at DOCENT_KILL_POINT.
KILL_HOOK = '''
import os, signal

def _die():
    os.kill(os.getpid(), signal.SIGKILL)

def _wrap(owner, name, nth, after):
    original, calls = getattr(owner, name), [0]
    def wrapper(*args, **kwargs):
        calls[0] += 1
        if not after and calls[0] >= nth:
            _die()
        result = original(*args, **kwargs)
        if after and calls[0] >= nth:
            _die()
        return result
    setattr(owner, name, wrapper)

# small batches, so that each kill point falls in the middle of a file
import dataclasses, core.tuning
core.tuning.TUNING = dataclasses.replace(core.tuning.TUNING, embedding_batch=4)

point = os.environ.get("DOCENT_KILL_POINT", "")
if point == "mid-embedding":
    import core.embeddings
    _wrap(core.embeddings.SentenceTransformerEmbeddings, "embed_documents", 2, after=False)
elif point == "after-vector-write":
    import langchain_chroma
    _wrap(langchain_chroma.Chroma, "add_documents", 2, after=True)
elif point == "after-vector-delete":
    import langchain_chroma
    _wrap(langchain_chroma.Chroma, "delete", 1, after=True)
elif point == "before-keyword-sync":
    import ingest.pipeline
    _wrap(ingest.pipeline, "sync_keyword_index", 1, after=False)
elif point == "mid-sentence-sync":
    import core.index.sentences
    _wrap(core.index.sentences, "_add_chunks", 1, after=True)
'''

KILL_POINTS = ["mid-embedding", "after-vector-write", "after-vector-delete",
               "before-keyword-sync", "mid-sentence-sync"]


def snapshot(data_dir: Path) -> dict[str, object]:
    """Chunk id → text and source, plus the ids the record manager and BM25 index hold."""
    from core.embeddings import embeddings_from
    from core.index.store import open_store

    settings = Settings(_env_file=None, data_dir=data_dir)
    store = open_store(settings, embeddings_from(settings))
    got = store.vectorstore.get(include=["metadatas", "documents"])
    chunks = {i: (m["source"], d) for i, m, d in zip(
        got["ids"], got["metadatas"], got["documents"], strict=True)}
    assert len(chunks) == len(got["ids"]), "duplicate chunk ids"
    records = sorted(store.record_manager.list_keys())
    assert records == sorted(chunks), "record manager and Chroma disagree (orphans)"
    state: dict[str, object] = {"chunks": chunks}
    if (data_dir / "bm25").exists():
        from core.index.keyword import load_keyword_index

        keyword = load_keyword_index(settings)
        assert keyword is not None and sorted(keyword.ids) == records, "BM25 has orphans"
    assert sentences_in_step(settings), "sentence vectors out of step with the chunks"
    return state


def _corpus(root: Path, shared: Path) -> tuple[Path, Path]:
    """Version 1 of a corpus, and version 2 with an edit, a deletion and new files (several
    batches of new chunks)."""
    pages = sorted((shared / "docs/html-en/debian-faq").glob("*.html"))
    v1 = root / "corpus"
    shutil.copytree(SAMPLE_DATA, v1)
    for page in pages[:3]:
        shutil.copy(page, v1 / page.name)
    v2 = root / "corpus-v2"
    shutil.copytree(v1, v2)
    for page in pages[3:5]:
        shutil.copy(page, v2 / page.name)
    guide = v2 / "roasting-schedule.md"
    guide.write_text(guide.read_text() + "\n\nNew: roasting also on Sundays in December.\n")
    (v2 / "menu.csv").unlink()
    (v2 / "new-note.md").write_text("The café opens a second branch in Daejeon in spring.")
    return v1, v2


def _killed_ingest(data_dir: Path, corpus: Path, point: str, hook_dir: Path) -> None:
    env = {**os.environ, "DOCENT_DATA_DIR": str(data_dir), "DOCENT_KILL_POINT": point,
           "PYTHONPATH": f"{hook_dir}{os.pathsep}{ROOT}"}
    done = subprocess.run([sys.executable, "-m", "app", "ingest", str(corpus), "--prune"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == -signal.SIGKILL, (point, done.returncode, done.stderr[-2000:])


def test_kill_9_at_each_point_then_rerun_equals_uninterrupted(
    tmp_path: Path, shared_dir: Path
) -> None:
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(KILL_HOOK)
    v1, v2 = _corpus(tmp_path, shared_dir)
    stage = tmp_path / "v1-ingested"
    assert ingest_paths([v1], Settings(_env_file=None, data_dir=stage)).exit_code == 0

    # v2 must land in v1's folder: sources (and so chunk ids) are absolute paths
    shutil.rmtree(v1)
    shutil.copytree(v2, v1)
    reference = tmp_path / "reference"
    shutil.copytree(stage, reference)
    ingest_paths([v1], Settings(_env_file=None, data_dir=reference), prune=True)
    expected = snapshot(reference)

    for point in KILL_POINTS:
        killed = tmp_path / f"killed-{point}"
        shutil.copytree(stage, killed)
        _killed_ingest(killed, v1, point, hook_dir)
        rerun = ingest_paths([v1], Settings(_env_file=None, data_dir=killed), prune=True)
        assert rerun.failed == [], point
        assert snapshot(killed) == expected, f"state after kill at {point} + re-run differs"

    fresh = tmp_path / "killed-first-ingest"
    _killed_ingest(fresh, v1, "after-vector-write", hook_dir)
    ingest_paths([v1], Settings(_env_file=None, data_dir=fresh), prune=True)
    assert snapshot(fresh) == expected
    print(f"\nkill points tested: {len(KILL_POINTS) + 1}")
