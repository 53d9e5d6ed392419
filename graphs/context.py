"""Per-run configuration; LangGraph Studio shows these fields as its configuration form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(kw_only=True)
class Context:
    """How one question is answered. Unset fields take the value from the settings."""

    k: int | None = field(
        default=None, metadata={"description": "Passages handed to the model (DOCENT_K)."}
    )
    fetch_k: int | None = field(
        default=None,
        metadata={"description": "Candidates retrieved before rerank (DOCENT_FETCH_K)."},
    )
    search_type: Literal["similarity", "mmr", "similarity_score_threshold"] | None = field(
        default=None, metadata={"description": "Dense retrieval mode (DOCENT_SEARCH_TYPE)."}
    )
    filter: dict[str, Any] | None = field(
        default=None,
        metadata={"description": 'Metadata filter, e.g. {"title": "handbook"}.'},
    )
    llm_backend: Literal["llamacpp", "ollama", "openai"] | None = field(
        default=None, metadata={"description": "Model backend for this run (DOCENT_LLM_BACKEND)."}
    )
    llm_model: str | None = field(
        default=None,
        metadata={"description": "Model for this run: packaged:gemma3-270m, packaged:smollm2, "
                  "a .gguf path, or the server's model name (DOCENT_LLM_MODEL)."},
    )
    dense_weight: float | None = field(
        default=None,
        metadata={"description": "Weight of the dense ranking in the fusion; 0 = BM25 only "
                  "(DOCENT_DENSE_WEIGHT)."},
    )
    keyword_weight: float | None = field(
        default=None,
        metadata={"description": "Weight of the BM25 ranking in the fusion; 0 = dense only "
                  "(DOCENT_KEYWORD_WEIGHT)."},
    )
    rrf_k: int | None = field(
        default=None, metadata={"description": "Reciprocal rank fusion constant (DOCENT_RRF_K)."}
    )
    fusion: Literal["rrf", "convex"] | None = field(
        default=None,
        metadata={"description": "How the rankings are fused: rrf | convex (DOCENT_FUSION)."},
    )
    min_relevance: float | None = field(
        default=None,
        metadata={"description": "Dense relevance a passage needs (DOCENT_MIN_RELEVANCE)."},
    )
    rerank: bool | None = field(
        default=None,
        metadata={"description": "Use the cross-encoder when one is configured "
                  "(DOCENT_RERANK_MODEL); false = filtering and MMR only."},
    )
    rerank_top_n: int | None = field(
        default=None,
        metadata={"description": "Fused candidates the cross-encoder reads (DOCENT_RERANK_TOP_N)."},
    )
