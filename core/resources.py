"""What a run works with: one installation's settings and what they open (the store, the
keyword index, the model), each opened on first use and kept by this object.

Callers build one and hand it to the graphs through their `Context` (tests hand in fakes);
LangGraph Studio's runs, which bring no `Resources`, use `default_resources()`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

from core.settings import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from core.index.keyword import KeywordIndex
    from core.index.store import Store
    from core.llm import LoadedModel


class Resources:
    """The settings, and the store, keyword index and models they name."""

    def __init__(self, settings: Settings, *, store: Store | None = None,
                 model: LoadedModel | None = None, embeddings: Embeddings | None = None
                 ) -> None:
        self.settings = settings
        self._store = store
        self._model = model
        self._embeddings = embeddings
        # injected embeddings (tests' fakes) score the evidence sentences too
        self._evidence_embeddings = embeddings
        self._evidence_injected = embeddings is not None
        self._models: dict[Settings, LoadedModel] = {}
        self._models_lock = threading.Lock()

    def embeddings(self) -> Embeddings:
        if self._embeddings is None:
            from core.embeddings import embeddings_from

            self._embeddings = embeddings_from(self.settings)
        return self._embeddings

    def evidence_cosine_floor(self) -> float | None:
        """The cosine with the question that the first evidence sentence needs, by the
        evidence model (`core.tuning.EVIDENCE_MIN_COSINE`); none for injected embeddings,
        whose cosines mean something else."""
        if self._evidence_injected:
            return None
        from core.tuning import EVIDENCE_MIN_COSINE

        return EVIDENCE_MIN_COSINE

    def evidence_embeddings(self) -> Embeddings:
        """The model that scores evidence sentences against the question
        (`core.tuning.EVIDENCE_MODEL`); its weights load on its first sentence."""
        if self._evidence_embeddings is None:
            from core.embeddings import load_embeddings
            from core.tuning import EVIDENCE_MODEL, TUNING

            self._evidence_embeddings = load_embeddings(EVIDENCE_MODEL, TUNING.embedding_batch)
        return self._evidence_embeddings

    def store(self) -> Store:
        """The collection, opened on first use (raises when nothing was ingested)."""
        if self._store is None:
            from core.index.store import open_store

            self._store = open_store(self.settings, self.embeddings())
        return self._store

    def keyword_index(self) -> KeywordIndex | None:
        """The current BM25 index of the store (reloaded when an ingest replaced it)."""
        from core.index.keyword import load_keyword_index

        return load_keyword_index(self.settings)

    def model(self, settings: Settings | None = None) -> LoadedModel:
        """The configured model, or the one `settings` name (a run's model override);
        an injected model (tests, a server's own) serves every run. Either way it answers
        through the answer cache when DOCENT_ANSWER_CACHE is on."""
        settings = settings or self.settings
        with self._models_lock:  # one load, also when `model_loading_meanwhile` began it
            loaded = self._models.get(settings)
            if loaded is None:
                from core.llm import answer_cache, load_model

                loaded = self._model or load_model(settings)
                # per model, not set_llm_cache(): a process may hold two data dirs' models
                loaded.model.cache = answer_cache(settings)
                self._models[settings] = loaded
        return loaded

    @contextmanager
    def model_loading_meanwhile(self) -> Iterator[None]:
        """Load the configured model on a thread while the block runs (a process that asks
        one question overlaps the load with its imports and retrieval; `model()` waits for
        it), and wait for the load at the end of the block. Print nothing inside it:
        llama.cpp's loader points the process's stdout and stderr at /dev/null while it
        runs, and a load still running at exit aborts the process. A failed load is left to
        `model()` to raise again, in the run that needs it."""

        def load() -> None:
            try:
                self.model()
            except Exception:  # reported by the run's own model() call
                return

        thread = threading.Thread(target=load, name="docent-model-load", daemon=True)
        thread.start()
        try:
            yield
        finally:
            thread.join()


@lru_cache(maxsize=1)
def default_resources() -> Resources:
    """The installation's settings as the environment and `.env` give them, read once."""
    return Resources(Settings())
