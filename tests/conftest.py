"""Shared fixtures: a fresh data directory per test and one ingested sample store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import SAMPLE_DATA, SHARED, reset_caches

# the shared `docent serve` fixture (tests/served.py) and PostgreSQL (tests/postgres_fixture.py)
pytest_plugins = ["tests.served", "tests.postgres_fixture"]


@pytest.fixture
def shared_dir() -> Path:
    """../shared (real documents and benchmarks): skipped without it, except in CI."""
    if not SHARED.is_dir():
        reason = f"../shared not found at {SHARED}: the real documents and benchmarks live there"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
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
    from core.settings import Settings
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
