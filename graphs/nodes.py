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
    """Fetch `fetch_k` candidates from the vector store, each with its relevance score."""
    settings, ctx = get_settings(), runtime.context or Context()
    fetch_k = ctx.fetch_k or settings.fetch_k
    search_type = ctx.search_type or settings.search_type
    vectorstore = get_store().vectorstore
    question = state["question"]
    match search_type:
        case "mmr":
            docs = vectorstore.max_marginal_relevance_search(
                question, k=fetch_k, fetch_k=fetch_k * 2, filter=ctx.filter)
            pairs = [(doc, 1.0 - rank / max(len(docs), 1)) for rank, doc in enumerate(docs)]
        case "similarity" | "similarity_score_threshold":
            # cosine distance → relevance in [0, 1]
            pairs = [(doc, max(0.0, 1.0 - distance)) for doc, distance in
                     vectorstore.similarity_search_with_score(question, k=fetch_k,
                                                              filter=ctx.filter)]
    candidates = []
    for doc, score in pairs:
        doc.metadata["score"] = float(score)
        candidates.append(doc)
    return {"candidates": candidates}


def rerank(state: RAGState, runtime: Runtime[Context]) -> dict:
    """Keep the retrieval order, drop passages below `min_relevance`, keep the top k.

    (The model-based rerank comes with the retrieval issue.)
    """
    settings = get_settings()
    k = (runtime.context or Context()).k or settings.k
    kept = [d for d in state.get("candidates", []) if d.metadata["score"] >= settings.min_relevance]
    return {"documents": kept[:k], "rerank_mode": "retrieval order, relevance threshold"}


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
