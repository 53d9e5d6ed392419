"""The persistent BM25 (bm25s) keyword index that sits next to the Chroma collection.

Layout under `DATA_DIR/bm25/<generation>/` (see core.index.generation): one folder per
build (`v-<uuid>`) and a `CURRENT` file naming the complete one. A build writes its
folder first and then replaces `CURRENT` atomically, so a crash leaves the previous index
(or none), never half of one. Queries load the index once per process and reload only
when `CURRENT` changes.

With DOCENT_DATABASE_URL the tokens are a column of the chunks' table, written with them
(core.index.postgres.backend): nothing here is built or synced, and the index a process
loads is made from that column.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import DocentError
from core.index.damage import KEYWORD_FIX, damaged
from core.index.generation import active_collection
from core.index.paging import get_all
from core.index.tokens import TOKEN_RULES, keyword_tokens
from core.tuning import TUNING

if TYPE_CHECKING:
    from core.index.store import Store
    from core.settings import KoreanTokens, Settings

CURRENT = "CURRENT"
# Lucene's k1 and b: k1 1.2 beat bm25s' default 1.5 on SQuAD and KorQuAD (docs/retrieval.md)
BM25_K1, BM25_B = 1.2, 0.75
META = "docent.json"
TOKENS = "tokens.jsonl"


def index_root(settings: Settings, name: str | None = None) -> Path:
    """The BM25 folder of generation `name` (default: the live one)."""
    return settings.data_dir / "bm25" / (name or active_collection(settings))


@dataclass
class KeywordIndex:
    """A loaded BM25 index: chunk ids in index order, and the bm25s retriever."""

    version: str
    ids: list[str]
    korean: KoreanTokens
    retriever: Any
    _position: dict[str, int] | None = field(default=None, repr=False)

    def search(self, query: str, k: int, allowed: set[str] | None = None
               ) -> list[tuple[str, float]]:
        """Chunk ids with a positive BM25 score, best first; `allowed` restricts the ids."""
        import numpy as np

        tokens = keyword_tokens(query, self.korean)
        if not self.ids or not tokens:
            return []
        mask = None
        if allowed is not None:
            mask = np.fromiter((i in allowed for i in self.ids), dtype=np.float32,
                               count=len(self.ids))
        top = min(k, len(self.ids))
        # unknown query tokens fall back to the index's empty token
        docs, scores = self.retriever.retrieve(
            [tokens], k=top, show_progress=False, n_threads=1, weight_mask=mask)
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True)
                if s > 0]

    def token_weights(self, text: str) -> dict[str, float]:
        """The text's BM25 tokens with their IDF in this index; a token the index has never
        seen gets the highest IDF, so a question about something the documents never
        mention finds little coverage anywhere."""
        import math

        n = len(self.ids)
        scores: Any = self.retriever.scores if self.retriever is not None else None
        weights = {}
        for token in set(keyword_tokens(text, self.korean)):
            column = self.retriever.vocab_dict.get(token) if scores is not None else None
            found = 0 if column is None else int(scores["indptr"][column + 1]
                                                 - scores["indptr"][column])
            weights[token] = math.log(1 + (n - found + 0.5) / (found + 0.5))
        return weights

    def coverage(self, query: str, chunk_ids: list[str]) -> dict[str, float]:
        """Per chunk, the share (0..1) of the query's IDF weight whose tokens it contains."""
        import numpy as np

        position = self._positions()
        rows = np.array([position.get(c, -1) for c in chunk_ids], dtype=np.int64)
        covered = np.zeros(len(chunk_ids))
        weights = self.token_weights(query)
        scores: Any = self.retriever.scores if self.retriever is not None else None
        for token, idf in weights.items():
            column = self.retriever.vocab_dict.get(token) if scores is not None else None
            if column is not None:
                docs = scores["indices"][scores["indptr"][column]:scores["indptr"][column + 1]]
                covered += idf * np.isin(rows, docs)
        total = sum(weights.values())
        share = covered / total if total else covered
        return dict(zip(chunk_ids, share.tolist(), strict=True))

    def _positions(self) -> dict[str, int]:
        if self._position is None:
            self._position = {chunk_id: i for i, chunk_id in enumerate(self.ids)}
        return self._position


def keyword_hits(store: Store, index: KeywordIndex, query: str, k: int,
                 where: dict[str, Any] | None) -> list[tuple[str, float]]:
    """Chunk ids with a positive BM25 score for `query` among those `where` selects, best
    first: from `index`, or on PostgreSQL from the server (pg_search where it has it)."""
    if store.backend is not None:
        return store.backend.keyword_search(store.name, query, k, where)
    allowed = None
    if where:
        allowed = set(store.vectorstore.get(where=where, include=[])["ids"])
    return index.search(query, k, allowed)


def current_build(settings: Settings, name: str | None = None) -> str | None:
    """The build `CURRENT` names for generation `name` (default: the live one), if any:
    it changes with every ingest that changed chunks."""
    return _read_current(index_root(settings, name))


def _read_current(root: Path) -> str | None:
    try:
        return (root / CURRENT).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def _previous_tokens(root: Path) -> dict[str, list[str]]:
    """Tokens of the current build by chunk id (ids are content hashes, so they stay valid)."""
    version = _read_current(root)
    if version is None:
        return {}
    folder = root / version
    try:
        ids = json.loads((folder / META).read_text(encoding="utf-8"))["ids"]
        with (folder / TOKENS).open(encoding="utf-8") as lines:
            return dict(zip(ids, (json.loads(line) for line in lines), strict=True))
    except (OSError, ValueError, KeyError):
        return {}


def build_keyword_index(store: Store) -> int:
    """Rebuild the BM25 index from the collection's ids and texts; return its size."""
    import bm25s

    if store.backend is not None:  # its writes carry the tokens
        return store.count()

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG
    root = index_root(store.settings, store.name)
    korean = TUNING.keyword_korean
    stored = get_all(store.vectorstore, ["documents"])
    ids: list[str] = list(stored["ids"])
    texts: list[str] = [t or "" for t in stored["documents"]]
    cached = _previous_tokens(root) if _same_tokens(_built_with(root), korean) else {}
    tokens = [cached.get(i) or keyword_tokens(t, korean) for i, t in zip(ids, texts, strict=True)]

    version = f"v-{uuid.uuid4().hex}"
    folder = root / version
    folder.mkdir(parents=True)
    retriever = bm25s.BM25(k1=BM25_K1, b=BM25_B)
    if ids:
        retriever.index(tokens, show_progress=False)
        retriever.save(str(folder), show_progress=False)
    meta = {"ids": ids, "korean": korean, "rules": TOKEN_RULES}
    (folder / META).write_text(json.dumps(meta), encoding="utf-8")
    with (folder / TOKENS).open("w", encoding="utf-8") as out:
        out.writelines(json.dumps(t, ensure_ascii=False) + "\n" for t in tokens)
    _publish(root, version)
    _remove_stale(root, keep=version)
    return len(ids)


def _publish(root: Path, version: str) -> None:
    """Point `CURRENT` at a complete build, atomically (write aside, then rename)."""
    pointer = root / f"{CURRENT}.tmp-{os.getpid()}"
    pointer.write_text(version, encoding="utf-8")
    os.replace(pointer, root / CURRENT)


def _built_with(root: Path) -> dict[str, Any]:
    """The current build's metadata (ids, tokenizer); empty when there is none."""
    version = _read_current(root)
    if version is None:
        return {}
    try:
        return dict(json.loads((root / version / META).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def _same_tokens(built: dict[str, Any], korean: KoreanTokens) -> bool:
    """Whether a build's tokens were made by today's rules with this Korean mode."""
    return built.get("korean") == korean and built.get("rules") == TOKEN_RULES


def _remove_stale(root: Path, keep: str) -> None:
    for child in root.iterdir():
        if child.is_dir() and child.name != keep:
            shutil.rmtree(child, ignore_errors=True)


def clear_keyword_index(settings: Settings, name: str | None = None) -> None:
    """Forget generation `name`'s BM25 index: drop the pointer first, then the builds."""
    root = index_root(settings, name)
    (root / CURRENT).unlink(missing_ok=True)
    shutil.rmtree(root, ignore_errors=True)


def sync_keyword_index(store: Store, *, changed: bool) -> None:
    """After an ingest: rebuild when chunks changed, or the index is missing, was built
    with other token rules, or holds another number of chunks (an interrupted build)."""
    if store.backend is not None:  # its writes carry the tokens
        return
    built = _built_with(index_root(store.settings, store.name))
    if (changed or not _same_tokens(built, TUNING.keyword_korean)
            or len(built.get("ids", ())) != store.count()):
        build_keyword_index(store)


_loaded: dict[Path, KeywordIndex] = {}
_load_lock = threading.Lock()


def load_keyword_index(settings: Settings, name: str | None = None) -> KeywordIndex | None:
    """The current index of generation `name` (default: the live one), cached per process
    until `CURRENT` changes; loading one forgets those of the data dir's other generations
    (`--reindex` replaced them)."""
    import bm25s

    from core.index.backend import postgres_backend

    if (backend := postgres_backend(settings)) is not None:
        return backend.keyword_index(name or active_collection(settings))
    root = index_root(settings, name)
    with _load_lock:
        for other in [r for r in _loaded if r.parent == root.parent and r != root]:
            del _loaded[other]
        for _attempt in range(3):  # a concurrent rebuild may retire the build being read
            version = _read_current(root)
            if version is None:
                return None
            cached = _loaded.get(root)
            if cached is not None and cached.version == version:
                return cached
            folder = root / version
            try:
                meta = json.loads((folder / META).read_text(encoding="utf-8"))
                retriever = (bm25s.BM25.load(str(folder), show_progress=False, verbosity=0)
                             if meta["ids"] else None)
            except FileNotFoundError:
                continue
            except Exception as exc:  # bm25s raises ValueError, UnicodeDecodeError, KeyError...
                raise damaged(folder, exc, KEYWORD_FIX.format(root=root)) from None
            _loaded[root] = KeywordIndex(version=version, ids=meta["ids"],
                                         korean=meta["korean"], retriever=retriever)
            return _loaded[root]
    raise DocentError(f"{root}: the keyword index keeps changing while being read; retry")
