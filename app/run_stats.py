"""Per-node latency and token usage of one graph run, gathered by a LangChain callback."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import IO, Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult


@dataclass
class NodeStats:
    seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0


def _count_tokens(model: Any, text: str) -> int | None:
    """Tokens of `text` by the model's own tokenizer (llama.cpp), or None if it has none."""
    client = getattr(model, "client", None)
    if client is None or not hasattr(client, "tokenize"):
        return None
    return len(client.tokenize(text.encode("utf-8"), add_bos=False, special=True))


def _usage_of(response: LLMResult) -> dict[str, int] | None:
    usage = (response.llm_output or {}).get("token_usage")
    if usage and "prompt_tokens" in usage:
        return usage
    for generations in response.generations:
        for generation in generations:
            message = getattr(generation, "message", None)
            metadata = getattr(message, "usage_metadata", None)
            if metadata:
                return {"prompt_tokens": metadata["input_tokens"],
                        "completion_tokens": metadata["output_tokens"],
                        "total_tokens": metadata["total_tokens"]}
    return None


class RunStats(BaseCallbackHandler):
    """Times each graph node and records the model's token usage.

    A streamed llama.cpp completion reports no usage; this handler counts it with the
    model's tokenizer and writes it into the result's `llm_output["token_usage"]`, so a
    tracing handler placed after it (Langfuse) records it too.
    """

    def __init__(self) -> None:
        self.nodes: dict[str, NodeStats] = {}
        self._started: dict[UUID, tuple[str, float]] = {}
        self._prompts: dict[UUID, tuple[str, str]] = {}

    def on_chain_start(self, serialized: dict[str, Any] | None, inputs: Any, *, run_id: UUID,
                       metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
        node = (metadata or {}).get("langgraph_node")
        if node and kwargs.get("name") == node:
            self._started[run_id] = (node, time.perf_counter())

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if run_id in self._started:
            node, start = self._started.pop(run_id)
            self.nodes.setdefault(node, NodeStats()).seconds += time.perf_counter() - start

    on_chain_error = on_chain_end  # type: ignore[assignment]

    def on_llm_start(self, serialized: dict[str, Any] | None, prompts: list[str], *,
                     run_id: UUID, metadata: dict[str, Any] | None = None,
                     **kwargs: Any) -> None:
        node = (metadata or {}).get("langgraph_node", "llm")
        self._prompts[run_id] = (node, "".join(prompts))

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        node, prompt = self._prompts.pop(run_id, ("llm", ""))
        usage = _usage_of(response) or self._counted_usage(prompt, response)
        if usage is None:
            return
        stats = self.nodes.setdefault(node, NodeStats())
        stats.prompt_tokens += int(usage["prompt_tokens"])
        stats.completion_tokens += int(usage["completion_tokens"])

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._prompts.pop(run_id, None)  # a long-lived (Studio-bound) handler keeps nothing

    @staticmethod
    def _counted_usage(prompt: str, response: LLMResult) -> dict[str, int] | None:
        from graphs.resources import get_model

        model = get_model().model
        output = "".join(g.text for gens in response.generations for g in gens)
        prompt_tokens, completion_tokens = _count_tokens(model, prompt), _count_tokens(model,
                                                                                      output)
        if prompt_tokens is None or completion_tokens is None:
            return None
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens}
        response.llm_output = {**(response.llm_output or {}), "token_usage": usage}
        return usage

    def write_table(self, out: IO[str]) -> None:
        """The per-node table `--stats` prints after the answer."""
        out.write(f"\n{'node':<10} {'seconds':>8} {'prompt tok':>10} {'output tok':>10}\n")
        for node, stats in self.nodes.items():
            out.write(f"{node:<10} {stats.seconds:>8.3f} {stats.prompt_tokens:>10} "
                      f"{stats.completion_tokens:>10}\n")
        total = sum(s.seconds for s in self.nodes.values())
        out.write(f"{'total':<10} {total:>8.3f}\n")
