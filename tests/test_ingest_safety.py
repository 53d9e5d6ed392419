"""Issue 13 on fake embeddings: a failed `--reindex` keeps the old index, a half-stored file
is completed whatever the next run is given, symlinks stay inside the folder, skipped files
are named, and one missing path does not abort the batch."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from core.errors import DocentError
from core.settings import Settings
from ingest.pipeline import INCOMPLETE, ingest_paths
from ingest.report import Problem
from tests.fakes import HashingEmbeddings
from tests.helpers import SAMPLE_DATA

OUTSIDE = "symlink pointing outside the folder"


def _settings(data_dir: Path, **changes: object) -> Settings:
    values: dict[str, object] = {"data_dir": data_dir, "embedding_model": "test:hashing"}
    return Settings(_env_file=None, **{**values, **changes})  # type: ignore[arg-type]


def _state(settings: Settings) -> dict[str, object]:
    """Chunk id → (source, text), sentence ids and BM25 ids of the live index."""
    from core.index.keyword import _loaded, load_keyword_index
    from core.index.sentences import sentence_collection
    from core.index.store import open_store

    store = open_store(settings, HashingEmbeddings())
    got = store.vectorstore.get(include=["metadatas", "documents"])
    sentences = sentence_collection(store)
    _loaded.clear()  # read what is on disk, as a new process would
    keyword = load_keyword_index(settings)
    return {
        "chunks": {i: (m["source"], d) for i, m, d in zip(
            got["ids"], got["metadatas"], got["documents"], strict=True)},
        "records": sorted(store.record_manager.list_keys()),
        "sentences": sorted(sentences.get(include=[])["ids"]) if sentences else [],
        "keyword": sorted(keyword.ids) if keyword else None,
    }


def _leftovers(settings: Settings) -> tuple[set[str], set[str]]:
    """The data dir's Chroma collections and BM25 roots."""
    from core.index.store import chroma_client, collection_names

    names = collection_names(chroma_client(settings))
    roots = {p.name for p in (settings.data_dir / "bm25").iterdir()}
    return names, roots


class FailingEmbeddings(HashingEmbeddings):
    """Embeds `good` batches, then fails like a model that ran out of memory."""

    def __init__(self, good: int) -> None:
        super().__init__()
        self.good = good

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.good <= 0:
            raise MemoryError("out of memory")
        self.good -= 1
        return super().embed_documents(texts)


def test_a_failed_reindex_leaves_the_old_index_serving(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.pipeline

    monkeypatch.setattr(ingest.pipeline, "TUNING",
                        dataclasses.replace(ingest.pipeline.TUNING, embedding_batch=2))
    settings = _settings(tmp_path / "data")
    assert ingest_paths([SAMPLE_DATA], settings, model=HashingEmbeddings()).exit_code == 0
    before = _state(settings)
    assert before["chunks"] and before["sentences"] and before["keyword"]

    resplit = _settings(tmp_path / "data", chunk_size=300)
    with pytest.raises(MemoryError):
        ingest_paths([SAMPLE_DATA], resplit, reindex=True, model=FailingEmbeddings(good=1))
    assert _state(settings) == before, "the old index must serve untouched"

    done = ingest_paths([SAMPLE_DATA], resplit, reindex=True, model=HashingEmbeddings())
    after = _state(resplit)
    assert done.exit_code == 0 and done.added == len(after["chunks"])  # type: ignore[arg-type]
    assert max(len(t) for _, t in after["chunks"].values()) <= 300  # type: ignore[attr-defined]
    assert after["records"] == sorted(after["chunks"])  # type: ignore[call-overload]
    assert after["keyword"] == after["records"]
    with pytest.raises(DocentError, match="--reindex"):
        _state(settings)  # the old settings no longer match the live index
    names, roots = _leftovers(resplit)
    assert len(names) == 2 and len(roots) == 1, "the failed and the old generation are gone"


@pytest.mark.slow
def test_an_embedding_model_that_does_not_load_changes_nothing(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    ingest_paths([SAMPLE_DATA], settings, model=HashingEmbeddings())
    before = _state(settings)
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    typo = _settings(tmp_path / "data", embedding_model=str(empty))
    with pytest.raises(DocentError, match="embedding model"):
        ingest_paths([SAMPLE_DATA], typo, reindex=True)
    assert _state(settings) == before
    assert not (settings.data_dir / INCOMPLETE).exists()


def _big_file(folder: Path) -> Path:
    folder.mkdir()
    big = folder / "big.md"
    big.write_text("\n\n".join(f"Paragraph {n}: " + "the roaster logs each batch. " * 30
                               for n in range(40)))
    return big


def test_a_half_stored_file_is_completed_whatever_the_next_run_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import langchain_chroma

    import ingest.pipeline

    monkeypatch.setattr(ingest.pipeline, "TUNING",
                        dataclasses.replace(ingest.pipeline.TUNING, embedding_batch=2))
    big = _big_file(tmp_path / "big")
    reference = _settings(tmp_path / "reference")
    full = ingest_paths([big.parent], reference, model=HashingEmbeddings()).chunks
    assert full > 16

    settings = _settings(tmp_path / "data")
    real, calls = langchain_chroma.Chroma.add_documents, [0]

    def dies_on_the_second_batch(self: object, *args: object, **kwargs: object) -> object:
        calls[0] += 1
        if calls[0] == 2:
            raise KeyboardInterrupt  # as a kill: the first batch is stored, the rest not
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(langchain_chroma.Chroma, "add_documents", dies_on_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths([big.parent], settings, model=HashingEmbeddings())
    monkeypatch.setattr(langchain_chroma.Chroma, "add_documents", real)

    other = tmp_path / "other"
    other.mkdir()
    (other / "note.md").write_text("The café closes early on Sundays.")
    assert ingest_paths([other], settings, model=HashingEmbeddings()).exit_code == 0
    assert not (settings.data_dir / INCOMPLETE).exists()

    again = ingest_paths([big.parent], settings, model=HashingEmbeddings())
    assert again.added > 0, "the half-stored file must not count as unchanged"
    stored = [s for s, _ in _state(settings)["chunks"].values()]  # type: ignore[attr-defined]
    assert stored.count(str(big.resolve())) == full
    done = ingest_paths([big.parent], settings, model=HashingEmbeddings())
    assert (done.added, done.skipped) == (0, full), "complete now: skipped without parsing"


def test_symlinks_do_not_leave_the_folder_unless_asked(tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "shadow.md"
    secret.parent.mkdir()
    secret.write_text("root password hash: do not index this")
    (tmp_path / "outside" / "more.txt").write_text("another private outside file")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.md").write_text("The grinder burrs are replaced every spring.")
    (docs / "alias.md").symlink_to(docs / "notes.md")
    (docs / "s.md").symlink_to(secret)
    (docs / "linked").symlink_to(secret.parent, target_is_directory=True)
    settings = _settings(tmp_path / "data")

    report = ingest_paths([docs], settings, model=HashingEmbeddings())
    texts = " ".join(t for _, t in _state(settings)["chunks"].values())  # type: ignore[attr-defined]
    assert "password" not in texts and "private" not in texts and "grinder" in texts
    assert report.exit_code == 0
    assert sorted(report.skipped_files, key=lambda p: p.path) == [
        Problem(str(docs / "linked"), OUTSIDE), Problem(str(docs / "s.md"), OUTSIDE)]
    assert f"skipped: {docs / 's.md'}: {OUTSIDE}" in report.table()

    explicit = ingest_paths([docs / "s.md"], _settings(tmp_path / "named"),
                            model=HashingEmbeddings())
    assert explicit.exit_code == 0 and explicit.added > 0, "a symlink named by the user is read"

    followed = ingest_paths([docs], settings, follow_links=True, model=HashingEmbeddings())
    assert followed.skipped_files == [] and followed.added == 3
    sources = {s for s, _ in _state(settings)["chunks"].values()}  # type: ignore[attr-defined]
    base = docs.resolve()
    assert sources == {str(base / "notes.md"), str(base / "s.md"), str(base / "linked/more.txt"),
                       str(base / "linked/shadow.md")}

    (docs / "s.md").unlink()
    (docs / "linked").unlink()
    pruned = ingest_paths([docs], settings, prune=True, model=HashingEmbeddings())
    assert pruned.deleted == 3, "prune reaches what was stored through the links"
    sources = {s for s, _ in _state(settings)["chunks"].values()}  # type: ignore[attr-defined]
    assert sources == {str(base / "notes.md")}


def test_symlink_loops_are_walked_once_when_links_are_followed(tmp_path: Path) -> None:
    from ingest.discover import discover

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.md").write_text("a")
    os.symlink("..", outside / "up")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "out").symlink_to(outside, target_is_directory=True)
    (docs / "self").symlink_to(docs, target_is_directory=True)
    found = list(discover([docs], follow_links=True))
    assert [p.relative_to(docs).as_posix() for p in found] == ["out/a.md"]


LEGACY_DOC = "unsupported file type '.doc' (save it as .docx)"


def test_unsupported_files_in_a_folder_are_named_not_dropped_silently(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.md").write_text("Espresso is pulled at nine bar.")
    (docs / "report.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    (docs / "README").write_text("no suffix")
    (docs / ".hidden.md").write_text("hidden files stay silent")
    report = ingest_paths([docs], _settings(tmp_path / "data"), model=HashingEmbeddings())
    assert report.exit_code == 0 and report.files == 1
    assert report.skipped_files == [Problem(str(docs / "README"), "unsupported file type '(none)'"),
                                    Problem(str(docs / "report.doc"), LEGACY_DOC)]
    assert report.to_dict()["skipped_files"][1] == {
        "path": str(docs / "report.doc"), "error": LEGACY_DOC}
    assert f"skipped: {docs / 'report.doc'}: {LEGACY_DOC}" in report.table()


def test_one_missing_path_does_not_abort_the_batch(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE_DATA, corpus)
    nope = tmp_path / "nope.txt"
    settings = _settings(tmp_path / "data")
    report = ingest_paths([corpus / "roasting-schedule.md", nope, corpus / "menu.csv"],
                          settings, model=HashingEmbeddings())
    assert report.failed == [Problem(str(nope), "no such file or directory")]
    assert report.files_loaded == 2 and report.added > 0 and report.exit_code == 1
    assert f"failed: {nope}: no such file or directory" in report.table()

    ingest_paths([corpus], settings, model=HashingEmbeddings())
    stored = len(_state(settings)["chunks"])  # type: ignore[arg-type]
    moved = tmp_path / "moved"
    corpus.rename(moved)  # e.g. an unmounted drive: --prune must not empty it from the index
    gone = ingest_paths([corpus], settings, prune=True, model=HashingEmbeddings())
    assert gone.exit_code == 2 and gone.deleted == 0
    assert len(_state(settings)["chunks"]) == stored  # type: ignore[arg-type]
