"""The chat graph: the RAG graph plus memory, and a rewrite of follow-ups that refer back.

START ─(refers back?)─> condense ─> retrieve   or   START ─> retrieve; then as the RAG
graph (select → generate | refuse), and `remember` appends the turn to `messages`.
A checkpointer (SQLite under the data directory) keeps each thread's messages.
"""

from __future__ import annotations

from typing import Annotated

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages

from core.tracing import traced
from graphs.chat_followup import refers_back, standalone_question
from graphs.context import Context
from graphs.graph import add_rag_nodes
from graphs.state import InputState, OutputState, RAGState


class ChatOutput(OutputState, total=False):
    question: str  # the standalone question the turn was answered as


class ChatState(RAGState, total=False):
    messages: Annotated[list[AnyMessage], add_messages]


def route_question(state: ChatState) -> str:
    """Condense only a follow-up that refers back to an earlier turn."""
    if state.get("messages") and refers_back(state["question"]):
        return "condense"
    return "retrieve"


def condense(state: ChatState) -> dict:
    """Make a follow-up that refers back standalone, with the question it refers to."""
    previous = next(str(m.content) for m in reversed(state["messages"]) if m.type == "human")
    return {"question": standalone_question(state["question"], previous)}


# what a reopened conversation shows under each answer (the web app), kept with the turn
TURN_DETAILS = ("answer_kind", "refused", "sources", "evidence", "warnings")


def remember(state: ChatState) -> dict:
    """Append this turn (as the standalone question) to the thread's messages; the answer
    carries its sources and evidence."""
    details = {key: state.get(key) for key in TURN_DETAILS}
    return {"messages": [HumanMessage(state["question"]),
                         AIMessage(state["answer"], additional_kwargs={"docent": details})]}


def build_chat_graph() -> StateGraph[ChatState, Context, InputState, ChatOutput]:
    builder = StateGraph(
        ChatState, context_schema=Context, input_schema=InputState, output_schema=ChatOutput
    )
    add_rag_nodes(builder)
    builder.add_node("condense", condense)
    builder.add_node("remember", remember)
    builder.add_conditional_edges(START, route_question, ["condense", "retrieve"])
    builder.add_edge("condense", "retrieve")
    builder.add_edge("generate", "remember")
    builder.add_edge("refuse", "remember")
    builder.add_edge("remember", END)
    return builder


# LangGraph Studio / the API server bring their own checkpointer; traced as graphs/graph.py
chat_graph = traced(build_chat_graph().compile(name="docent-chat"))
