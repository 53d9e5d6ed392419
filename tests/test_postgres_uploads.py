"""Files uploaded through `serve` with DOCENT_DATABASE_URL: their bytes are kept in the
database (table docent_uploads) under the source `upload://NAME`, so that a replica with
another data directory, on another machine, lists, answers from, serves and removes what
one replica received, and nothing that checks files on disk drops them."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from core.settings import Settings
from ingest.pipeline import ingest_paths
from tests.fakes import HashingEmbeddings
from tests.pdf_factory import make_pdf
from tests.served import API_KEY, in_process, keyed_app

AUTH = {"authorization": f"Bearer {API_KEY}"}
NOTE = b"# Fountains\n\nThe zorblat fountain in the courtyard is painted teal.\n"
SOURCE = "upload://fountain.md"


def _settings(data_dir: Path, database_url: str, collection: str) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, embedding_model="test:hashing",
                    answer_cache=False, api_key=API_KEY, database_url=database_url,
                    collection=collection)


def _client(settings: Settings) -> Any:
    return in_process(keyed_app(settings))


def _upload(client: Any, name: str, data: bytes) -> dict[str, Any]:
    response = client.post("/api/documents/upload", params={"name": name}, content=data,
                           headers={**AUTH, "content-type": "application/octet-stream"})
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def _listed(client: Any) -> dict[str, dict[str, Any]]:
    return {f["source"]: f for f in client.get("/api/documents", headers=AUTH).json()["files"]}


def _served(client: Any, source: str) -> Any:
    return client.get("/api/sources/file", params={"source": source}, headers=AUTH)


def _ask(client: Any, question: str) -> dict[str, Any]:
    """The final result of `question` in a new thread of the web app."""
    result: dict[str, Any] = {}
    thread = uuid.uuid4().hex
    with client.stream("POST", f"/api/conversations/{thread}/ask", headers=AUTH,
                       json={"question": question}) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                result = json.loads(line[6:]).get("result", result)
    return result


def _rows(database_url: str, collection: str) -> dict[str, bytes]:
    with psycopg.connect(database_url) as connection:
        return {name: bytes(data) for name, data in connection.execute(
            "SELECT name, data FROM docent_uploads WHERE collection = %s", (collection,))}


@pytest.fixture
def collection() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


def test_an_upload_to_one_replica_is_the_other_replicas_too(
        database_url: str, collection: str, tmp_path: Path) -> None:
    """Replica A receives the upload, then its machine is gone (its data dir deleted);
    replica B, with a data dir of its own, lists it, answers from it, serves its bytes,
    keeps it through a prune and a restart, and removes it. On main, B's source link
    was a 404: the bytes were only in A's DATA_DIR/uploads."""
    first, second = (_settings(tmp_path / name, database_url, collection)
                     for name in ("a", "b"))
    report = _upload(_client(first), "fountain.md", NOTE)
    assert report["added"] == 1 and report["exit_code"] == 0, report
    pdf = make_pdf(["Chapter 1. The kiln is fired on Thursdays."])
    assert _upload(_client(first), "kiln.pdf", pdf)["exit_code"] == 0
    assert not (tmp_path / "a" / "uploads").exists()
    shutil.rmtree(tmp_path / "a", ignore_errors=True)  # nothing on A's disk is B's

    other = _client(second)
    listed = {f["name"]: f for f in _listed(other).values()}
    served = _served(other, listed["fountain.md"]["source"])
    assert served.status_code == 200 and served.content == NOTE
    assert (listed["fountain.md"]["source"], listed["fountain.md"]["chunks"]) == (SOURCE, 1)
    result = _ask(other, "What color is the zorblat fountain?")
    assert result["sources"][0]["source"] == SOURCE
    assert "painted teal" in result["evidence"][0]["text"]
    assert served.headers["content-type"] == "text/plain; charset=utf-8"
    assert served.headers["content-disposition"] == 'inline; filename="fountain.md"'
    served = _served(other, "upload://kiln.pdf")
    assert (served.content, served.headers["content-type"]) == (pdf, "application/pdf")

    # B's --prune of a folder (the one A's data dir was in included) and a restart
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("Another document.\n")
    from ingest.workers import ingest_shared

    pruned = ingest_shared([tmp_path], second, prune=True, model=HashingEmbeddings())
    assert pruned.deleted == 0, pruned.table()
    restarted = _client(second)
    assert {SOURCE, "upload://kiln.pdf"} <= set(_listed(restarted))
    assert _served(restarted, SOURCE).content == NOTE

    removed = restarted.delete("/api/documents", params={"source": SOURCE}, headers=AUTH)
    assert removed.json()["deleted"] == 1
    assert SOURCE not in _listed(_client(_settings(tmp_path / "a", database_url, collection)))
    assert _served(restarted, SOURCE).status_code == 404
    assert set(_rows(database_url, collection)) == {"kiln.pdf"}
    assert not (tmp_path / "b" / "uploads").exists()


def test_a_new_upload_of_a_name_replaces_it_and_a_failed_one_keeps_it(
        database_url: str, collection: str, tmp_path: Path) -> None:
    client = _client(_settings(tmp_path, database_url, collection))
    _upload(client, "fountain.md", NOTE)
    newer = NOTE.replace(b"teal", b"ochre")
    assert _upload(client, "fountain.md", newer)["exit_code"] == 0
    assert _served(client, SOURCE).content == newer
    assert _listed(client)[SOURCE]["chunks"] == 1  # the old text's chunk is gone

    failed = _upload(client, "fountain.md", b"  \n")  # not read: the index keeps `newer`
    assert failed["files_loaded"] == 0
    assert [p["error"] for p in failed["failed"]] == ["empty file"]
    assert [p["path"] for p in failed["failed"]] == [SOURCE]
    assert _served(client, SOURCE).content == newer
    assert _upload(client, "empty.md", b"")["files_loaded"] == 0
    assert _rows(database_url, collection) == {"fountain.md": newer}  # no bytes unindexed


def test_an_ingest_that_fails_puts_the_replaced_bytes_back(
        database_url: str, collection: str, tmp_path: Path) -> None:
    """The child ingest dying before its report (a 503) leaves the upload it replaced."""
    from app.server.factory import create_app
    from core.errors import DocentError
    from core.resources import Resources

    settings = _settings(tmp_path, database_url, collection)
    _upload(_client(settings), "fountain.md", NOTE)

    async def dies(resources: Resources, paths: Any) -> dict[str, Any]:
        raise DocentError("ingest exited with -9")

    failing = in_process(create_app(Resources(settings, embeddings=HashingEmbeddings()),
                                    ingest=dies))
    response = failing.post("/api/documents/upload", params={"name": "fountain.md"},
                            content=b"newer", headers={**AUTH, "content-type": "text/markdown"})
    assert response.status_code == 503
    assert response.json()["error"]["message"] == "ingest exited with -9"
    assert _rows(database_url, collection) == {"fountain.md": NOTE}


def test_bytes_the_index_does_not_hold_are_not_served(
        database_url: str, collection: str, tmp_path: Path) -> None:
    """Only what the index holds: bytes changed in the table behind the index's back, an
    upload name never stored, and a source of another form are 404."""
    from ingest.source_policy import database_uploads

    settings = _settings(tmp_path, database_url, collection)
    client = _client(settings)
    _upload(client, "fountain.md", NOTE)
    stored = database_uploads(settings)
    assert stored is not None
    stored.put("fountain.md", b"changed by hand\n")
    for source in (SOURCE, "upload://never.md", "upload://../fountain.md"):
        response = _served(client, source)
        assert response.status_code == 404, source
        assert response.json()["error"]["code"] == "not_found"


def test_an_ingest_worker_and_a_reindex_read_an_upload_themselves(
        database_url: str, collection: str, tmp_path: Path) -> None:
    """`docent ingest upload://NAME` (what `serve` runs in its child) is a worker of the
    job queue: it reads the upload from the database itself, like a URL (a queued job
    names a path, which an upload has not); `--reindex` keeps it when named so."""
    from ingest.source_policy import database_uploads
    from ingest.workers import ingest_shared

    settings = _settings(tmp_path, database_url, collection)
    stored = database_uploads(settings)
    assert stored is not None
    stored.put("fountain.md", NOTE)
    report = ingest_shared([SOURCE], settings, model=HashingEmbeddings())
    assert (report.files_loaded, report.added, report.failed) == (1, 1, [])
    rebuilt = ingest_paths([SOURCE], settings, reindex=True, model=HashingEmbeddings())
    assert (rebuilt.files_loaded, rebuilt.added, rebuilt.failed) == (1, 1, [])
    assert list(_listed(_client(settings))) == [SOURCE]


def test_ingest_names_an_upload_it_cannot_read_in_one_line(
        database_url: str, collection: str, tmp_path: Path) -> None:
    shared = _settings(tmp_path / "shared", database_url, collection)
    alone = Settings(_env_file=None, data_dir=tmp_path / "alone", embedding_model="test:hashing")
    for settings, reason in ((shared, "no such upload in the database"),
                             (alone, "uploads are kept in the database only with "
                                     "DOCENT_DATABASE_URL")):
        report = ingest_paths(["upload://missing.md"], settings, model=HashingEmbeddings())
        assert [(p.path, p.error) for p in report.failed] == [("upload://missing.md", reason)]
        assert report.exit_code != 0
