"""`docent mcp`: the official MCP client (`ClientSession` over stdio) lists both tools and
calls each, against `python -m app mcp` on the ingested sample store (real embeddings)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path, PurePath
from typing import Any

import pytest

from tests.helpers import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.llm]


async def _session_calls(data_dir: Path) -> dict[str, Any]:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    server = StdioServerParameters(
        command=sys.executable, args=["-m", "app", "mcp"], cwd=str(ROOT),
        env={**os.environ, "DOCENT_DATA_DIR": str(data_dir), "DOCENT_ANSWER_CACHE": "false"})
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = await session.list_tools()
        found = await session.call_tool("search_documents", {
            "query": "How many days of paid annual leave?", "k": 3})
        refused = await session.call_tool("ask_documents", {
            "question": "What is the capital of Mongolia?"})
        answered = await session.call_tool("ask_documents", {
            "question": "How many days of paid annual leave do full-time employees get?"})
    return {"tools": tools, "found": found, "refused": refused, "answered": answered}


def test_mcp_client_lists_and_calls_both_tools(sample_store: Path) -> None:
    calls = asyncio.run(_session_calls(sample_store))
    tools = {tool.name: tool for tool in calls["tools"].tools}
    assert set(tools) == {"search_documents", "ask_documents"}
    assert set(tools["search_documents"].input_schema["properties"]) == {"query", "k"}

    found = calls["found"]
    assert not found.is_error
    passages = found.structured_content["result"]
    assert len(passages) == 3
    assert PurePath(passages[0]["source"]).name == "handbook.pdf" and passages[0]["page"] == 2
    assert "18 days of paid annual leave" in passages[0]["text"]
    assert all(0 < p["score"] <= 1 for p in passages)

    refused = calls["refused"].structured_content
    assert refused["refused"] is True and refused["answer"] == "The documents do not say."

    answered = calls["answered"].structured_content
    assert answered["answer"] and answered["answer_kind"] in ("answer", "extracted", "evidence",
                                                      "refusal")
    assert "18 days of paid annual leave" in answered["evidence"][0]["text"]
    assert PurePath(answered["sources"][0]["source"]).name == "handbook.pdf"
