"""kill -9 of a real `python -m app ingest --prune` at its dangerous points, the moments when
records and vectors of a removed file disagree: the index left behind still opens and
answers from the files that remain, and the next run reaches the exact state of an
uninterrupted prune."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.resources import Resources
from core.settings import Settings
from graphs.context import Context
from ingest.pipeline import INCOMPLETE, ingest_paths
from tests.helpers import ROOT, SAMPLE_DATA, retrieve_and_select
from tests.test_crash_reindex import one_generation, snapshot

pytestmark = pytest.mark.slow

# Imported by Python at start-up (PYTHONPATH): SIGKILL after the DOCENT_KILL_NTH-th call.
KILL_HOOK = '''
import os, signal

def _kill_after(owner, name, nth):
    original, calls = getattr(owner, name), [0]
    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        calls[0] += 1
        if calls[0] >= nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    setattr(owner, name, wrapper)

point = os.environ.get("DOCENT_KILL_POINT", "")
if point == "vectors-gone-records-kept":  # a removed file's vectors deleted, its records not
    import langchain_chroma
    _kill_after(langchain_chroma.Chroma, "delete", 1)
elif point == "one-file-pruned":  # the first removed file fully pruned, the second not yet
    import langchain_classic.indexes
    _kill_after(langchain_classic.indexes.SQLRecordManager, "delete_keys", 1)
'''
KILL_POINTS = ["vectors-gone-records-kept", "one-file-pruned"]
GONE = {"old-price-list.md": "The espresso blend cost 9,000 won per 200 g bag in 2021. " * 40,
        "old-hours.md": "Until 2022 the shop closed at 6 p.m. on Sundays. " * 40}


def _settings(data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir)


def _half_pruned(settings: Settings, corpus: Path) -> tuple[int, bool]:
    """How many removed files still have vectors, and whether records outnumber vectors:
    the proof that the kill fell inside the prune."""
    from core.embeddings import embeddings_from
    from core.index.store import open_store

    store = open_store(settings, embeddings_from(settings))
    sources = {m["source"] for m in store.vectorstore.get(include=["metadatas"])["metadatas"]}
    left = sum(str((corpus / name).resolve()) in sources for name in GONE)
    return left, len(store.record_manager.list_keys()) > store.count()


def test_kill_9_during_prune_keeps_serving_and_the_next_run_completes(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE_DATA, corpus)
    for name, text in GONE.items():
        (corpus / name).write_text(text)
    stage = tmp_path / "stage"
    assert ingest_paths([corpus], _settings(stage)).exit_code == 0
    for name in GONE:
        (corpus / name).unlink()
    reference = tmp_path / "reference"
    shutil.copytree(stage, reference)
    pruned = ingest_paths([corpus], _settings(reference), prune=True)
    assert pruned.deleted > 2 and pruned.added == 0
    expected = snapshot(_settings(reference))

    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(KILL_HOOK)
    for point in KILL_POINTS:
        killed = tmp_path / point
        shutil.copytree(stage, killed)
        env = {**os.environ, "DOCENT_DATA_DIR": str(killed), "DOCENT_KILL_POINT": point,
               "PYTHONPATH": f"{hook}{os.pathsep}{ROOT}"}
        done = subprocess.run([sys.executable, "-m", "app", "ingest", str(corpus), "--prune"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == -signal.SIGKILL, (point, done.returncode, done.stderr[-2000:])
        assert (killed / INCOMPLETE).exists()
        left, records_ahead = _half_pruned(_settings(killed), corpus)
        assert left == 1 and records_ahead == (point == "vectors-gone-records-kept"), point

        # what a user asks right after the kill is answered from the files that remain
        context = Context(resources=Resources(_settings(killed)))
        _, kept, _ = retrieve_and_select("At what temperature does a dark roast end?", context)
        assert kept and Path(kept[0].metadata["source"]).name == "roasting-schedule.md", point

        rerun = ingest_paths([corpus], _settings(killed), prune=True)
        assert rerun.exit_code == 0 and rerun.added == 0, (point, rerun.table())
        assert snapshot(_settings(killed)) == expected, f"kill at {point} + re-run differs"
        one_generation(_settings(killed))
        assert not (killed / INCOMPLETE).exists()
