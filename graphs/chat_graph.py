"""The chat graph: the RAG graph plus memory, and a rewrite of follow-ups that depend on the
turn before.

START ─> receive ─(depends on the last turn?)─> condense ─> retrieve, or receive ─> retrieve;
then as the RAG graph (select → generate | refuse), and `remember` appends the turn to
`messages`: the question as typed, the answer with what it was given with. A checkpointer
(SQLite under the data directory) keeps each thread's messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Annotated

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages

from core.tracing import traced
from graphs.chat_followup import Turn, is_refusal, rewrite_followup
from graphs.context import Context
from graphs.graph import add_rag_nodes
from graphs.state import InputState, OutputState, RAGState


class ChatOutput(OutputState, total=False):
    question: str  # the standalone question the turn was answered as
    asked: str  # the question as typed


class ChatState(RAGState, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    asked: str


def receive(state: ChatState) -> dict:
    """Keep the question as typed: `condense` may put its standalone form in `question`."""
    return {"asked": state["question"]}


def turns(messages: Sequence[AnyMessage]) -> list[Turn]:
    """The thread's earlier turns, oldest first, from its question and answer messages."""
    return [Turn(str(asked.content), str(answer.content),
                 bool(answer.additional_kwargs.get("docent", {}).get("refused"))
                 or is_refusal(str(answer.content)))
            for asked, answer in pairwise(messages)
            if asked.type == "human" and answer.type == "ai"]


def _standalone(state: ChatState) -> str:
    return rewrite_followup(state["asked"], turns(state.get("messages", [])))


def route_question(state: ChatState) -> str:
    """Condense only a question that depends on the turn before."""
    return "condense" if _standalone(state) != state["asked"] else "retrieve"


def condense(state: ChatState) -> dict:
    """Answer the standalone form of a follow-up (graphs/chat_followup.py)."""
    return {"question": _standalone(state)}


# what a reopened conversation shows under each answer (the web app), kept with the turn
TURN_DETAILS = ("answer_kind", "refused", "sources", "evidence", "warnings")


def remember(state: ChatState) -> dict:
    """Append this turn to the thread's messages: the question as typed (with the standalone
    form it was answered as, when that differs), and the answer with its sources, evidence
    and whether it was refused."""
    asked = state["asked"]
    understood = ({"docent": {"understood_as": state["question"]}}
                  if state["question"] != asked else {})
    details = {key: state.get(key) for key in TURN_DETAILS}
    return {"messages": [HumanMessage(asked, additional_kwargs=understood),
                         AIMessage(state["answer"], additional_kwargs={"docent": details})]}


def build_chat_graph() -> StateGraph[ChatState, Context, InputState, ChatOutput]:
    builder = StateGraph(
        ChatState, context_schema=Context, input_schema=InputState, output_schema=ChatOutput
    )
    add_rag_nodes(builder)
    builder.add_node("receive", receive)
    builder.add_node("condense", condense)
    builder.add_node("remember", remember)
    builder.add_edge(START, "receive")
    builder.add_conditional_edges("receive", route_question, ["condense", "retrieve"])
    builder.add_edge("condense", "retrieve")
    builder.add_edge("generate", "remember")
    builder.add_edge("refuse", "remember")
    builder.add_edge("remember", END)
    return builder


# LangGraph Studio / the API server bring their own checkpointer; traced as graphs/graph.py
chat_graph = traced(build_chat_graph().compile(name="docent-chat"))
