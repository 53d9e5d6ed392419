"""Chat/completion model factory: picks the backend named by the settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from app.model_files import PromptStyle, resolve_gguf

if TYPE_CHECKING:
    from langchain_core.language_models import BaseLanguageModel

    from app.settings import Settings


@dataclass(frozen=True)
class LoadedModel:
    """A LangChain model, the prompt style it needs and a label for sources and traces."""

    model: BaseLanguageModel
    style: PromptStyle
    label: str


def _llamacpp(settings: Settings) -> LoadedModel:
    import llama_cpp._logger

    # llama.cpp's C-side chatter goes to the `llama-cpp-python` logger: keep it for --log-level
    llama_cpp._logger.logger.setLevel(max(logging.getLogger().level, logging.ERROR))
    gguf = resolve_gguf(settings.llm_model)
    options: dict[str, Any] = dict(
        model_path=str(gguf.path),
        n_ctx=settings.n_ctx,
        n_batch=settings.n_batch,
        n_threads=settings.n_threads,
        n_gpu_layers=settings.n_gpu_layers,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        # 0 = take the rope values from the GGUF (LangChain's default 10000 overrides them)
        rope_freq_base=0.0,
        rope_freq_scale=0.0,
        verbose=False,
    )
    label = f"llamacpp:{gguf.path.name}"
    match gguf.style:
        case "chat":
            from langchain_community.chat_models import ChatLlamaCpp

            return LoadedModel(ChatLlamaCpp(**options), "chat", label)
        case "completion":
            from langchain_community.llms import LlamaCpp

            return LoadedModel(LlamaCpp(**options, stop=["\nQuestion:", "\n\n\n"]),
                               "completion", label)


def _ollama(settings: Settings) -> LoadedModel:
    from langchain_ollama import ChatOllama

    model = ChatOllama(
        base_url=settings.ollama_base_url,
        model=settings.llm_model,
        num_ctx=settings.n_ctx,
        num_predict=settings.max_tokens,
        temperature=settings.temperature,
    )
    return LoadedModel(model, "chat", f"ollama:{settings.llm_model}")


def _openai(settings: Settings) -> LoadedModel:
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key,
        model=settings.llm_model,
        temperature=settings.temperature,
        # `max_tokens=` is sent as max_completion_tokens, which llama.cpp's server ignores
        extra_body={"max_tokens": settings.max_tokens},
    )
    return LoadedModel(model, "chat", f"openai:{settings.llm_model}")


@lru_cache(maxsize=2)
def load_model(settings: Settings) -> LoadedModel:
    """The configured model, loaded once per process."""
    match settings.llm_backend:
        case "llamacpp":
            return _llamacpp(settings)
        case "ollama":
            return _ollama(settings)
        case "openai":
            return _openai(settings)
