"""llama.cpp as a LangChain completion model that reports its token usage.

A streamed `LlamaCpp` completion reports no usage, so a Langfuse trace or `--stats` would
show none; this subclass counts prompt and answer with the model's own tokenizer and puts
the counts where LangChain callbacks read them (`llm_output["token_usage"]`).
"""

from __future__ import annotations

from typing import Any

from langchain_community.llms import LlamaCpp as CommunityLlamaCpp
from langchain_core.outputs import LLMResult


class LlamaCpp(CommunityLlamaCpp):
    """`LlamaCpp` whose results carry `token_usage` (prompt, completion, total). It keeps
    its base's name: Langfuse finds the model (the GGUF path) by the class name."""

    def _tokens(self, text: str) -> int:
        return len(self.client.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _generate(self, prompts: list[str], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> LLMResult:
        result = super()._generate(prompts, stop=stop, run_manager=run_manager, **kwargs)
        prompt_tokens = sum(self._tokens(prompt) for prompt in prompts)
        completion_tokens = sum(self._tokens(g.text) for gens in result.generations
                                for g in gens)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens}
        result.llm_output = {**(result.llm_output or {}), "token_usage": usage}
        return result
