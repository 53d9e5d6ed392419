"""LangGraph Studio's local API: `langgraph dev` serves both graphs from langgraph.json."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import SAMPLE_DATA
from tests.servers import langgraph_dev

pytestmark = [pytest.mark.slow, pytest.mark.llm]

@pytest.fixture
def studio_api(tmp_path: Path) -> Iterator[str]:
    with langgraph_dev(tmp_path) as base:
        yield base


def test_studio_api_ingests_then_answers_with_sources(studio_api: str) -> None:
    import asyncio

    import httpx
    from langgraph_sdk import get_client

    async def sdk_view() -> tuple[dict, dict]:
        """Both graphs' schemas and a run with an empty question, through langgraph_sdk."""
        client = get_client(url=studio_api)
        schemas = {}
        for graph_id in ("docent", "indexer"):
            (assistant,) = await client.assistants.search(graph_id=graph_id)
            schemas[graph_id] = await client.assistants.get_schemas(assistant["assistant_id"])
        thread = await client.threads.create()
        await client.runs.wait(thread["thread_id"], "docent", input={"question": " "},
                               raise_error=False)
        (run,) = await client.runs.list(thread["thread_id"])
        return schemas, (await client.threads.get(thread["thread_id"])) | {"run": run}

    schemas, empty = asyncio.run(sdk_view())
    for graph_id, schema in schemas.items():
        assert schema["input_schema"] and schema["output_schema"], graph_id
    assert set(schemas["docent"]["input_schema"]["properties"]) == {"question"}
    assert {"answer", "evidence", "sources"} <= set(
        schemas["docent"]["output_schema"]["properties"])
    assert empty["run"]["status"] == "error" and empty["status"] == "error"
    assert "the question is empty" in str(empty)  # the reason, not "An internal error"

    with httpx.Client(base_url=studio_api, timeout=600) as client:
        form = schemas["docent"]["context_schema"]["properties"]
        assert {"k", "search_type", "filter", "llm_backend", "llm_model"} <= set(form)
        assert all(field.get("description") for field in form.values())
        assert "prune" in schemas["indexer"]["context_schema"]["properties"]

        handbook = str(SAMPLE_DATA / "handbook.pdf")
        ingested = client.post("/runs/wait", json={
            "assistant_id": "indexer", "input": {"paths": [handbook]}}).json()
        assert ingested["report"]["files_loaded"] == 1, ingested
        assert ingested["report"]["added"] > 0

        answered = client.post("/runs/wait", json={
            "assistant_id": "docent",
            "input": {"question": "How many days of paid annual leave do full-time "
                                  "employees get?"},
            "context": {"k": 2}}).json()
    assert "18 days" in answered["evidence"][0]["text"], answered
    assert answered["refused"] is False
    assert Path(answered["sources"][0]["source"]).name == "handbook.pdf"
    assert answered["sources"][0]["page"] == 2


def test_the_context_model_is_the_one_the_run_loads(sample_env: Path) -> None:
    from core.errors import DocentError
    from graphs.context import Context
    from graphs.graph import graph

    with pytest.raises(DocentError, match=r"/nonexistent\.gguf"):
        graph.invoke({"question": "How many days of paid annual leave do full-time employees "
                                  "get?"}, context=Context(llm_model="/nonexistent.gguf"))
