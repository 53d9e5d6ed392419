"""Shared fixtures: a fresh data directory per test and one ingested sample store."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "data"
SHARED = ROOT.parent / "shared"


def reset_caches() -> None:
    from app.settings import get_settings
    from graphs.resources import store_for

    get_settings.cache_clear()
    store_for.cache_clear()


def stored_chunks(settings: Settings) -> dict[str, tuple[str, str]]:
    """chunk id → (source, text) for everything in the collection."""
    from app.embeddings import embeddings_from
    from ingest.store import open_store

    got = open_store(settings, embeddings_from(settings)).vectorstore.get(
        include=["metadatas", "documents"])
    return {i: (m["source"], d) for i, m, d in zip(
        got["ids"], got["metadatas"], got["documents"], strict=True)}


def sentences_in_step(settings: Settings) -> bool:
    """Whether the sentence collection holds exactly the sentences of the stored chunks."""
    from app.embeddings import embeddings_from
    from ingest.sentence_index import dense_pieces, reads_hangul, sentence_collection
    from ingest.store import open_store

    store = open_store(settings, embeddings_from(settings))
    got = store.vectorstore.get(include=["documents"])
    hangul = reads_hangul(store.vectorstore.embeddings)
    expected = sorted(f"{i}:{n}" for i, text in zip(got["ids"], got["documents"], strict=True)
                      for n in range(len(dense_pieces(text, hangul))))
    sentences = sentence_collection(store)
    held = sorted(sentences.get(include=[])["ids"]) if sentences is not None else []
    return held == expected


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}: the real documents and benchmarks live")
    return SHARED


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty DOCENT_DATA_DIR for this test, with settings re-read."""
    target = tmp_path / "docent-data"
    monkeypatch.setenv("DOCENT_DATA_DIR", str(target))
    reset_caches()
    yield target
    reset_caches()


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample `data/` ingested once, into a session-wide data directory."""
    from app.settings import Settings
    from ingest.pipeline import ingest_paths

    target = tmp_path_factory.mktemp("sample") / "docent-data"
    report = ingest_paths([SAMPLE_DATA], Settings(data_dir=target))
    assert report.exit_code == 0, report.table()
    return target


@pytest.fixture
def sample_env(sample_store: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the settings at the ingested sample store for this test."""
    monkeypatch.setenv("DOCENT_DATA_DIR", str(sample_store))
    reset_caches()
    yield sample_store
    reset_caches()
