"""Fake models for unit tests: no model file, deterministic, fast."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseLanguageModel

from core.llm import LoadedModel, estimate_tokens


class HashingEmbeddings(Embeddings):
    """Bag-of-words vectors (each lower-cased word hashed into one of `size` dimensions),
    L2-normalised: texts sharing words are close, as with a real model, and every run
    gives the same vectors."""

    reads_hangul = True

    def __init__(self, size: int = 256) -> None:
        self.size = size

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self.size
        for word in re.findall(r"\w+", text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "big") % self.size] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


def fake_model(model: BaseLanguageModel, style: str = "completion",
               family: str = "fake") -> LoadedModel:
    """A LangChain fake (FakeListLLM, GenericFakeChatModel) as docent's loaded model."""
    return LoadedModel(model, style, f"fake:{type(model).__name__}",  # type: ignore[arg-type]
                       family=family, context_window=4096, max_tokens=256,
                       count_tokens=estimate_tokens)


def completion_model(answers: Sequence[str]) -> LoadedModel:
    """A completion model that gives `answers` in turn (an empty list fails when called)."""
    from langchain_core.language_models import FakeListLLM

    return fake_model(FakeListLLM(responses=list(answers)))


def chat_model(answers: Sequence[str], family: str = "llama") -> LoadedModel:
    """A chat model that streams `answers` in turn, word by word."""
    from langchain_core.language_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    return fake_model(GenericFakeChatModel(messages=iter(AIMessage(a) for a in answers)),
                      style="chat", family=family)
