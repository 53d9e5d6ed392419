"""The ingestion graph for LangGraph Studio: one `ingest` node over `ingest_paths`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from typing_extensions import TypedDict  # schemas on Python < 3.12 (graphs/state.py)

from core.tracing import traced


@dataclass(kw_only=True)
class IndexContext:
    """How the paths are ingested (Studio shows these fields as the configuration form)."""

    prune: bool = field(
        default=False,
        metadata={"description": "Remove chunks of files that no longer exist under the paths."},
    )
    reindex: bool = field(
        default=False,
        metadata={"description": "Rebuild the collection (after changing model or chunking)."},
    )
    include: list[str] = field(
        default_factory=list,
        metadata={"description": "Only files matching these globs, e.g. ['*.md']."},
    )
    exclude: list[str] = field(
        default_factory=list, metadata={"description": "Skip files matching these globs."}
    )


class IndexInput(TypedDict):
    paths: list[str]


class IndexOutput(TypedDict):
    report: dict[str, Any]


class IndexState(IndexInput, IndexOutput, total=False):
    """Paths in, the ingest report (files, chunks, added, skipped, failures) out."""


def ingest(state: IndexState, runtime: Runtime[IndexContext]) -> dict:
    """Ingest the paths into the configured data dir (sync: embedding and Chroma block)."""
    from core.resources import default_resources
    from ingest.pipeline import ingest_paths

    ctx = runtime.context or IndexContext()
    settings = default_resources().settings
    report = ingest_paths([Path(p) for p in state["paths"]], settings, prune=ctx.prune,
                          reindex=ctx.reindex, include=ctx.include, exclude=ctx.exclude)
    return {"report": report.to_dict()}


def build_indexer() -> StateGraph[IndexState, IndexContext, IndexInput, IndexOutput]:
    builder = StateGraph(IndexState, context_schema=IndexContext, input_schema=IndexInput,
                         output_schema=IndexOutput)
    builder.add_node("ingest", ingest)
    builder.add_edge(START, "ingest")
    builder.add_edge("ingest", END)
    return builder


# traced: each Studio / API server run is one Langfuse trace when the keys are set
indexer = traced(build_indexer().compile(name="docent-indexer"))
