"""The embedding cache's values: float32 bytes, and the JSON lists older versions wrote
still read, under the same keys as LangChain's "sha256" key encoder (so an existing cache
keeps its hits where the model's identity is its name: core.embeddings.model_identity)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from core.settings import Settings
from ingest.embedding_cache import SQLiteByteStore, cached_embeddings, pack_vector, unpack_vector
from tests.fakes import HashingEmbeddings


class CountingEmbeddings(HashingEmbeddings):
    def __init__(self) -> None:
        super().__init__(size=8)
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += texts
        return super().embed_documents(texts)


def test_vectors_round_trip_as_float32_bytes() -> None:
    vector = [0.25, -1.5, 2.0**-25, 0.1]
    packed = pack_vector(vector)
    assert len(packed) == 1 + 4 * len(vector)
    got = unpack_vector(packed)
    assert got[:3] == vector[:3]  # exactly representable in float32, as encoders' output is
    assert abs(got[3] - 0.1) < 1e-8
    # a float whose first little-endian byte is "[" (0x5b) is not taken for JSON
    bracket = [1.0 + 0x5B * 2.0**-23]
    assert unpack_vector(pack_vector(bracket)) == bracket


def test_a_cache_written_as_json_is_read_and_not_embedded_again(tmp_path: Path) -> None:
    # a name that names no files nor package: its identity is the name, as before
    settings = Settings(_env_file=None, data_dir=tmp_path, embedding_model="test:counting")
    old = [0.5, 0.25, -0.125]
    key = settings.embedding_model + hashlib.sha256(b"an old text").hexdigest()
    SQLiteByteStore(tmp_path / "embedding_cache.sqlite").mset(
        [(key, json.dumps(old).encode())])

    model = CountingEmbeddings()
    cached = cached_embeddings(settings, model)
    got = cached.embed_documents(["an old text", "a new text", "a new text"])

    assert got[0] == old
    assert got[1] == got[2]
    assert model.embedded == ["a new text"]
    again = cached.embed_documents(["a new text"])[0]
    assert max(abs(a - b) for a, b in zip(again, got[1], strict=True)) < 1e-7  # float32
    assert model.embedded == ["a new text"], "the new vector came back from the cache"
