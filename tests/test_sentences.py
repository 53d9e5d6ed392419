"""Sentence pieces and the sentence-mean chunk vectors of the dense index."""

from __future__ import annotations

import math

import pytest
from langchain_core.embeddings import Embeddings

from core.index.sentences import (
    MAX_PIECE,
    MIN_PIECE,
    SentenceMeanEmbeddings,
    dense_pieces,
    sentence_pieces,
)


def test_sentences_split_at_ends_and_lines_short_ones_joined() -> None:
    text = ("Chapter 2\nFull-time employees receive 18 days of paid annual leave. "
            "Part-time staff accrue leave pro rata! Is it paid? Yes.")
    assert sentence_pieces(text) == [
        "Chapter 2 Full-time employees receive 18 days of paid annual leave.",
        "Part-time staff accrue leave pro rata! Is it paid? Yes."]


def test_long_text_without_ends_is_cut_at_spaces() -> None:
    words = " ".join(f"word{i}" for i in range(400))
    pieces = sentence_pieces(words)
    assert all(MIN_PIECE <= len(p) <= MAX_PIECE for p in pieces[:-1])
    assert " ".join(pieces) == words


def test_korean_and_tiny_texts() -> None:
    text = "개인 텀블러를 가져오면 300원을 할인해 드립니다. 매장 안에서는 머그잔을 씁니다."
    assert sentence_pieces(text) == [text]  # two short sentences: one piece
    assert sentence_pieces("ok") == ["ok"]
    assert sentence_pieces("") == [""]


class CountingEmbeddings(Embeddings):
    """Two-dimensional vectors: [1, 0] for texts with 'a', [0, 1] otherwise."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.seen += texts
        return [[1.0, 0.0] if "a" in t else [0.0, 1.0] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return [1.0, 0.0]


def test_chunk_vector_is_the_normalised_mean_of_its_sentences() -> None:
    inner = CountingEmbeddings()
    first = "a" * 50 + "."
    second = "b" * 50 + "."
    [vector] = SentenceMeanEmbeddings(inner, inner).embed_documents([f"{first} {second}"])
    assert inner.seen == [first, second]
    assert vector == pytest.approx([math.sqrt(0.5), math.sqrt(0.5)])


def test_a_model_that_cannot_read_hangul_gets_no_korean_sentences() -> None:
    korean = "개인 텀블러를 가져오면 300원을 할인해 드립니다. 매장 안에서는 머그잔을 씁니다."
    english = "Bring your own tumbler and the coffee costs 300 won less."
    text = f"{korean}\n{english}"
    assert dense_pieces(text, reads_hangul=True) == sentence_pieces(text)
    assert dense_pieces(text, reads_hangul=False) == [english]

    class Jamo(CountingEmbeddings):
        reads_hangul = False

    inner = Jamo()
    SentenceMeanEmbeddings(inner, inner).embed_documents([text, korean])
    assert inner.seen == [english, korean]  # a chunk with no piece left is embedded whole


@pytest.mark.slow
def test_packaged_minilm_does_not_read_hangul() -> None:
    from core.embeddings import load_embeddings

    assert load_embeddings("packaged:all-MiniLM-L6-v2", 8).reads_hangul is False  # type: ignore[attr-defined]
