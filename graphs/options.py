"""The one place where a run's `Context` meets the installation's `Settings` and the tuning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.resources import Resources, default_resources
from core.settings import Fusion, SearchType, Settings
from core.tuning import TUNING, Tuning, model_scale
from graphs.context import Context


@dataclass(frozen=True)
class RunOptions:
    """Everything that decides how one question is retrieved, selected and answered."""

    k: int
    fetch_k: int
    search_type: SearchType
    filter: dict[str, Any] | None
    dense_weight: float
    dense_weight_korean: float
    keyword_weight: float
    fusion: Fusion
    rrf_k: int
    min_relevance: float
    min_dense_alone: float
    min_keyword_coverage: float
    mmr_lambda: float
    rerank_model: str | None
    rerank_top_n: int
    rerank_min_score: float
    llm_settings: Settings


def _pick(value: Any, default: Any) -> Any:
    return default if value is None else value


def resolve(settings: Settings, context: Context, tuning: Tuning = TUNING) -> RunOptions:
    """The run's options: what the context sets, else the settings, else the tuning.

    A context `dense_weight` applies to Korean questions too; unset, they take the
    embedding model's own weight (0 for MiniLM, which cannot read Hangul).
    """
    scale = model_scale(settings.embedding_model)
    llm = {name: value for name in ("llm_backend", "llm_model")
           if (value := getattr(context, name))}
    return RunOptions(
        k=_pick(context.k, settings.k),
        fetch_k=_pick(context.fetch_k, tuning.fetch_k),
        search_type=_pick(context.search_type, tuning.search_type),
        filter=context.filter,
        dense_weight=_pick(context.dense_weight, tuning.dense_weight),
        dense_weight_korean=_pick(context.dense_weight, scale.korean_dense_weight),
        keyword_weight=_pick(context.keyword_weight, tuning.keyword_weight),
        fusion=_pick(context.fusion, tuning.fusion),
        rrf_k=_pick(context.rrf_k, tuning.rrf_k),
        min_relevance=_pick(context.min_relevance, scale.min_relevance),
        min_dense_alone=scale.min_dense_alone,
        min_keyword_coverage=tuning.min_keyword_coverage,
        mmr_lambda=tuning.mmr_lambda,
        rerank_model=settings.rerank_model if context.rerank is not False else None,
        rerank_top_n=_pick(context.rerank_top_n, tuning.rerank_top_n),
        rerank_min_score=tuning.rerank_min_score,
        llm_settings=settings.model_copy(update=llm) if llm else settings,
    )


def run_resources(context: Context | None) -> tuple[Resources, RunOptions]:
    """The resources a run was given (or the installation's) and its resolved options."""
    context = context or Context()
    resources = context.resources or default_resources()
    return resources, resolve(resources.settings, context)
