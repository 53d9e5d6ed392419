"""Chat/completion model factory: picks the backend named by the settings."""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from core.errors import DocentError
from core.model_files import PromptStyle, load_llama_cpp, resolve_gguf
from core.tuning import TUNING

if TYPE_CHECKING:
    from langchain_core.caches import BaseCache
    from langchain_core.language_models import BaseLanguageModel

    from core.settings import Settings


def estimate_tokens(text: str) -> int:
    """Upper-bound token estimate when the model's tokenizer is out of reach (remote servers).

    BPE tokenizers average about 4 bytes per English token and 3 per Hangul syllable,
    so UTF-8 bytes / 3 over-counts rather than overflows the window.
    """
    return math.ceil(len(text.encode("utf-8")) / 3)


# a base model runs on past its answer into the next example ("\nText:", "\n질문:"); the
# answer is one line
COMPLETION_STOP = ["\n"]


@dataclass(frozen=True)
class LoadedModel:
    """A LangChain model, how to prompt it, and how to measure prompts against its window."""

    model: BaseLanguageModel
    style: PromptStyle
    label: str
    family: str
    context_window: int
    max_tokens: int
    count_tokens: Callable[[str], int] = estimate_tokens
    # a small packaged model (270M, 135M parameters): it reads the evidence sentences and
    # its answer is shown only when it is a span of the first one (graphs/answer_check.py
    # has the measurement); any other model reads passages (graphs/nodes.model_context)
    quotes_only: bool = False


def _llamacpp(settings: Settings) -> LoadedModel:
    load_llama_cpp()
    import llama_cpp._logger

    # llama.cpp's C-side chatter goes to the `llama-cpp-python` logger: keep it for --log-level
    llama_cpp._logger.logger.setLevel(max(logging.getLogger().level, logging.ERROR))
    gguf = resolve_gguf(settings.llm_model)
    options: dict[str, Any] = dict(
        model_path=str(gguf.path),
        n_ctx=settings.llm_context_window,
        n_batch=TUNING.llm_batch,
        n_threads=settings.llm_threads,
        n_gpu_layers=settings.llm_gpu_layers,
        max_tokens=TUNING.max_tokens,
        temperature=TUNING.temperature,
        # 0 = take the rope values from the GGUF (LangChain's default 10000 overrides them)
        rope_freq_base=0.0,
        rope_freq_scale=0.0,
        verbose=False,
    )
    model: BaseLanguageModel
    from llama_cpp._utils import suppress_stdout_stderr

    # context creation prints notes ("llama_kv_cache_iswa: …") past the log level; a failed
    # load still raises, and --log-level debug shows everything
    with suppress_stdout_stderr(disable=logging.getLogger().level <= logging.DEBUG):
        match gguf.style:
            case "chat":
                from langchain_community.chat_models import ChatLlamaCpp

                model = ChatLlamaCpp(**options)
            case "completion":
                from core.llamacpp_completion import LlamaCpp

                # streaming=True: invoke() goes through the LLM cache and still emits tokens
                model = LlamaCpp(**options, streaming=True, stop=COMPLETION_STOP)
    llama = cast(Any, model).client  # the loaded llama_cpp.Llama

    def count_tokens(text: str) -> int:
        return len(llama.tokenize(text.encode("utf-8"), add_bos=True, special=True))

    return LoadedModel(
        model, gguf.style, f"llamacpp:{gguf.path.name}",
        family=str(llama.metadata.get("general.architecture", "unknown")),
        context_window=settings.llm_context_window, max_tokens=TUNING.max_tokens,
        count_tokens=count_tokens, quotes_only=gguf.small,
    )


def _family(name: str) -> str:
    """`gemma3` from `gemma3:270m`, `llama` from `meta-llama/Llama-3.1-8B`..."""
    base = name.rsplit("/", 1)[-1].split(":", 1)[0].lower()
    return base.split("-", 1)[0] or "unknown"


def _chat_model(model: BaseLanguageModel, settings: Settings) -> LoadedModel:
    """A served chat model; its family read from the name (a cloud name is `provider:model`)."""
    name = settings.llm_model
    if settings.llm_backend == "cloud":
        name = name.split(":", 1)[-1]
    return LoadedModel(model, "chat", f"{settings.llm_backend}:{settings.llm_model}",
                       family=_family(name), context_window=settings.llm_context_window,
                       max_tokens=TUNING.max_tokens)


def _reason(exc: Exception) -> str:
    """The one-line reason inside a pydantic validation error (or the error itself)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return str(errors()[0]["msg"]).removeprefix("Value error, ")
    return str(exc)


def _ollama(settings: Settings) -> LoadedModel:
    from langchain_ollama import ChatOllama

    try:
        model = ChatOllama(
            base_url=settings.llm_endpoint,
            model=settings.llm_model,
            # always explicit: Ollama's own default window silently cuts long prompts
            num_ctx=settings.llm_context_window,
            num_predict=TUNING.max_tokens,
            temperature=TUNING.temperature,
            validate_model_on_init=True,
        )
    except (ValueError, ConnectionError) as exc:
        raise DocentError(f"Ollama at {settings.llm_endpoint}: {_reason(exc)}") from None
    return _chat_model(model, settings)


def _openai(settings: Settings) -> LoadedModel:
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(
        base_url=settings.llm_endpoint,
        api_key=settings.llm_api_key,
        model=settings.llm_model,
        temperature=TUNING.temperature,
        # `max_tokens=` is sent as max_completion_tokens, which llama.cpp's server ignores
        extra_body={"max_tokens": TUNING.max_tokens},
    )
    return _chat_model(model, settings)


def _cloud(settings: Settings) -> LoadedModel:
    """Hosted chat models (`openai:gpt-4o-mini`, `anthropic:claude-...`): `docent[cloud]`."""
    try:
        from langchain.chat_models import init_chat_model

        model = init_chat_model(settings.llm_model, temperature=TUNING.temperature,
                                max_tokens=TUNING.max_tokens)
    except ImportError as exc:
        raise DocentError(
            f"cloud model {settings.llm_model!r}: {exc} (pip install 'docent[cloud]')"
        ) from None
    except ValueError as exc:
        raise DocentError(f"cloud model {settings.llm_model!r}: {_reason(exc)}") from None
    return _chat_model(model, settings)


def answer_cache(settings: Settings) -> BaseCache | bool:
    """The cache of answers to identical prompts (in PostgreSQL when DOCENT_DATABASE_URL is
    set, for every replica; else in DATA_DIR), or False when disabled."""
    if not settings.answer_cache:
        return False
    if settings.database_url:
        from core.index.postgres.caches import answer_cache as postgres_answer_cache

        return postgres_answer_cache(settings.database_url)
    from langchain_community.cache import SQLiteCache

    # the cache only reads back what docent itself wrote into its own data directory
    warnings.filterwarnings("ignore", message="The default value of `allowed_objects`")
    from sqlalchemy.exc import SQLAlchemyError

    from core.index.damage import damaged

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        return SQLiteCache(database_path=str(settings.answer_cache_db))
    except SQLAlchemyError as exc:
        raise damaged(settings.answer_cache_db, getattr(exc, "orig", None) or exc,
                      "delete it: it only holds "
                      "answers given before (or set DOCENT_ANSWER_CACHE=false)") from None


@lru_cache(maxsize=2)
def load_model(settings: Settings) -> LoadedModel:
    """The configured model, loaded once per process (`Resources.model` adds the cache)."""
    match settings.llm_backend:
        case "llamacpp":
            loaded = _llamacpp(settings)
        case "ollama":
            loaded = _ollama(settings)
        case "openai":
            loaded = _openai(settings)
        case "cloud":
            loaded = _cloud(settings)
    return loaded
