"""The RAG graph: retrieve → rerank → generate, or refuse when nothing relevant is found."""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph

from app.tracing import traced
from graphs.context import Context
from graphs.nodes import generate, refuse, rerank, retrieve, route_after_rerank
from graphs.state import InputState, OutputState, RAGState


def add_rag_nodes(builder: StateGraph[Any, Context, Any, Any]) -> None:
    """retrieve → rerank → generate | refuse; the caller wires what comes before and after."""
    builder.add_node("retrieve", retrieve)
    builder.add_node("rerank", rerank)
    builder.add_node("generate", generate)
    builder.add_node("refuse", refuse)
    builder.add_edge("retrieve", "rerank")
    builder.add_conditional_edges("rerank", route_after_rerank, ["generate", "refuse"])


def build_graph() -> StateGraph[RAGState, Context, InputState, OutputState]:
    builder = StateGraph(
        RAGState, context_schema=Context, input_schema=InputState, output_schema=OutputState
    )
    add_rag_nodes(builder)
    builder.add_edge(START, "retrieve")
    builder.add_edge("generate", END)
    builder.add_edge("refuse", END)
    return builder


# traced: Studio's and the API server's runs are Langfuse traces too (app/tracing.py)
graph = traced(build_graph().compile(name="docent-rag"))
