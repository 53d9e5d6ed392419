"""Carry a completion model's tokens to the graph's `custom` stream."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langgraph.config import get_stream_writer


class TokenWriter(BaseCallbackHandler):
    """Write each new token as `{"token": ...}` (chat models stream via `messages` instead)."""

    def __init__(self) -> None:
        self.write = get_stream_writer()

    def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
        self.write({"token": str(token)})
