"""`eval --answers`: every question through the full graph, scored as a user would judge it.

Reported (stable `--json` keys): `answer_contains` (shown answer holds a gold answer),
`exact_match` and `f1` (SQuAD's metric in English, KorQuAD's character F1 in Korean),
`refused_answerable`, `refused_unanswerable` (refusal recall on questions whose article is
not in the corpus), `fabricated_shown` (model answers shown to unanswerable questions, or
not supported by the sources), `evidence_shown` (the evidence quoted instead of an answer),
`answer_chars_mean`, `latency_ms_p50`, `latency_ms_p95`, `gold_in_context` (the texts
handed to the model hold a gold answer, over answerable questions; a question refused
before the model, or answered from the answer cache, counts as not); with `--oracle`, the model is a
fake that gives each question's gold answer, and `gold_rejected` is the share of those
answers docent did not show as given (target 0).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from typing import IO, TYPE_CHECKING, Any

from langchain_core.callbacks import BaseCallbackHandler

from app.answer_metrics import contains_gold, exact_match, token_f1
from app.eval import percentile
from core.index.tokens import mostly_hangul
from graphs.prompts import handed_text
from graphs.support import support

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

    from app.benchmarks import Benchmark
    from core.resources import Resources

# a shown model answer shares at least this share of its words with its sources, or it
# counts as fabricated (a stricter bar than the graph's own check, which it must pass)
FABRICATION_SUPPORT = 0.8


@dataclass(frozen=True)
class AnswerScores:
    questions: int
    unanswerable: int
    answer_contains: float
    exact_match: float
    f1: float
    refused_answerable: float
    refused_unanswerable: float
    fabricated_shown: int
    evidence_shown: float
    answer_chars_mean: float
    latency_ms_p50: float
    latency_ms_p95: float
    gold_in_context: float = 0.0
    gold_rejected: float | None = None

    def to_dict(self) -> dict[str, float | int | None]:
        return {key: round(value, 4) if isinstance(value, float) else value
                for key, value in asdict(self).items()}

    def table(self) -> str:
        return "\n".join(f"{key:<22}{value}" for key, value in self.to_dict().items())


class HandedText(BaseCallbackHandler):
    """Keeps the numbered texts of each prompt the model is sent (`graphs.prompts`)."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def on_llm_start(self, serialized: Any, prompts: list[str], **kwargs: Any) -> None:
        self.texts += [handed_text(prompt) for prompt in prompts]

    def on_chat_model_start(self, serialized: Any, messages: list[list[BaseMessage]],
                            **kwargs: Any) -> None:
        self.texts += [handed_text(str(m[-1].content)) for m in messages if m]


def _record(query_id: str, question: str, result: dict[str, Any], gold: list[str],
            seconds: float, context: str) -> dict[str, Any]:
    return {"id": query_id, "question": question, "answer": result["answer"],
            "answer_kind": result.get("answer_kind"), "evidence": result.get("evidence", []),
            "refused": bool(result["refused"]), "sources": result["sources"], "gold": gold,
            "context": context, "latency_ms": round(seconds * 1000, 1)}


def _fabricated(record: dict[str, Any], sources_text: str) -> bool:
    if record["answer_kind"] != "answer":
        return False
    return not record["gold"] or support(record["answer"], sources_text) < FABRICATION_SUPPORT


def score_records(records: list[dict[str, Any]], sources_text: dict[str, str]) -> AnswerScores:
    """The scoreboard of per-question records (`gold` empty: unanswerable)."""
    answerable = [r for r in records if r["gold"]]
    unanswerable = [r for r in records if not r["gold"]]
    n, u = max(len(answerable), 1), max(len(unanswerable), 1)
    korean = [mostly_hangul(r["question"]) for r in answerable]
    shown = [r for r in records if not r["refused"]]
    latencies = [r["latency_ms"] for r in records]
    return AnswerScores(
        questions=len(answerable), unanswerable=len(unanswerable),
        answer_contains=sum(not r["refused"] and contains_gold(r["answer"], r["gold"], k)
                            for r, k in zip(answerable, korean, strict=True)) / n,
        exact_match=sum(0.0 if r["refused"] else exact_match(r["answer"], r["gold"], k)
                        for r, k in zip(answerable, korean, strict=True)) / n,
        f1=sum(0.0 if r["refused"] else token_f1(r["answer"], r["gold"], k)
               for r, k in zip(answerable, korean, strict=True)) / n,
        refused_answerable=sum(r["refused"] for r in answerable) / n,
        refused_unanswerable=sum(r["refused"] for r in unanswerable) / u,
        fabricated_shown=sum(_fabricated(r, sources_text[r["id"]]) for r in records),
        evidence_shown=sum(r["answer_kind"] == "evidence" for r in records) / max(len(records), 1),
        answer_chars_mean=sum(len(r["answer"]) for r in shown) / max(len(shown), 1),
        latency_ms_p50=percentile(latencies, 0.5), latency_ms_p95=percentile(latencies, 0.95),
        gold_in_context=sum(contains_gold(r.get("context", ""), r["gold"], k)
                            for r, k in zip(answerable, korean, strict=True)) / n,
    )


def oracle(resources: Resources, answer: str) -> Resources:
    """The same store, with a fake model that answers `answer` (and no answer cache)."""
    from langchain_core.language_models import FakeListLLM

    from core.llm import LoadedModel
    from core.resources import Resources

    model = LoadedModel(FakeListLLM(responses=[answer]), "completion", "oracle",
                        family="oracle", context_window=4096, max_tokens=256)
    return Resources(resources.settings.model_copy(update={"answer_cache": False}),
                     store=resources.store(), model=model)


def evaluate_answers(resources: Resources, bench: Benchmark, golds: dict[str, list[str]],
                     details: IO[str] | None = None, oracle_model: bool = False
                     ) -> AnswerScores:
    """Ask every question (those with gold answers, and the unanswerable ones: no gold
    passage) through the full graph, and score what a user would see. `oracle_model`: the
    model gives each question's first gold answer (unanswerable ones: a made-up one)."""
    from graphs.context import Context
    from graphs.runner import answer

    records, sources_text = [], {}
    store = resources.store()
    for query in bench.queries:
        gold = golds.get(query.id, []) if query.relevant_ids else []
        if query.relevant_ids and not gold:
            continue
        answering = oracle(resources, gold[0] if gold else "Napoleon in 1815") \
            if oracle_model else resources
        handed = HandedText()
        started = time.perf_counter()
        result = answer(query.question, Context(resources=answering),
                        callbacks=[handed]).model_dump()
        record = _record(query.id, query.question, result, gold, time.perf_counter() - started,
                         "\n".join(handed.texts))
        chunk_ids = [s["chunk_id"] for s in record["sources"] if s.get("chunk_id")]
        sources_text[query.id] = "\n".join(
            doc.page_content for doc in store.vectorstore.get_by_ids(chunk_ids)) \
            if chunk_ids else ""
        records.append(record)
        if details is not None:
            details.write(json.dumps(record, ensure_ascii=False) + "\n")
    scores = score_records(records, sources_text)
    if not oracle_model:
        return scores
    asked = [r for r in records if r["gold"] and r["answer_kind"] in ("answer", "evidence")]
    rejected = sum(r["answer_kind"] == "evidence" for r in asked) / max(len(asked), 1)
    return replace(scores, gold_rejected=rejected)
