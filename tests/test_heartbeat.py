"""When stderr is not a terminal (a pipe, a log, `--json` runs), an ingest says every few
seconds how far it is, even while one slow file is being read."""

from __future__ import annotations

import io
import sys
import threading
from pathlib import Path

import pytest

import ingest.pipeline
from core.settings import Settings
from ingest.progress import Heartbeat
from tests.fakes import HashingEmbeddings
from tests.helpers import SAMPLE_DATA


class Watched(io.StringIO):
    """A non-terminal stderr that signals the first heartbeat line naming a file."""

    def __init__(self) -> None:
        super().__init__()
        self.beat = threading.Event()

    def write(self, text: str) -> int:
        if text.startswith("docent: ingest:") and "; reading " in text:
            self.beat.set()
        return super().write(text)


def test_a_slow_file_gets_heartbeat_lines_naming_it(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = Watched()
    monkeypatch.setattr(sys, "stderr", stderr)
    real_load = ingest.pipeline._load

    def slow_load(item, *args):  # type: ignore[no-untyped-def]
        if Path(item).name == "menu.csv":  # lasts until the heartbeat has spoken
            assert stderr.beat.wait(timeout=60), "no heartbeat while a file was slow"
        return real_load(item, *args)

    monkeypatch.setattr(ingest.pipeline, "_load", slow_load)
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", embedding_model="t:h")
    report = ingest.pipeline.ingest_paths([SAMPLE_DATA / "menu.csv"], settings,
                                          model=HashingEmbeddings(), heartbeat_s=0.01)
    assert report.exit_code == 0
    lines = stderr.getvalue().splitlines()
    assert lines[0] == f"docent: ingest: 0/1 files read; reading {SAMPLE_DATA / 'menu.csv'}"


def test_no_heartbeat_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    with Heartbeat(3, interval=0.001) as heartbeat:
        assert heartbeat._thread is None  # the progress bar shows instead


def test_the_line_says_what_is_happening() -> None:
    heartbeat = Heartbeat(2)
    heartbeat.reading("a.md")
    assert heartbeat.line() == "docent: ingest: 0/2 files read; reading a.md"
    heartbeat.read()
    heartbeat.reading("b.md")
    heartbeat.read()
    assert heartbeat.line() == "docent: ingest: 2/2 files read; embedding and storing"
