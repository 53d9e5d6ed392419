"""What a run works with: one installation's settings and what they open (the store, the
keyword index, the model), each opened on first use and kept by this object.

Callers build one and hand it to the graphs through their `Context` (tests hand in fakes);
LangGraph Studio's runs, which bring no `Resources`, use `default_resources()`.

The index follows what is on disk: another process's `--reindex` (a new generation,
core/index/generation.py) or ingest (a new keyword index build) re-opens it at the next
look. One question reads one snapshot of it (`on_one_index`).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from core.settings import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from core.index.keyword import KeywordIndex
    from core.index.store import Store
    from core.llm import LoadedModel

T = TypeVar("T")
# attempts at opening the live index while other processes keep switching generations
OPEN_ATTEMPTS = 3


@dataclass(frozen=True)
class IndexSnapshot:
    """One generation's store and keyword index as one question reads them; `version`
    (the generation, and its keyword index build) tells whether the disk moved on."""

    version: tuple[str, str | None]
    store: Store
    keyword: KeywordIndex | None


@dataclass
class _Loaded:
    """What a `Resources` loads once, shared with its per-question views (`pinned`)."""

    store: Store | None  # injected: it serves every run, whatever the disk says
    model: LoadedModel | None
    embeddings: Embeddings | None
    evidence_embeddings: Embeddings | None
    models: dict[Settings, LoadedModel] = field(default_factory=dict)
    models_lock: threading.Lock = field(default_factory=threading.Lock)
    index: IndexSnapshot | None = None
    index_lock: threading.Lock = field(default_factory=threading.Lock)


class Resources:
    """The settings, and the store, keyword index and models they name."""

    def __init__(self, settings: Settings, *, store: Store | None = None,
                 model: LoadedModel | None = None, embeddings: Embeddings | None = None
                 ) -> None:
        self.settings = settings
        # injected embeddings (tests' fakes) score the evidence sentences too
        self._loaded = _Loaded(store, model, embeddings, evidence_embeddings=embeddings)
        self._evidence_injected = embeddings is not None
        self._pinned: IndexSnapshot | None = None

    def embeddings(self) -> Embeddings:
        if self._loaded.embeddings is None:
            from core.embeddings import embeddings_from

            self._loaded.embeddings = embeddings_from(self.settings)
        return self._loaded.embeddings

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
        if self._loaded.evidence_embeddings is None:
            from core.embeddings import load_embeddings
            from core.tuning import EVIDENCE_MODEL, TUNING

            self._loaded.evidence_embeddings = load_embeddings(EVIDENCE_MODEL,
                                                               TUNING.embedding_batch)
        return self._loaded.evidence_embeddings

    def store(self) -> Store:
        """The live collection (raises when nothing was ingested): `index().store`."""
        return self.index().store

    def keyword_index(self) -> KeywordIndex | None:
        """The live BM25 index, if any: `index().keyword`."""
        return self.index().keyword

    def index(self) -> IndexSnapshot:
        """The pinned snapshot of a per-question view (`pinned`), else the live one: the
        active generation's store and its current keyword index, re-opened when the disk
        moved on (another process's `--reindex` switched generations, or an ingest rebuilt
        the keyword index: a new Chroma client then reads its vectors too). Costs a read of
        the two small pointer files while nothing changed."""
        if self._pinned is not None:
            return self._pinned
        from core.errors import DocentError
        from core.index.generation import active_collection
        from core.index.keyword import load_keyword_index
        from core.index.store import open_store

        loaded = self._loaded
        with loaded.index_lock:
            for _attempt in range(OPEN_ATTEMPTS):
                name, build = self._disk_version()
                if loaded.index is not None and loaded.index.version == (name, build):
                    return loaded.index
                try:
                    keyword = load_keyword_index(self.settings, name)
                    store = loaded.store or open_store(self.settings, self.embeddings(),
                                                       name=name,
                                                       fresh=loaded.index is not None)
                except DocentError:  # the generation read was retired meanwhile: read again
                    if active_collection(self.settings) == name:
                        raise
                    continue
                version = (name, keyword.version if keyword else None)
                loaded.index = IndexSnapshot(version, store, keyword)
                return loaded.index
        raise DocentError(f"{self.settings.data_dir}: the index keeps switching generations "
                          "while being opened; retry")

    def _disk_version(self) -> tuple[str, str | None]:
        """The live generation (an injected store's own) and its keyword index build."""
        from core.index.generation import active_collection
        from core.index.keyword import current_build

        store = self._loaded.store
        name = store.name if store else active_collection(self.settings)
        return name, current_build(self.settings, name)

    def pinned(self) -> Resources:
        """A view of these resources whose store and keyword index stay those of the live
        snapshot now (`index`), whatever the disk does meanwhile: one question's, so all
        its steps read one generation. Models and embeddings are shared, not reloaded."""
        view = copy.copy(self)
        view._pinned = self.index()
        return view

    def on_one_index(self, run: Callable[[Resources], T]) -> T:
        """`run(view)` (one question, one search) with `view` pinned to one index snapshot.
        When it fails and the snapshot is no longer live, it runs once more on the new one:
        another process's `--reindex` deletes the generation it replaced (Chroma then
        raises NotFoundError), and its ingest may delete chunks being read."""
        view = self.pinned()
        try:
            return run(view)
        except Exception:
            if view.index().version == self._disk_version():
                raise
        return run(self.pinned())

    def model(self, settings: Settings | None = None) -> LoadedModel:
        """The configured model, or the one `settings` name (a run's model override);
        an injected model (tests, a server's own) serves every run. Either way it answers
        through the answer cache when DOCENT_ANSWER_CACHE is on."""
        settings = settings or self.settings
        models = self._loaded.models
        with self._loaded.models_lock:  # one load, also when `model_loading_meanwhile` began it
            loaded = models.get(settings)
            if loaded is None:
                from core.llm import answer_cache, load_model

                loaded = self._loaded.model or load_model(settings)
                # per model, not set_llm_cache(): a process may hold two data dirs' models
                loaded.model.cache = answer_cache(settings)
                models[settings] = loaded
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
