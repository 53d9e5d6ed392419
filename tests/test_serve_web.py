"""The web app's API on the real server: conversations kept in the SQLite checkpointer
with answers streamed as events, and documents listed, added (upload, server path) and
removed through the real ingest pipeline."""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from typing import Any

import httpx

from tests.helpers import SAMPLE_DATA
from tests.served import API_KEY, Served

AUTH = {"authorization": f"Bearer {API_KEY}"}
ROASTER = "How many kilograms of green beans does the drum roaster hold?"


def _ask(served: Served, thread: str, question: str, **settings: Any
         ) -> tuple[list[str], dict[str, Any]]:
    """The streamed tokens and the final result of one question in `thread`."""
    tokens, result = [], {}
    with httpx.stream("POST", f"{served.url}/api/conversations/{thread}/ask", headers=AUTH,
                      json={"question": question, **settings}, timeout=60) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                event = json.loads(line[6:])
                assert "error" not in event, event
                if "token" in event:
                    tokens.append(event["token"])
                else:
                    result = event["result"]
    return tokens, result


def test_a_conversation_streams_remembers_and_is_listed(docent_server: Served) -> None:
    tokens, first = _ask(docent_server, "web-thread-1", ROASTER, k=3, search_type="mmr")
    assert tokens == [first["answer"]]  # the checked answer, once
    assert first["answer"].startswith("The drum roaster holds 12")
    assert PurePath(first["sources"][0]["source"]).name == "roasting-schedule.md"
    _, second = _ask(docent_server, "web-thread-1", "Tell me more about that.")
    assert second["question"] == "Tell me more about the drum roaster."

    listed = httpx.get(f"{docent_server.url}/api/conversations", headers=AUTH).json()
    assert {"id": "web-thread-1", "title": ROASTER} in listed["conversations"]
    messages = httpx.get(f"{docent_server.url}/api/conversations/web-thread-1",
                         headers=AUTH).json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"] * 2
    assert messages[2]["content"] == "Tell me more about that."  # as typed
    reopened = messages[1]["details"]  # a reopened answer keeps its sources and evidence
    assert reopened["sources"] == first["sources"] and reopened["evidence"] == first["evidence"]
    assert reopened["refused"] is False
    assert (docent_server.settings.data_dir / "chat.sqlite").is_file()

    httpx.delete(f"{docent_server.url}/api/conversations/web-thread-1", headers=AUTH)
    listed = httpx.get(f"{docent_server.url}/api/conversations", headers=AUTH).json()
    assert "web-thread-1" not in {c["id"] for c in listed["conversations"]}


def test_a_refusal_is_marked_as_one(docent_server: Served) -> None:
    _, result = _ask(docent_server, "web-thread-2", "What is the capital of Mongolia?")
    assert result["refused"] is True and result["answer_kind"] == "refusal"


def test_documents_list_upload_ask_and_remove(docent_server: Served, tmp_path: Path) -> None:
    url = docent_server.url
    files = httpx.get(f"{url}/api/documents", headers=AUTH).json()["files"]
    assert {f["name"] for f in files} >= {"handbook.pdf", "store-guide-ko.md"}
    assert all(f["chunks"] > 0 for f in files)

    note = "# Fountains\n\nThe zorblat fountain in the courtyard is painted teal.\n"
    report = httpx.post(f"{url}/api/documents/upload", params={"name": "fountain.md"},
                        content=note.encode(), timeout=120,
                        headers={**AUTH, "content-type": "text/markdown"}).json()
    assert report["added"] > 0 and report["failed"] == [] and report["exit_code"] == 0
    uploaded = str(docent_server.settings.data_dir / "uploads" / "fountain.md")
    counts = {f["source"]: f["chunks"] for f in
              httpx.get(f"{url}/api/documents", headers=AUTH).json()["files"]}
    assert counts[uploaded] == 1
    _, result = _ask(docent_server, "web-thread-3", "What color is the zorblat fountain?")
    assert result["sources"][0]["source"] == uploaded
    assert "painted teal" in result["evidence"][0]["text"]
    chunk_id = result["sources"][0]["chunk_id"]
    passage = httpx.get(f"{url}/api/passages/{chunk_id}", headers=AUTH).json()
    assert "zorblat fountain" in passage["text"]

    removed = httpx.delete(f"{url}/api/documents", params={"source": uploaded},
                           headers=AUTH).json()
    assert removed["deleted"] == 1
    listed = httpx.get(f"{url}/api/documents", headers=AUTH).json()["files"]
    assert uploaded not in {f["source"] for f in listed}
    _, after = _ask(docent_server, "web-thread-4", "What color is the zorblat fountain?")
    assert after["refused"] is True
    assert httpx.delete(f"{url}/api/documents", params={"source": uploaded},
                        headers=AUTH).status_code == 404


def test_a_path_on_the_server_is_ingested_with_its_report(docent_server: Served,
                                                           tmp_path: Path) -> None:
    url = docent_server.url
    unchanged = httpx.post(f"{url}/api/documents/path", headers=AUTH, timeout=120,
                           json={"path": str(SAMPLE_DATA / "menu.csv")}).json()
    assert unchanged["added"] == 0 and unchanged["skipped"] > 0
    missing = httpx.post(f"{url}/api/documents/path", headers=AUTH, timeout=120,
                         json={"path": str(tmp_path / "nope")}).json()
    assert missing["exit_code"] == 2 and "nope" in missing["failed"][0]["path"]


def test_the_page_and_its_assets_come_from_this_server_only(docent_server: Served) -> None:
    import re

    page = httpx.get(docent_server.url + "/", headers=AUTH)
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    static = Path(__file__).parent.parent / "app" / "server" / "static"
    for asset in static.iterdir():
        text = asset.read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text), asset.name
