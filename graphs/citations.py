"""Check an answer's [n] citations against the passages, and attribute uncited sentences."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from langchain_core.documents import Document

CITATION = re.compile(r"\[(\d+)\]")
SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|\n+")
WORD = re.compile(r"\w+")
# a sentence is supported by a passage when this share of its words occurs in it
MIN_SUPPORT = 0.5


def words(text: str) -> set[str]:
    """Lower-cased words; Korean words are cut to character bigrams so particles don't matter."""
    found: set[str] = set()
    for word in WORD.findall(text.lower()):
        if any("가" <= ch <= "힣" for ch in word) and len(word) > 2:
            found.update(word[i : i + 2] for i in range(len(word) - 1))
        elif len(word) > 1 or word.isdigit():
            found.add(word)
    return found


def support(sentence: str, passage: str) -> float:
    """Share of the sentence's words found in the passage (0 when it has none)."""
    said = words(CITATION.sub(" ", sentence))
    return len(said & words(passage)) / len(said) if said else 0.0


@dataclass
class CheckedAnswer:
    text: str
    unsupported: list[str] = field(default_factory=list)
    invalid_citations: list[int] = field(default_factory=list)
    attributed: bool = False


def check_citations(answer: str, docs: list[Document]) -> CheckedAnswer:
    """Validate every [n]; cite uncited sentences where one passage clearly supports them.

    A citation to a passage that does not exist is invalid; a sentence whose cited
    passage shares too little with it, or that no passage supports, is unsupported.
    """
    checked = CheckedAnswer(text=answer)
    sentences = [s for s in SENTENCE_END.split(answer.strip()) if s.strip()]
    rewritten = []
    for sentence in sentences:
        numbers = [int(n) for n in CITATION.findall(sentence)]
        valid = [n for n in numbers if 1 <= n <= len(docs)]
        checked.invalid_citations += [n for n in numbers if n not in valid]
        if numbers:
            if not valid or max(
                support(sentence, docs[n - 1].page_content) for n in valid
            ) < MIN_SUPPORT:
                checked.unsupported.append(sentence)
            rewritten.append(sentence)
            continue
        scores = [support(sentence, doc.page_content) for doc in docs]
        best = max(range(len(scores)), key=scores.__getitem__, default=None)
        if best is not None and scores[best] >= MIN_SUPPORT:
            rewritten.append(f"{sentence.rstrip()} [{best + 1}]")
            checked.attributed = True
        else:
            checked.unsupported.append(sentence)
            rewritten.append(sentence)
    if checked.attributed:
        checked.text = " ".join(rewritten)
    return checked
