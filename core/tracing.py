"""Langfuse tracing: one trace per run when the LANGFUSE_* keys are set, nothing otherwise.

The Langfuse SDK reads LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY and LANGFUSE_BASE_URL
(LANGFUSE_HOST is its older name) itself; docent never reads, prints or logs the keys'
values, it only checks that they are present.

Two ways a run gets the handler, and never twice: docent's own calls (CLI ask, chat, ingest)
pass `run_config(...)`; the module-level graphs are bound with `traced(...)` for the runs
LangGraph Studio / the API server (`langgraph dev`, langgraph.json) start without docent's
config. Both use the one handler of the process, which the config merge keeps once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.runnables import RunnableConfig
    from langgraph.pregel import Pregel

    from core.settings import Settings

GraphT = TypeVar("GraphT", bound="Pregel[Any, Any, Any, Any]")

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


_handler: BaseCallbackHandler | None = None
_handler_lock = threading.Lock()


def langfuse_handler() -> BaseCallbackHandler | None:
    """Langfuse's LangChain callback handler, or None (no import, no network) without keys.

    One instance per process (it keeps each run's state by run id, so runs may share it):
    being the same object is what lets a run that gets it both from a bound graph and from
    `run_config` keep it once.
    """
    global _handler
    if not langfuse_configured():
        return None
    with _handler_lock:
        if _handler is None:
            from langfuse.langchain import CallbackHandler

            from core.tracing_log import quiet_export_errors

            log.info("tracing to Langfuse at %s", langfuse_host())
            quiet_export_errors(langfuse_host())
            _handler = CallbackHandler()
        return _handler


def traced(graph: GraphT) -> GraphT:
    """`graph` with the Langfuse handler bound, or `graph` itself without the keys.

    For the runs docent does not start: LangGraph Studio and the API server invoke the
    module-level graphs with their own config, and the bound handler makes each such run
    one trace. A run that passes `run_config` still gets one handler.
    """
    handler = langfuse_handler()
    if handler is None:
        return graph
    return graph.with_config(callbacks=[handler])


def run_config(
    settings: Settings,
    run_name: str,
    *,
    session_id: str | None = None,
    callbacks: Sequence[BaseCallbackHandler] = (),
) -> RunnableConfig:
    """The config for one graph invocation: pass it at the root so one run is one trace.

    `session_id` groups a chat thread's turns in Langfuse; the tags name backend and model.
    `callbacks` run before the Langfuse handler.

    With Langfuse, `callbacks` is a configured `CallbackManager`, not a list: a graph bound
    with `traced` carries the same handler, and LangChain / LangGraph merge a bound list
    into an invocation's manager with `add_handler`, which skips a handler already there
    (two lists would be concatenated, and the handler would hear the run's root events
    twice). `configure` gives the manager what a list gets at the root (set_debug's console
    handler, for one).
    """
    handlers = list(callbacks)
    handler = langfuse_handler()
    tags = [f"backend:{settings.llm_backend}", f"model:{settings.llm_model}"]
    metadata: dict[str, Any] = {"langfuse_tags": tags}
    if session_id is not None:
        metadata["langfuse_session_id"] = session_id
    config: RunnableConfig = {"callbacks": handlers, "run_name": run_name, "tags": tags,
                              "metadata": metadata}
    if handler is not None:
        from langchain_core.callbacks import CallbackManager

        handlers.append(handler)
        config["callbacks"] = CallbackManager.configure(inheritable_callbacks=handlers)
    return config


def flush() -> None:
    """Send buffered spans now (the CLI calls this before it exits); a no-op without keys."""
    if not langfuse_configured():
        return
    from langfuse import get_client

    get_client().flush()
