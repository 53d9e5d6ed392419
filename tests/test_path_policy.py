"""Issue 24.1: one path policy for every use of a stored source. A file swapped for a
symlink leading out of its folder after it was ingested is never served, and `--prune`
and `--watch` remove it from the index and say so; `--follow-links` keeps working."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from ingest.pipeline import ingest_paths
from ingest.report import Problem
from ingest.source_policy import OUTSIDE, servable_path
from tests.fakes import HashingEmbeddings

SECRET = "the vault combination is 31-4-15"


def _settings(data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir,  # type: ignore[call-arg]
                    embedding_model="test:hashing")


def _texts(settings: Settings) -> dict[str, str]:
    """Source → its chunks' text, of the live index."""
    from core.index.store import open_store

    got = open_store(settings, HashingEmbeddings()).vectorstore.get(
        include=["metadatas", "documents"])
    texts: dict[str, str] = {}
    for meta, text in zip(got["metadatas"], got["documents"], strict=True):
        texts[meta["source"]] = texts.get(meta["source"], "") + text
    return texts


def _swap_for_link(path: Path, target: Path) -> None:
    """The issue's `ln -sf TARGET f/notes.new && mv -f f/notes.new f/notes.md`."""
    new = path.with_name(path.name + ".new")
    new.symlink_to(target)
    os.replace(new, path)


def _served(settings: Settings, source: str) -> Path | None:
    """What the server would serve for `source` (through its live store)."""
    from core.errors import DocentError
    from core.resources import Resources

    try:
        store = Resources(settings, embeddings=HashingEmbeddings()).store()
    except DocentError:  # nothing ingested
        return None
    return servable_path(store, source)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET)
    path = tmp_path / "f"
    path.mkdir()
    (path / "notes.md").write_text("The grinder burrs are replaced every spring.")
    (path / "other.md").write_text("The espresso machine is descaled monthly.")
    return path


def test_a_file_swapped_for_a_link_out_is_not_served_and_is_pruned(folder: Path,
                                                                   tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    notes = folder.resolve() / "notes.md"
    assert ingest_paths([folder], settings, model=HashingEmbeddings()).exit_code == 0
    assert _served(settings, str(notes)) == notes

    _swap_for_link(folder / "notes.md", tmp_path / "elsewhere" / "secret.txt")
    assert _served(settings, str(notes)) is None, "the link's target was never ingested"

    pruned = ingest_paths([folder], settings, prune=True, model=HashingEmbeddings())
    assert pruned.skipped_files == [Problem(str(folder / "notes.md"), OUTSIDE)]
    assert pruned.warnings == [Problem(str(notes), f"now a {OUTSIDE}: removed from the index")]
    assert pruned.deleted == 1 and pruned.exit_code == 0
    assert f"warning: {notes}: now a {OUTSIDE}" in pruned.table()
    texts = _texts(settings)
    assert set(texts) == {str(folder.resolve() / "other.md")}
    assert SECRET not in " ".join(texts.values())


def test_a_folder_swapped_for_a_link_out_is_pruned(folder: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    sub = folder / "sub"
    sub.mkdir()
    (sub / "plan.md").write_text("The project ships in March.")
    ingest_paths([folder], settings, model=HashingEmbeddings())
    os.rename(sub, tmp_path / "sub.old")
    sub.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    plan = str(folder.resolve() / "sub" / "plan.md")
    assert _served(settings, plan) is None

    pruned = ingest_paths([folder], settings, prune=True, model=HashingEmbeddings())
    assert pruned.warnings == [], "plan.md is gone from the linked folder: a plain removal"
    assert plan not in _texts(settings)
    assert SECRET not in " ".join(_texts(settings).values())


def test_a_file_swapped_for_a_link_inside_or_a_folder_is_pruned(folder: Path,
                                                                tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    ingest_paths([folder], settings, model=HashingEmbeddings())
    top = folder.resolve()
    _swap_for_link(folder / "notes.md", folder / "other.md")
    (folder / "more.md").unlink(missing_ok=True)
    pruned = ingest_paths([folder], settings, prune=True, model=HashingEmbeddings())
    assert pruned.warnings == [Problem(str(top / "notes.md"), (
        f"now leads to {top / 'other.md'}: removed from the index under this name"))]
    assert set(_texts(settings)) == {str(top / "other.md")}
    assert _served(settings, str(top / "notes.md")) is None

    (folder / "notes.md").unlink()
    (folder / "other.md").unlink()
    (folder / "other.md").mkdir()
    (folder / "other.md" / "inner.md").write_text("Inside a folder named like a file.")
    assert _served(settings, str(top / "other.md")) is None, "not a directory"
    pruned = ingest_paths([folder], settings, prune=True, model=HashingEmbeddings())
    assert pruned.warnings == [Problem(str(top / "other.md"),
                                       "no longer a file: removed from the index")]
    assert set(_texts(settings)) == {str(top / "other.md" / "inner.md")}


def test_followed_links_are_served_while_they_lead_to_the_ingested_bytes(
        folder: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    shared = tmp_path / "elsewhere" / "shared.md"
    shared.write_text("The roastery is closed on public holidays.")
    (folder / "shared.md").symlink_to(shared)
    report = ingest_paths([folder], settings, follow_links=True, model=HashingEmbeddings())
    assert report.skipped_files == []
    linked = str(folder.resolve() / "shared.md")
    assert _served(settings, linked) == shared.resolve()

    _swap_for_link(folder / "shared.md", tmp_path / "elsewhere" / "secret.txt")
    assert _served(settings, linked) is None, "the link now leads to other bytes"
    again = ingest_paths([folder], settings, prune=True, follow_links=True,
                         model=HashingEmbeddings())
    assert again.warnings == [] and again.updated + again.added > 0, (
        "--follow-links reads the new target (the user asked for links to be followed)")
    assert _served(settings, linked) == (tmp_path / "elsewhere" / "secret.txt").resolve()

    without = ingest_paths([folder], settings, prune=True, model=HashingEmbeddings())
    assert without.warnings == [Problem(linked, f"now a {OUTSIDE}: removed from the index")]
    assert linked not in _texts(settings)


def test_nothing_outside_the_index_is_servable(folder: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    assert _served(settings, str(folder / "notes.md")) is None, "nothing ingested yet"
    ingest_paths([folder / "notes.md"], settings, model=HashingEmbeddings())
    assert _served(settings, str(folder.resolve() / "other.md")) is None
    assert _served(settings, str(tmp_path / "elsewhere" / "secret.txt")) is None
    assert _served(settings, "relative/notes.md") is None
    assert _served(settings, "/etc/passwd\udcff") is None


def test_the_server_never_serves_a_file_swapped_for_a_link_out(folder: Path,
                                                               tmp_path: Path) -> None:
    """GET /api/sources/file served the swapped-in target, which was never ingested."""
    from tests.served import API_KEY, in_process, keyed_app

    settings = _settings(tmp_path / "data").model_copy(update={"api_key": API_KEY})
    assert ingest_paths([folder], settings, model=HashingEmbeddings()).exit_code == 0
    client = in_process(keyed_app(settings))
    notes = str(folder.resolve() / "notes.md")

    def fetch() -> Any:
        return client.get("/api/sources/file", params={"source": notes},
                          headers={"authorization": f"Bearer {API_KEY}"})

    assert fetch().text.startswith("The grinder burrs")
    _swap_for_link(folder / "notes.md", tmp_path / "elsewhere" / "secret.txt")
    refused = fetch()
    assert refused.status_code == 404 and SECRET not in refused.text
