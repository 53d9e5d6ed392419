"""LangGraph Studio's local API: `langgraph dev` serves both graphs from langgraph.json."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE_DATA, free_port
from tests.servers import running_server

pytestmark = [pytest.mark.slow, pytest.mark.llm]

LANGGRAPH = Path(sys.executable).parent / "langgraph"


@contextmanager
def langgraph_dev(tmp_path: Path, **extra_env: str) -> Iterator[str]:
    """`langgraph dev` on a free port over an empty data dir, stopped afterwards.

    Langfuse keys of the calling shell are dropped; `extra_env` may set them.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANGFUSE_")}
    env.update({"DOCENT_DATA_DIR": str(tmp_path / "docent-data"),
                "DOCENT_LLM_CACHE": "false", "HF_HUB_OFFLINE": "1",
                "LANGGRAPH_CLI_NO_ANALYTICS": "1", "LANGGRAPH_NO_VERSION_CHECK": "1",
                "LANGSMITH_TRACING": "false", **extra_env})
    base = f"http://127.0.0.1:{port}"
    with running_server(
        [str(LANGGRAPH), "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1",
         "--port", str(port)],
        f"{base}/ok", tmp_path / "langgraph-dev.log", timeout=120, cwd=ROOT, env=env,
    ):
        yield base


@pytest.fixture
def studio_api(tmp_path: Path) -> Iterator[str]:
    with langgraph_dev(tmp_path) as base:
        yield base


def test_studio_api_ingests_then_answers_with_sources(studio_api: str) -> None:
    import httpx

    with httpx.Client(base_url=studio_api, timeout=600) as client:
        schemas = {}
        for graph_id in ("docent", "indexer"):
            (assistant,) = client.post("/assistants/search",
                                       json={"graph_id": graph_id}).json()
            schemas[graph_id] = client.get(
                f"/assistants/{assistant['assistant_id']}/schemas").json()
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
    assert "18" in answered["answer"], answered
    assert answered["refused"] is False
    assert Path(answered["sources"][0]["source"]).name == "handbook.pdf"
    assert answered["sources"][0]["page"] == 2


def test_the_context_model_is_the_one_the_run_loads(sample_env: Path) -> None:
    from app.errors import DocentError
    from graphs.context import Context
    from graphs.graph import graph

    with pytest.raises(DocentError, match=r"/nonexistent\.gguf"):
        graph.invoke({"question": "How many days of paid annual leave do full-time employees "
                                  "get?"}, context=Context(llm_model="/nonexistent.gguf"))
