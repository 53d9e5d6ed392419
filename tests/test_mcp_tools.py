"""The MCP tools in-process through the SDK's own `Client`, over the fake store and the
question-keyed fake model: answers, and each bad argument as its one-line reason."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import HashingEmbeddings, fake_model
from tests.served import QuestionKeyedChat, fake_store_settings

LEAVE = "How many days of paid annual leave do full-time employees get?"


@pytest.fixture(scope="module")
def mcp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from app.mcp_server import build_server
    from core.resources import Resources

    settings = fake_store_settings(Path(tmp_path_factory.mktemp("mcp")))
    resources = Resources(settings, model=fake_model(QuestionKeyedChat(), style="chat",
                                                     family="gemma3"),
                          embeddings=HashingEmbeddings())
    yield build_server(resources)


def _calls(server: Any, calls: list[tuple[str, dict[str, Any]]]) -> tuple[Any, list[Any]]:
    from mcp import Client

    async def run() -> tuple[Any, list[Any]]:
        async with Client(server) as client:
            return client.server_info, [await client.call_tool(name, arguments)
                                        for name, arguments in calls]

    return asyncio.run(run())


def _text(result: Any) -> str:
    return " ".join(part.text for part in result.content if part.type == "text")


def test_the_answer_is_the_checked_one_and_the_server_names_its_version(mcp_server: Any
                                                                       ) -> None:
    from importlib.metadata import version

    info, (answered,) = _calls(mcp_server, [("ask_documents", {"question": LEAVE, "k": 2})])
    assert info.name == "docent" and info.version == version("docent") != ""
    assert not answered.is_error
    shown = answered.structured_content
    assert shown["answer"] == "Full-time employees get 18 days of paid annual leave per year [1]."
    assert shown["asked"] == LEAVE and len(shown["sources"]) <= 2 and "draft" not in shown


@pytest.mark.parametrize(("tool", "arguments", "reason"), [
    ("ask_documents", {"question": "  "}, "the question is empty"),
    ("ask_documents", {"question": "x" * 2001}, "characters long; at most 2000"),
    ("ask_documents", {"question": LEAVE, "k": 0}, "greater than or equal to 1"),
    ("search_documents", {"query": LEAVE, "k": 0}, "greater than or equal to 1"),
    ("search_documents", {"query": ""}, "the question is empty"),
])
def test_a_bad_argument_is_its_one_line_reason(mcp_server: Any, tool: str,
                                               arguments: dict[str, Any], reason: str,
                                               capfd: pytest.CaptureFixture[str]) -> None:
    _, (failed,) = _calls(mcp_server, [(tool, arguments)])
    assert failed.is_error and reason in _text(failed)
    assert "Traceback" not in _text(failed) + capfd.readouterr().err
