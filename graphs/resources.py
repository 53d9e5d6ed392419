"""The heavy objects the nodes share (store, model), built once per process on first use."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from app.settings import Settings, get_settings

if TYPE_CHECKING:
    from app.llm import LoadedModel
    from ingest.store import Store


@lru_cache(maxsize=2)
def store_for(settings: Settings) -> Store:
    from app.embeddings import embeddings_from
    from ingest.store import open_store

    return open_store(settings, embeddings_from(settings))


def get_store() -> Store:
    return store_for(get_settings())


def model_settings() -> Settings:
    """The settings, with the current run's Context `llm_backend` / `llm_model` applied."""
    from langgraph.runtime import get_runtime

    settings = get_settings()
    try:
        context = get_runtime().context
    except RuntimeError:  # outside a graph run
        return settings
    overrides = {name: value for name in ("llm_backend", "llm_model")
                 if (value := getattr(context, name, None))}
    return settings.model_copy(update=overrides) if overrides else settings


def get_model() -> LoadedModel:
    """The configured model, or the one the run's Context names (e.g. from Studio's form)."""
    from app.llm import load_model

    return load_model(model_settings())
