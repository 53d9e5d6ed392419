"""Two real ingests on one data dir serialize (file lock); retrieval and `ask` during an ingest
answer from a consistent store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.pipeline import ingest_paths
from tests.helpers import ROOT, SAMPLE_DATA

pytestmark = pytest.mark.slow

# Imported by Python at start-up (PYTHONPATH): the first embedding batch of the ingest
# announces itself and waits while DOCENT_HOLD exists, so the test acts mid-ingest.
HOLD_HOOK = """
import os, pathlib, time
hold = os.environ.get("DOCENT_HOLD")
if hold:
    import core.embeddings
    original = core.embeddings.SentenceTransformerEmbeddings.embed_documents
    def held(self, texts):
        pathlib.Path(hold + ".reached").touch()
        while os.path.exists(hold):
            time.sleep(0.05)
        return original(self, texts)
    core.embeddings.SentenceTransformerEmbeddings.embed_documents = held
"""


def _ingest(data_dir: Path, corpus: Path, lock_timeout: float,
            extra_env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "DOCENT_DATA_DIR": str(data_dir), **(extra_env or {})}
    return subprocess.Popen([sys.executable, "-m", "app", "ingest", str(corpus), "--json",
                             "--wait", str(lock_timeout)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _html_corpus(tmp_path: Path, shared: Path, pages: int) -> Path:
    folder = tmp_path / "html"
    folder.mkdir()
    for page in sorted((shared / "docs/html-en/debian-reference").glob("*.html"))[:pages]:
        shutil.copy(page, folder / page.name)
    return folder


def test_two_ingests_at_once_serialize(tmp_path: Path, shared_dir: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE_DATA, corpus)
    data_dir = tmp_path / "data"
    first, second = (_ingest(data_dir, corpus, 300) for _ in range(2))
    reports = []
    for process in (first, second):
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        reports.append(json.loads(out))
    added = sorted(r["added"] for r in reports)
    chunks = reports[0]["chunks"]
    assert added == [0, chunks], "one ingest wrote everything, the other found it done"
    assert sorted(r["skipped"] for r in reports) == [0, chunks]


def test_second_ingest_times_out_clearly_and_reads_stay_consistent(
    tmp_path: Path, shared_dir: Path
) -> None:
    from core.embeddings import embeddings_from
    from core.index.store import open_store

    data_dir = tmp_path / "data"
    settings = Settings(_env_file=None, data_dir=data_dir)
    assert ingest_paths([SAMPLE_DATA], settings).exit_code == 0
    known = {str(p.resolve()) for p in SAMPLE_DATA.iterdir()}
    html = _html_corpus(tmp_path, shared_dir, pages=6)

    hook, hold = tmp_path / "hook", tmp_path / "hold"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOLD_HOOK)
    hold.touch()
    running = _ingest(data_dir, html, 300, {"DOCENT_HOLD": str(hold),
                                            "PYTHONPATH": f"{hook}{os.pathsep}{ROOT}"})
    while not Path(f"{hold}.reached").exists():
        assert running.poll() is None, running.communicate()
        time.sleep(0.1)
    blocked = _ingest(data_dir, SAMPLE_DATA, 1)
    env = {**os.environ, "DOCENT_DATA_DIR": str(data_dir)}
    asking = subprocess.Popen(
        [sys.executable, "-m", "app", "ask", "How many days of paid annual leave?", "--json"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    store = open_store(settings, embeddings_from(settings))
    searches = 0
    while blocked.poll() is None or asking.poll() is None or searches < 3:
        for doc in store.vectorstore.similarity_search("paid annual leave", k=4):
            assert doc.page_content.strip() and doc.metadata["content_hash"]
            assert doc.metadata["source"] in known or doc.metadata["source"].startswith(str(html))
        searches += 1
        if blocked.poll() is not None and asking.poll() is not None:
            hold.unlink(missing_ok=True)  # both answered mid-ingest: let the ingest finish
        time.sleep(0.2)
    hold.unlink(missing_ok=True)
    err = blocked.communicate(timeout=600)[1]
    assert blocked.returncode == 2
    assert f"another ingest is running on {data_dir} (waited 1 s" in err
    assert "Traceback" not in err
    assert running.communicate(timeout=600)[0] and running.returncode == 0
    answer_out, answer_err = asking.communicate(timeout=600)
    assert asking.returncode == 0, answer_err
    answer = json.loads(answer_out)
    assert any(s["source"].endswith("handbook.pdf") for s in answer["sources"]), answer
    assert searches >= 1
