"""The RAG graph: retrieve → select → find_evidence → generate, or refuse when nothing in the
documents answers the question."""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph

from core.tracing import traced
from graphs.context import Context
from graphs.nodes import (
    find_evidence,
    generate,
    refuse,
    retrieve,
    route_after_evidence,
    route_after_select,
    select,
)
from graphs.state import InputState, OutputState, RAGState


def add_rag_nodes(builder: StateGraph[Any, Context, Any, Any]) -> None:
    """retrieve → select → find_evidence → generate, each of the last two possibly → refuse;
    the caller wires what comes before and after."""
    builder.add_node("retrieve", retrieve)
    builder.add_node("select", select)
    builder.add_node("find_evidence", find_evidence)
    builder.add_node("generate", generate)
    builder.add_node("refuse", refuse)
    builder.add_edge("retrieve", "select")
    builder.add_conditional_edges("select", route_after_select, ["find_evidence", "refuse"])
    builder.add_conditional_edges("find_evidence", route_after_evidence, ["generate", "refuse"])


def build_graph() -> StateGraph[RAGState, Context, InputState, OutputState]:
    builder = StateGraph(
        RAGState, context_schema=Context, input_schema=InputState, output_schema=OutputState
    )
    add_rag_nodes(builder)
    builder.add_edge(START, "retrieve")
    builder.add_edge("generate", END)
    builder.add_edge("refuse", END)
    return builder


# traced: Studio's and the API server's runs are Langfuse traces too (core/tracing.py)
graph = traced(build_graph().compile(name="docent-rag"))
