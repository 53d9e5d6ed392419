"""The RAG graph's nodes: small sync functions (Chroma and the models block).

Each reads what it needs from the run's `Context`: the resources (store, keyword index,
model) and the options `graphs.options.resolve` derives from it.
"""

from __future__ import annotations

from pathlib import Path

from langchain_core.documents import Document
from langchain_core.runnables.config import merge_configs
from langgraph.config import get_config
from langgraph.runtime import Runtime

from graphs.budget import fit_passages
from graphs.citations import check_citations
from graphs.context import Context
from graphs.options import run_resources
from graphs.prompts import REFUSAL
from graphs.retrieval import hybrid_search
from graphs.selection import select_passages
from graphs.state import PassageRef, RAGState
from graphs.token_stream import TokenWriter


def retrieve(state: RAGState, runtime: Runtime[Context]) -> dict:
    """Dense (Chroma, by best sentence) and BM25 candidates, fused (graphs/retrieval.py)."""
    resources, opts = run_resources(runtime.context)
    candidates = hybrid_search(resources.store(), resources.keyword_index(), state["question"],
                               opts)
    return {"candidates": candidates}


def select(state: RAGState, runtime: Runtime[Context]) -> dict:
    """Cross-encoder when configured, else relevance filter and MMR (graphs/selection.py)."""
    resources, opts = run_resources(runtime.context)
    documents, mode = select_passages(state["question"], state.get("candidates", []),
                                      resources.keyword_index(), opts)
    return {"documents": documents, "selection_mode": mode}


def route_after_select(state: RAGState) -> str:
    """Refuse without calling the model when no passage survived."""
    return "generate" if state.get("documents") else "refuse"


def _display_path(source: str) -> str:
    path = Path(source)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return source


def passage_refs(docs: list[Document]) -> list[PassageRef]:
    return [
        PassageRef(source=_display_path(str(doc.metadata.get("source", ""))),
                   page=doc.metadata.get("page"), chunk_id=doc.id,
                   score=round(float(doc.metadata.get("score", 0.0)), 4))
        for doc in docs
    ]


def generate(state: RAGState, runtime: Runtime[Context]) -> dict:
    """Answer from the numbered passages that fit the window; tokens stream out as they come."""
    resources, opts = run_resources(runtime.context)
    loaded = resources.model(opts.llm_settings)
    fitted = fit_passages(loaded, state["question"], state["documents"])
    match loaded.style:
        case "chat":
            # stream_mode="messages" carries the chat model's tokens
            answer = str(loaded.model.invoke(fitted.prompt).content)
        case "completion":
            # invoke (not stream) so the LLM cache applies; tokens reach stream_mode="custom"
            config = merge_configs(get_config(), {"callbacks": [TokenWriter()]})
            answer = str(loaded.model.invoke(fitted.prompt, config=config))
    answer = answer.strip()
    dropped = passage_refs(fitted.dropped)
    if answer.startswith(REFUSAL) or not fitted.kept:
        return {"answer": REFUSAL, "sources": [], "refused": True, "unsupported": [],
                "invalid_citations": [], "dropped_passages": dropped}
    checked = check_citations(answer, fitted.kept)
    return {"answer": checked.text, "sources": passage_refs(fitted.kept), "refused": False,
            "unsupported": checked.unsupported, "invalid_citations": checked.invalid_citations,
            "dropped_passages": dropped}


def refuse(state: RAGState) -> dict:
    """The documents hold nothing for this question: say so, no model call."""
    return {"answer": REFUSAL, "sources": [], "refused": True, "unsupported": [],
            "invalid_citations": [], "dropped_passages": []}
