"""The RAG graph's nodes: small sync functions (Chroma and the models block)."""

from __future__ import annotations

from pathlib import Path

from langchain_core.documents import Document
from langchain_core.runnables.config import merge_configs
from langgraph.config import get_config
from langgraph.runtime import Runtime

from app.settings import get_settings
from graphs.budget import fit_passages
from graphs.citations import check_citations
from graphs.context import Context
from graphs.prompts import REFUSAL
from graphs.resources import get_model, get_store
from graphs.state import RAGState, Source
from graphs.token_stream import TokenWriter


def retrieve(state: RAGState, runtime: Runtime[Context]) -> dict:
    """Dense (Chroma) and BM25 candidates fused by reciprocal rank (graphs/retrieval.py)."""
    from graphs.retrieval import RetrievalOptions, hybrid_search
    from ingest.keyword_index import load_keyword_index

    settings, ctx = get_settings(), runtime.context or Context()
    candidates = hybrid_search(get_store(), load_keyword_index(settings), state["question"],
                               RetrievalOptions.of(settings, ctx))
    return {"candidates": candidates}


def rerank(state: RAGState, runtime: Runtime[Context]) -> dict:
    """Cross-encoder when configured, else relevance filter and MMR (graphs/rerank.py)."""
    from graphs.rerank import rerank_candidates

    documents, mode = rerank_candidates(state["question"], state.get("candidates", []),
                                        get_settings(), runtime.context or Context())
    return {"documents": documents, "rerank_mode": mode}


def route_after_rerank(state: RAGState) -> str:
    """Refuse without calling the model when no passage survived."""
    return "generate" if state.get("documents") else "refuse"


def _display_path(source: str) -> str:
    path = Path(source)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return source


def sources_of(docs: list[Document]) -> list[Source]:
    return [
        Source(source=_display_path(str(doc.metadata.get("source", ""))),
               page=doc.metadata.get("page"), chunk_id=doc.id,
               score=round(float(doc.metadata.get("score", 0.0)), 4))
        for doc in docs
    ]


def generate(state: RAGState) -> dict:
    """Answer from the numbered passages that fit the window; tokens stream out as they come."""
    loaded = get_model()
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
    dropped = sources_of(fitted.dropped)
    if answer.startswith(REFUSAL) or not fitted.kept:
        return {"answer": REFUSAL, "sources": [], "refused": True, "unsupported": [],
                "invalid_citations": [], "dropped_passages": dropped}
    checked = check_citations(answer, fitted.kept)
    return {"answer": checked.text, "sources": sources_of(fitted.kept), "refused": False,
            "unsupported": checked.unsupported, "invalid_citations": checked.invalid_citations,
            "dropped_passages": dropped}


def refuse(state: RAGState) -> dict:
    """The documents hold nothing for this question: say so, no model call."""
    return {"answer": REFUSAL, "sources": [], "refused": True, "unsupported": [],
            "invalid_citations": [], "dropped_passages": []}
