"""After an ingest only the sources it wrote are compared with their sentence vectors, the
repair check runs only after a crash, and a `--watch` batch may leave the BM25 rebuild
for right after it (`catch_up_keywords`), with the crash marker saying so."""

from __future__ import annotations

from pathlib import Path

import pytest

import core.index.sentences
import ingest.pipeline
from core.index.keyword import load_keyword_index
from core.index.sentences import CHUNKS_KEY, delete_sentence_collection, sentence_collection
from core.index.store import open_store
from core.settings import Settings
from ingest.catalog import remove_source
from ingest.crash_marker import INCOMPLETE, KEYWORD_BEHIND, read_marker
from ingest.discover import source_of
from ingest.pipeline import catch_up_keywords, ingest_items, ingest_paths
from ingest.report import IngestReport
from tests.fakes import HashingEmbeddings
from tests.helpers import sentences_in_step

MODEL = HashingEmbeddings()


@pytest.fixture(autouse=True)
def fake_embeddings(monkeypatch: pytest.MonkeyPatch) -> None:
    """`sentences_in_step` and the catch-up open the store with the settings' model."""
    import core.embeddings

    monkeypatch.setattr(core.embeddings, "load_embeddings",
                        lambda model, batch_size: MODEL)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, topic in [("a.md", "roasting"), ("b.md", "brewing"), ("c.md", "tasting")]:
        (docs / name).write_text(f"# {topic}\n\n" + " ".join(
            f"The {topic} step number {n} is written down in the café handbook." for n in
            range(40)))
    return docs


@pytest.fixture
def settings(tmp_path: Path, folder: Path) -> Settings:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    assert ingest_paths([folder], settings, model=MODEL).exit_code == 0
    return settings


def _edit(path: Path) -> list[tuple[Path | str, str]]:
    path.write_text(path.read_text() + "\nA new sentence about the December schedule.\n")
    return [(path, source_of(path, path.parent))]


def _sources_compared(monkeypatch: pytest.MonkeyPatch) -> list[set[str] | None]:
    seen: list[set[str] | None] = []
    compare = core.index.sentences._sync_ids

    def spy(store: object, collection: object, sources: set[str] | None) -> int:
        seen.append(None if sources is None else set(sources))
        return compare(store, collection, sources)  # type: ignore[arg-type]

    monkeypatch.setattr(core.index.sentences, "_sync_ids", spy)
    return seen


def _drop_sentences_of(settings: Settings, source: str) -> None:
    """A sentence collection that never had `source`'s sentences, and says so."""
    store = open_store(settings, MODEL)
    collection = sentence_collection(store)
    collection.delete(where={"source": source})
    left = {m["chunk_id"] for m in collection.get(include=["metadatas"])["metadatas"]}
    collection.modify(metadata={CHUNKS_KEY: len(left)})
    assert not sentences_in_step(settings)


def test_a_changed_file_is_compared_alone(settings: Settings, folder: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    compared = _sources_compared(monkeypatch)
    report = ingest_items(_edit(folder / "a.md"), settings, IngestReport(), model=MODEL)
    assert report.added and report.deleted
    assert compared == [{str(folder / "a.md")}]
    assert sentences_in_step(settings)


def test_a_deleted_file_is_compared_alone(settings: Settings, folder: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    compared = _sources_compared(monkeypatch)
    (folder / "b.md").unlink()
    report = ingest_items([], settings, IngestReport(), prune_under=[folder / "b.md"],
                          model=MODEL)
    assert report.deleted and report.touched == {str(folder / "b.md")}
    assert compared == [{str(folder / "b.md")}]
    assert sentences_in_step(settings)


def test_a_removed_source_is_compared_alone(settings: Settings, folder: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    compared = _sources_compared(monkeypatch)
    report = remove_source(settings, str(folder / "c.md"), MODEL)
    assert report.deleted
    assert compared == [{str(folder / "c.md")}]
    assert sentences_in_step(settings)


def test_counts_that_do_not_add_up_compare_every_id(settings: Settings, folder: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _drop_sentences_of(settings, str(folder / "c.md"))
    compared = _sources_compared(monkeypatch)
    ingest_items(_edit(folder / "a.md"), settings, IngestReport(), model=MODEL)
    assert compared == [{str(folder / "a.md")}, None]
    assert sentences_in_step(settings)


def test_a_store_without_sentence_vectors_gets_them_all(
        settings: Settings, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    delete_sentence_collection(settings)  # a store made before sentence vectors
    compared = _sources_compared(monkeypatch)
    ingest_items(_edit(folder / "a.md"), settings, IngestReport(), model=MODEL)
    assert compared == [None]
    assert sentences_in_step(settings)


def test_an_interrupted_run_is_repaired_in_full(settings: Settings, folder: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _drop_sentences_of(settings, str(folder / "c.md"))
    (settings.data_dir / INCOMPLETE).write_text("")  # what a killed ingest leaves
    compared = _sources_compared(monkeypatch)
    report = ingest_items(_edit(folder / "a.md"), settings, IngestReport(), model=MODEL)
    assert compared == [None]
    assert "an earlier ingest was interrupted" in report.warnings[0].error
    assert sentences_in_step(settings) and read_marker(settings) is None


def test_no_marker_no_repair_check(settings: Settings, folder: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(ingest.pipeline, "repair_interrupted",
                        lambda store: calls.append(store) or 0)
    ingest_items(_edit(folder / "a.md"), settings, IngestReport(), model=MODEL)
    assert calls == []
    (settings.data_dir / INCOMPLETE).write_text("")
    ingest_items(_edit(folder / "a.md"), settings, IngestReport(), model=MODEL)
    assert len(calls) == 1


def _keyword_ids(settings: Settings) -> list[str]:
    index = load_keyword_index(settings)
    assert index is not None
    return sorted(index.ids)


def _chunk_ids(settings: Settings) -> list[str]:
    return sorted(open_store(settings, MODEL).vectorstore.get(include=[])["ids"])


def test_keyword_later_leaves_the_old_index_serving_until_the_catch_up(
        settings: Settings, folder: Path) -> None:
    before = _keyword_ids(settings)
    ingest_items(_edit(folder / "a.md"), settings, IngestReport(), model=MODEL,
                 keyword_later=True)
    assert read_marker(settings) == KEYWORD_BEHIND
    assert _keyword_ids(settings) == before != _chunk_ids(settings)
    assert sentences_in_step(settings)
    assert catch_up_keywords(settings, MODEL)
    assert _keyword_ids(settings) == _chunk_ids(settings)
    assert read_marker(settings) is None
    assert not catch_up_keywords(settings, MODEL)  # nothing left to do


def test_a_kill_before_the_catch_up_only_rebuilds_the_keyword_index(
        settings: Settings, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest_items(_edit(folder / "a.md"), settings, IngestReport(), model=MODEL,
                 keyword_later=True)
    # the process dies here; the next run (nothing changed) rebuilds BM25, repairs nothing
    compared = _sources_compared(monkeypatch)
    report = ingest_paths([folder], settings, model=MODEL)
    assert report.warnings == [] and report.added == 0
    assert compared == []
    assert _keyword_ids(settings) == _chunk_ids(settings)
    assert read_marker(settings) is None


def test_a_batch_after_one_left_behind_keeps_the_marker_until_the_catch_up(
        settings: Settings, folder: Path) -> None:
    ingest_items(_edit(folder / "a.md"), settings, IngestReport(), model=MODEL,
                 keyword_later=True)
    report = ingest_items(_edit(folder / "b.md"), settings, IngestReport(), model=MODEL,
                          keyword_later=True)
    assert report.warnings == []  # a marker saying "keyword index behind" is no crash
    assert read_marker(settings) == KEYWORD_BEHIND
    assert catch_up_keywords(settings, MODEL)
    assert _keyword_ids(settings) == _chunk_ids(settings)
    assert sentences_in_step(settings)
