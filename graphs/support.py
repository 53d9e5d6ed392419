"""How much of a text a passage supports: shared words, Korean compared as bigrams."""

from __future__ import annotations

import re

CITATION = re.compile(r"\[(\d+)\]")
# a word, split where Hangul meets other letters or digits: "2003년에는" → "2003", "년에는"
WORD = re.compile(r"[\uac00-\ud7a3]+|[^\W\uac00-\ud7a3]+")
PUNCTUATION = re.compile(r"[^\w\s]+")


def words(text: str) -> set[str]:
    """Lower-cased words; Korean words are cut to character bigrams so particles don't matter."""
    found: set[str] = set()
    for word in WORD.findall(text.lower()):
        if "가" <= word[0] <= "힣" and len(word) > 2:
            found.update(word[i : i + 2] for i in range(len(word) - 1))
        elif len(word) > 1 or word.isdigit():
            found.add(word)
    return found


def _plain(text: str) -> str:
    return " ".join(PUNCTUATION.sub(" ", CITATION.sub(" ", text)).lower().split())


def support(sentence: str, passage: str) -> float:
    """Share of the sentence's words found in the passage (0 when it has none); 1 when the
    sentence stands in the passage as it is ("킹", "USCF", "2003")."""
    plain = _plain(sentence)
    if plain and plain in _plain(passage):
        return 1.0
    said = words(CITATION.sub(" ", sentence))
    return len(said & words(passage)) / len(said) if said else 0.0
