"""`python -m app doctor`: a table of checks, each failure with its fix, exit 1 on failure."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

SECRET = "sk-lf-never-printed"


def _doctor(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", "doctor"], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1", **env})


def _rows(out: str) -> dict[str, str]:
    """check name → status, from the table."""
    rows = {}
    for line in out.splitlines()[1:]:
        status, _, rest = line.partition(" ")
        if status in {"ok", "FAIL", "warn"}:
            rows[rest.strip().split("  ")[0]] = status
    return rows


@pytest.mark.slow
def test_healthy_setup_passes(sample_env: Path) -> None:
    done = _doctor(LANGFUSE_PUBLIC_KEY="pk-lf-x", LANGFUSE_SECRET_KEY=SECRET,
                   LANGFUSE_BASE_URL="http://127.0.0.1:9")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = _rows(done.stdout)
    assert rows == {name: "ok" for name in ("python", "packages", "embedding model",
                                            "gguf model", "store", "context window",
                                            "langfuse", "ocr")}
    assert "chunks, built with packaged:all-MiniLM-L6-v2" in done.stdout
    assert SECRET not in done.stdout + done.stderr


@pytest.mark.slow
def test_missing_gguf_and_changed_chunking_fail_with_their_fixes(sample_env: Path) -> None:
    done = _doctor(DOCENT_LLM_MODEL="/nonexistent.gguf", DOCENT_CHUNK_SIZE="500")
    assert done.returncode == 1
    rows = _rows(done.stdout)
    assert rows["gguf model"] == "FAIL" and rows["store"] == "FAIL"
    assert rows["embedding model"] == "ok"
    assert "GGUF model not found: /nonexistent.gguf" in done.stdout
    assert "fix: set DOCENT_LLM_MODEL to packaged:gemma3-270m" in done.stdout
    assert "fix: python -m app ingest --reindex" in done.stdout
    assert "Traceback" not in done.stderr


def test_context_window_and_unreachable_servers_are_failures() -> None:
    from app.doctor import check_chroma_server, check_context_window, check_llm
    from core.settings import Settings

    window = check_context_window(Settings(k=20, chunk_size=1000, llm_context_window=4096))
    assert window.status == "FAIL" and "DOCENT_LLM_CONTEXT_WINDOW" in window.fix

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    server = check_llm(Settings(llm_backend="ollama",
                                llm_url=f"http://127.0.0.1:{closed}"))
    assert server.status == "FAIL" and "DOCENT_LLM_URL" in server.fix

    assert check_chroma_server(Settings()) is None  # embedded store: nothing to reach
    chroma = check_chroma_server(Settings(chroma_url=f"http://127.0.0.1:{closed}"))
    assert chroma is not None and chroma.status == "FAIL"
    assert f"http://127.0.0.1:{closed}/api/v2/heartbeat" in chroma.detail
    assert "chroma run" in chroma.fix


def test_ocr_row_says_whether_scanned_pages_can_be_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.doctor import check_ocr
    from ingest.loaders import ocr

    monkeypatch.setattr(ocr, "ocr_languages", lambda: ())
    missing = check_ocr()
    assert (missing.status, missing.fix) == ("warn", ocr.INSTALL)
    assert "not installed: scanned pages are counted, not read" in missing.detail
    monkeypatch.setattr(ocr, "ocr_languages", lambda: ("eng", "kor"))
    monkeypatch.setattr("pytesseract.get_tesseract_version", lambda: "5.3.0")
    assert check_ocr().status == "ok" and check_ocr().detail == "tesseract 5.3.0 (eng+kor)"
