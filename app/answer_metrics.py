"""Answer quality: SQuAD exact match and token F1 against gold answers, and refusal share.

The metric is the official SQuAD v1.1 one (lower-case, drop punctuation and English
articles, split on whitespace); docent's [n] citation markers are removed first. A refusal
scores 0 on both and is counted on its own.
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import DocentError

if TYPE_CHECKING:
    from app.benchmarks import Benchmark
    from core.resources import Resources

CITATION = re.compile(r"\[\d+\]")
ARTICLES = re.compile(r"\b(a|an|the)\b")
PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation, after removing [n] citations."""
    text = CITATION.sub(" ", text).lower()
    text = "".join(ch for ch in text if ch not in PUNCTUATION)
    return " ".join(ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, golds: list[str]) -> float:
    return max((float(normalize_answer(prediction) == normalize_answer(g)) for g in golds),
               default=0.0)


def _f1(prediction: str, gold: str) -> float:
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(gold).split()
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, golds: list[str]) -> float:
    """Best token-overlap F1 against any gold answer."""
    return max((_f1(prediction, gold) for gold in golds), default=0.0)


@dataclass(frozen=True)
class AnswerScores:
    questions: int
    exact_match: float
    f1: float
    refusals: float

    def to_dict(self) -> dict[str, float]:
        return {key: round(value, 4) for key, value in asdict(self).items()}

    def table(self) -> str:
        return (f"answers: {self.questions} questions  exact match {self.exact_match:.3f}  "
                f"token F1 {self.f1:.3f}  refusals {self.refusals:.1%}")


def score_answers(answers: list[tuple[str, bool, list[str]]]) -> AnswerScores:
    """Scores of (answer, refused, gold answers) triples; refusals score 0."""
    n = max(len(answers), 1)
    return AnswerScores(
        questions=len(answers),
        exact_match=sum(0.0 if refused else exact_match(a, g) for a, refused, g in answers) / n,
        f1=sum(0.0 if refused else token_f1(a, g) for a, refused, g in answers) / n,
        refusals=sum(1 for _, refused, _ in answers if refused) / n,
    )


def gold_answers(path: Path) -> dict[str, list[str]]:
    """Question id → gold answer texts, from a SQuAD-format JSON or a queries.jsonl
    whose lines carry `answers` (a list of strings)."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl":
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
            return {str(row["id"]): list(row.get("answers", [])) for row in rows}
        return {str(qa["id"]): [a["text"] for a in qa["answers"]]
                for article in json.loads(text)["data"] for paragraph in article["paragraphs"]
                for qa in paragraph["qas"]}
    except OSError as exc:
        raise DocentError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DocentError(f"{path}: no gold answers ({exc})") from None


def evaluate_answers(resources: Resources, bench: Benchmark, golds: dict[str, list[str]]
                     ) -> AnswerScores:
    """Ask every question that has gold answers through the full graph, and score."""
    from app.ask import ask
    from graphs.context import Context

    answers = []
    for query in bench.queries:
        if golds.get(query.id):
            result = ask(query.question, Context(resources=resources))
            answers.append((str(result["answer"]), bool(result["refused"]), golds[query.id]))
    return score_answers(answers)
