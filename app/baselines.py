"""The textbook baselines of ../shared/README.md: plain BM25 (bm25s defaults) over
lower-cased words and over character bigrams, on the same chunks as docent."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.eval import Scores, score_questions

if TYPE_CHECKING:
    from app.benchmarks import Benchmark
    from core.resources import Resources


def word_tokens(text: str) -> list[str]:
    """The textbook BM25 tokens: lower-cased `\\w+` words."""
    return re.findall(r"\w+", text.lower())


def bigram_tokens(text: str) -> list[str]:
    """The textbook Korean BM25 tokens: character bigrams inside each `\\w+` word."""
    return [w[i:i + 2] for w in word_tokens(text) for i in range(max(len(w) - 1, 1))]


BASELINES: dict[str, Callable[[str], list[str]]] = {
    "BM25 (words)": word_tokens, "BM25 (character bigrams)": bigram_tokens}


def evaluate_baseline(resources: Resources, bench: Benchmark,
                      tokenize: Callable[[str], list[str]]) -> Scores:
    """A textbook baseline on the same chunks: plain BM25 (bm25s defaults) over `tokenize`
    tokens, no fusion, no rerank; built in memory, top 20 per question."""
    import bm25s

    stored = resources.store().vectorstore.get(include=["documents", "metadatas"])
    sources = [str(m.get("source")) for m in stored["metadatas"]]
    vocab: dict[str, int] = {}
    corpus = [[vocab.setdefault(t, len(vocab)) for t in tokenize(text or "")]
              for text in stored["documents"]]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenization.Tokenized(ids=corpus, vocab=vocab), show_progress=False)

    def rank(question: str) -> list[str]:
        known = [vocab[t] for t in tokenize(question) if t in vocab]
        if not known:
            return []
        docs, scores = retriever.retrieve(
            bm25s.tokenization.Tokenized(ids=[known], vocab=vocab),
            k=min(20, len(sources)), show_progress=False, n_threads=1)
        return [sources[int(d)] for d, score in zip(docs[0], scores[0], strict=True)
                if score > 0]

    return score_questions(bench, rank)


def best_baseline(resources: Resources, bench: Benchmark) -> tuple[str, Scores]:
    """The textbook baseline with the highest MRR@10 on this benchmark (ties: recall@5)."""
    measured = {name: evaluate_baseline(resources, bench, tokenize)
                for name, tokenize in BASELINES.items()}
    name = max(measured, key=lambda n: (measured[n].mrr_at_10, measured[n].recall_at_5))
    return name, measured[name]
