"""The options one question may carry, declared once for every door: the CLI's flags
(app/arguments.py reads their bounds), the server's request bodies and the MCP tools."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.settings import MAX_K, SearchType
from graphs.context import Context
from graphs.question import check_question

MAX_FETCH_K = 1000  # candidates per retriever (default 20): 50× that is a typo, not tuning
MAX_WEIGHT = 100.0  # fusion weights are relative: 100 against 1 already ignores the other


class AskOptions(BaseModel):
    """How one question is retrieved and answered; unset values take the settings'."""

    model_config = ConfigDict(extra="forbid")

    k: int | None = Field(None, ge=1, le=MAX_K, description="passages handed to the model")
    search_type: SearchType | None = Field(None, description="dense retrieval mode")
    filter: dict[str, Any] | None = Field(
        None, description='only passages whose metadata match, e.g. {"title": "handbook"}')
    fetch_k: int | None = Field(None, ge=1, le=MAX_FETCH_K,
                                description="candidates before selection")
    dense_weight: float | None = Field(None, ge=0, le=MAX_WEIGHT, allow_inf_nan=False,
                                       description="weight of the dense ranking (0 = BM25 only)")
    keyword_weight: float | None = Field(
        None, ge=0, le=MAX_WEIGHT, allow_inf_nan=False,
        description="weight of the BM25 ranking (0 = dense only)")
    rerank: bool | None = Field(None, description="false: skip the cross-encoder")

    def context(self, resources: Any = None) -> Context:
        """The run's LangGraph context, over `resources` (None: the installation's)."""
        return Context(**self.model_dump(include=set(AskOptions.model_fields)),
                       resources=resources)


class Question(AskOptions):
    """A question and its options, as a request body or a tool call brings them."""

    question: str = Field(description="the question, in English or Korean")

    @field_validator("question")
    @classmethod
    def _askable(cls, question: str) -> str:
        return check_question(question)
