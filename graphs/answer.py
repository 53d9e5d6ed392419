"""The one answer every door shows: built once from a graph run's output, then only
formatted (the CLI, chat, the web app, `/v1`, MCP). Doors never see the unchecked draft as
text to show: it stays in `draft`, for `--json`, `--debug` and traces."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from graphs.state import EvidenceRef, PassageRef

AnswerKind = Literal["answer", "extracted", "evidence", "refusal"]
_CITATION = re.compile(r"\[\d{1,3}\]")


def _plain(text: str) -> str:
    """Lower case, single spaces, no closing punctuation: how an answer sits in a sentence."""
    return " ".join(text.lower().split()).strip(" .。!?")


class Answer(BaseModel):
    """A checked answer, its evidence and sources, and how the model was used."""

    model_config = ConfigDict(frozen=True)

    asked: str  # the question as the person typed it
    question: str  # as it was answered (a follow-up made standalone)
    answer: str
    answer_kind: AnswerKind
    refused: bool
    evidence: list[EvidenceRef] = []
    sources: list[PassageRef] = []
    warnings: list[str] = []
    unsupported: list[str] = []
    invalid_citations: list[int] = []
    dropped_passages: list[PassageRef] = []
    draft: str | None = None  # the model's own words before the checks: never shown as such
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @classmethod
    def from_run(cls, asked: str, output: Mapping[str, Any], prompt_tokens: int = 0,
                 completion_tokens: int = 0, question: str | None = None) -> Answer:
        """The answer of a run of `question` (default: `asked`) whose nodes returned
        `output` (merged in order)."""
        fields = {name: output[name] for name in cls.model_fields
                  if output.get(name) is not None}
        fields.setdefault("question", question or asked)
        return cls(**{**fields, "asked": asked, "prompt_tokens": prompt_tokens,
                      "completion_tokens": completion_tokens})

    def supporting(self, passage: int) -> list[EvidenceRef]:
        """The evidence sentences of source `passage` that hold the answer ("18 days" is
        in "… receive 18 days of paid annual leave"), or all of them when none does. Open
        WebUI's footnote to "18 days" quoted the neighbouring "up to 10 paid sick days"
        too, which reads as support for the draft's wrong 10."""
        quoted = [item for item in self.evidence if item.get("passage") == passage]
        core = _plain(_CITATION.sub("", self.answer))
        if self.answer_kind not in ("answer", "extracted") or not core:
            return quoted
        return [item for item in quoted if core in _plain(item["text"])] or quoted

    def shown(self) -> dict[str, Any]:
        """What a client may show or keep: the answer with its evidence and sources."""
        return self.model_dump(include={"answer", "answer_kind", "refused", "asked", "question",
                                        "sources", "evidence", "warnings"})


@dataclass(frozen=True)
class Step:
    """A node of the run finished ("retrieve", "select", "find_evidence", "generate")."""

    node: str


@dataclass(frozen=True)
class Checked:
    """The answer's text after every check: final, it is never taken back."""

    text: str


Event = Step | Checked
