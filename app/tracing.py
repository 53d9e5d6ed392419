"""Langfuse tracing: one trace per run when the LANGFUSE_* keys are set, nothing otherwise.

The Langfuse SDK reads LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY and LANGFUSE_BASE_URL
(LANGFUSE_HOST is its older name) itself; docent never reads, prints or logs the keys'
values, it only checks that they are present.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.runnables import RunnableConfig

    from app.settings import Settings

log = logging.getLogger("docent.tracing")

KEY_VARIABLES = ("LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY")
HOST_VARIABLES = ("LANGFUSE_BASE_URL", "LANGFUSE_HOST")


def langfuse_configured(env: Mapping[str, str] = os.environ) -> bool:
    """Both keys and a host are set (and tracing is not switched off)."""
    return (all(env.get(name) for name in KEY_VARIABLES)
            and any(env.get(name) for name in HOST_VARIABLES)
            and env.get("LANGFUSE_TRACING_ENABLED", "true").lower() != "false")


def langfuse_host(env: Mapping[str, str] = os.environ) -> str | None:
    return next((env[name] for name in HOST_VARIABLES if env.get(name)), None)


def langfuse_handler() -> BaseCallbackHandler | None:
    """Langfuse's LangChain callback handler, or None (no import, no network) without keys."""
    if not langfuse_configured():
        return None
    from langfuse.langchain import CallbackHandler

    log.info("tracing to Langfuse at %s", langfuse_host())
    return CallbackHandler()


def run_config(
    settings: Settings,
    run_name: str,
    *,
    session_id: str | None = None,
    callbacks: Sequence[BaseCallbackHandler] = (),
) -> RunnableConfig:
    """The config for one graph invocation: pass it at the root so one run is one trace.

    `session_id` groups a chat thread's turns in Langfuse; the tags name backend and model.
    `callbacks` run before the Langfuse handler; a `RunStats` among them (or one added
    here) fills in the token usage a streamed llama.cpp completion does not report.
    """
    from app.run_stats import RunStats

    handlers = list(callbacks)
    handler = langfuse_handler()
    if handler is not None:
        if not any(isinstance(c, RunStats) for c in handlers):
            handlers.append(RunStats())
        handlers.append(handler)
    tags = [f"backend:{settings.llm_backend}", f"model:{settings.llm_model}"]
    metadata: dict[str, Any] = {"langfuse_tags": tags}
    if session_id is not None:
        metadata["langfuse_session_id"] = session_id
    return {"callbacks": handlers, "run_name": run_name, "tags": tags, "metadata": metadata}


def flush() -> None:
    """Send buffered spans now (the CLI calls this before it exits); a no-op without keys."""
    if not langfuse_configured():
        return
    from langfuse import get_client

    get_client().flush()
