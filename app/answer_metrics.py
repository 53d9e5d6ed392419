"""Answer metrics: the official SQuAD v1.1 exact match and token F1 for English, the official
KorQuAD v1.0 ones (character-level F1) for Korean, and whether a shown answer contains a
gold answer at all. docent's [n] citation markers are removed first."""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from pathlib import Path

from core.errors import DocentError

CITATION = re.compile(r"\[\d+\]")
ARTICLES = re.compile(r"\b(a|an|the)\b")
PUNCTUATION = frozenset(string.punctuation)
# KorQuAD v1.0's evaluation script turns these quotes and brackets into spaces first
KORQUAD_MARKS = re.compile("['\"《》<>〈〉()‘’]")


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation, after removing [n] citations."""
    text = CITATION.sub(" ", text).lower()
    text = "".join(ch for ch in text if ch not in PUNCTUATION)
    return " ".join(ARTICLES.sub(" ", text).split())


def normalize_korquad(text: str) -> str:
    """KorQuAD v1.0's normalisation (no English articles), after removing [n] citations."""
    text = KORQUAD_MARKS.sub(" ", CITATION.sub(" ", text)).lower()
    return " ".join("".join(ch for ch in text if ch not in PUNCTUATION).split())


def _overlap_f1(predicted: list[str], expected: list[str]) -> float:
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, golds: list[str], korean: bool = False) -> float:
    norm = normalize_korquad if korean else normalize_answer
    return max((float(norm(prediction) == norm(g)) for g in golds), default=0.0)


def token_f1(prediction: str, golds: list[str], korean: bool = False) -> float:
    """Best F1 against any gold answer: SQuAD's over words, KorQuAD's over characters."""
    if korean:
        def units(text: str) -> list[str]:
            return [ch for word in normalize_korquad(text).split() for ch in word]
    else:
        def units(text: str) -> list[str]:
            return normalize_answer(text).split()
    return max((_overlap_f1(units(prediction), units(g)) for g in golds), default=0.0)


def contains_gold(shown: str, golds: list[str], korean: bool = False) -> bool:
    """Whether the shown answer contains a gold answer (both normalised)."""
    norm = normalize_korquad if korean else normalize_answer
    text = norm(shown)
    return any(norm(g) and norm(g) in text for g in golds)


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
