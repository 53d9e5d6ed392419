"""The RAG graph's nodes: small sync functions (Chroma and the models block).

Each reads what it needs from the run's `Context`: the resources (store, keyword index,
model) and the options `graphs.options.resolve` derives from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_core.messages import BaseMessage
from langgraph.runtime import Runtime

from core.tuning import TUNING
from graphs.answer_check import decide
from graphs.budget import fit_evidence
from graphs.context import Context
from graphs.evidence import chosen_evidence
from graphs.options import run_resources
from graphs.prompts import REFUSALS, language
from graphs.question import check_question, language_note
from graphs.references import evidence_refs, passage_refs
from graphs.retrieval import hybrid_search
from graphs.selection import select_passages
from graphs.state import EvidenceRef, RAGState

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from core.llm import LoadedModel


def retrieve(state: RAGState, runtime: Runtime[Context]) -> dict:
    """Dense (Chroma, by best sentence) and BM25 candidates, fused (graphs/retrieval.py).
    An empty or pasted-document question fails here too, for runs `ask` does not start
    (LangGraph Studio's)."""
    question = check_question(state["question"])
    resources, opts = run_resources(runtime.context)
    candidates = hybrid_search(resources.store(), resources.keyword_index(), question, opts)
    return {"candidates": candidates}


def select(state: RAGState, runtime: Runtime[Context]) -> dict:
    """Cross-encoder when configured, else relevance filter and MMR (graphs/selection.py)."""
    resources, opts = run_resources(runtime.context)
    documents, mode = select_passages(state["question"], state.get("candidates", []),
                                      resources.keyword_index(), opts)
    return {"documents": documents, "selection_mode": mode}


def find_evidence(state: RAGState, runtime: Runtime[Context]) -> dict:
    """The sentences of the selected passages that answer the question (graphs/evidence.py);
    none strong enough means a refusal, without a model call."""
    resources, _ = run_resources(runtime.context)
    docs, question = state.get("documents", []), state["question"]
    return {"evidence": evidence_refs(chosen_evidence(resources, question, docs), docs)}


def route_after_select(state: RAGState) -> str:
    """Refuse without calling the model when no passage survived."""
    return "find_evidence" if state.get("documents") else "refuse"


def route_after_evidence(state: RAGState) -> str:
    """Refuse without calling the model when no sentence answers the question."""
    return "generate" if state.get("evidence") else "refuse"


def generate(state: RAGState, runtime: Runtime[Context]) -> dict:
    """Ask the model for a short answer (`answer_with`); its draft is never streamed out:
    what the run hands a door is the checked answer (graphs/runner.py)."""
    resources, opts = run_resources(runtime.context)
    loaded = resources.model(opts.llm_settings)
    return answer_with(loaded, state["question"], state["documents"], state["evidence"])


def model_context(loaded: LoadedModel, documents: list[Document], evidence: list[EvidenceRef]
                  ) -> tuple[list[str], list[int]]:
    """The texts the model reads, best first, and the passage number [n] of each: a packaged
    small model (`quotes_only`) reads the evidence sentences; a capable one the best
    `TUNING.context_passages` passages, those holding the evidence first."""
    if loaded.quotes_only:
        return [e["text"] for e in evidence], [e["passage"] for e in evidence]
    ranked = list(dict.fromkeys([e["passage"] for e in evidence]
                                + list(range(1, len(documents) + 1))))
    numbers = ranked[:TUNING.context_passages]
    return [documents[n - 1].page_content for n in numbers], numbers


def answer_with(loaded: LoadedModel, question: str, documents: list[Document],
                evidence: list[EvidenceRef]) -> dict:
    """The model's draft from what fits its window of `model_context`, shown only when the
    passages support it, else the evidence quoted (graphs/answer_check.py)."""
    texts, cited = model_context(loaded, documents, evidence)
    fitted = fit_evidence(loaded, question, texts)
    # invoke (not stream) so the answer cache applies
    draft = loaded.model.invoke(fitted.prompt)
    text = str(draft.content) if isinstance(draft, BaseMessage) else str(draft)
    kept = cited[:len(fitted.kept)]
    dropped = [documents[n - 1] for n in dict.fromkeys(cited[len(kept):]) if n not in kept]
    passages = "\n".join(doc.page_content for doc in documents)
    return {**decide(text.strip(), question, evidence, passages,
                     quotes_only=loaded.quotes_only, cited=kept),
            "sources": passage_refs(documents), "dropped_passages": passage_refs(dropped)}


def refuse(state: RAGState) -> dict:
    """The documents hold nothing for this question: say so in its language, no model call."""
    question = state["question"]
    return {"answer": REFUSALS[language(question)] + language_note(question),
            "answer_kind": "refusal",
            "sources": [], "refused": True, "evidence": [], "warnings": [],
            "dropped_passages": []}
