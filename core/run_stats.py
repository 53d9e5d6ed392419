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
    """Times each graph node and records the model's token usage (as the model reports it:
    `llm_output["token_usage"]` or a chat message's `usage_metadata`)."""

    def __init__(self) -> None:
        self.nodes: dict[str, NodeStats] = {}
        self._started: dict[UUID, tuple[str, float]] = {}
        self._llm_nodes: dict[UUID, str] = {}

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
        self._llm_nodes[run_id] = node

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        node = self._llm_nodes.pop(run_id, "llm")
        usage = _usage_of(response)
        if usage is None:
            return
        stats = self.nodes.setdefault(node, NodeStats())
        stats.prompt_tokens += int(usage["prompt_tokens"])
        stats.completion_tokens += int(usage["completion_tokens"])

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._llm_nodes.pop(run_id, None)  # a long-lived (Studio-bound) handler keeps nothing

    def write_table(self, out: IO[str]) -> None:
        """The per-node table `--stats` prints after the answer."""
        out.write(f"\n{'node':<10} {'seconds':>8} {'prompt tok':>10} {'output tok':>10}\n")
        for node, stats in self.nodes.items():
            out.write(f"{node:<10} {stats.seconds:>8.3f} {stats.prompt_tokens:>10} "
                      f"{stats.completion_tokens:>10}\n")
        total = sum(s.seconds for s in self.nodes.values())
        out.write(f"{'total':<10} {total:>8.3f}\n")
