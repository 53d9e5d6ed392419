"""What one run may change; LangGraph Studio shows these fields as its configuration form.

Unset fields take the installation's settings (`core.settings`) or the measured tuning
(`core.tuning`); `graphs.options.resolve` applies them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.settings import Fusion, LLMBackend, SearchType


@dataclass(kw_only=True)
class Context:
    """How one question is answered."""

    k: int | None = field(
        default=None, metadata={"description": "Passages handed to the model (DOCENT_K)."}
    )
    search_type: SearchType | None = field(
        default=None,
        metadata={"description": "Dense retrieval mode: similarity (by best sentence), mmr "
                  "or similarity_score_threshold."},
    )
    filter: dict[str, Any] | None = field(
        default=None,
        metadata={"description": 'Metadata filter, e.g. {"title": "handbook"}.'},
    )
    llm_backend: LLMBackend | None = field(
        default=None, metadata={"description": "Model backend for this run (DOCENT_LLM_BACKEND)."}
    )
    llm_model: str | None = field(
        default=None,
        metadata={"description": "Model for this run: packaged:gemma3-270m, "
                  "packaged:qwen2.5-coder-1.5b, packaged:smollm2, "
                  "a .gguf path, or the server's model name (DOCENT_LLM_MODEL)."},
    )
    rerank: bool | None = field(
        default=None,
        metadata={"description": "Use the cross-encoder when one is configured "
                  "(DOCENT_RERANK_MODEL); false = relevance filter and MMR only."},
    )
    # tuning overrides, for benchmarks and Studio experiments (defaults: core/tuning.py)
    fetch_k: int | None = field(
        default=None, metadata={"description": "Candidates retrieved before selection (20)."},
    )
    dense_weight: float | None = field(
        default=None,
        metadata={"description": "Weight of the dense ranking in the fusion; 0 = BM25 only "
                  "(0.7; for Korean questions the embedding model's own)."},
    )
    keyword_weight: float | None = field(
        default=None,
        metadata={"description": "Weight of the BM25 ranking in the fusion; 0 = dense only (1)."},
    )
    fusion: Fusion | None = field(
        default=None,
        metadata={"description": "How the rankings are fused: convex (weighted normalised "
                  "scores) | rrf (reciprocal rank)."},
    )
    rrf_k: int | None = field(
        default=None, metadata={"description": "Reciprocal rank fusion constant (60)."}
    )
    min_relevance: float | None = field(
        default=None,
        metadata={"description": "Dense relevance a passage needs without a keyword index "
                  "(the embedding model's own)."},
    )
    rerank_top_n: int | None = field(
        default=None,
        metadata={"description": "Fused candidates the cross-encoder reads (20)."},
    )
    resources: Any = field(
        default=None,
        metadata={"description": "Set by docent's own callers (CLI, eval, tests): the "
                  "settings, store and model to use. Leave empty in Studio: the DOCENT_* "
                  "settings apply."},
    )
