"""Keyword tokens for BM25, the same function for documents and queries.

Latin and other scripts: NFKC, lower-cased `\\w+` words, English stop words dropped, ASCII
words reduced to their Snowball English stem (PyStemmer), so "roasted" finds "roasting".
Hangul words: character bigrams (so 커피를, 커피는 and 커피 share 커피), optionally plus
kiwipiepy morphemes; which one by measurement (core/tuning.py).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from core.settings import KoreanTokens

WORD = re.compile(r"\w+")
HANGUL = re.compile(r"[\uac00-\ud7a3]+")
# a short list: the function words that carry no topic in English questions, and the
# verbs that only frame a request ("tell me more about that" names nothing; stemmed, "tell"
# would match "this page tells staff…" and pass the refusal test)
ENGLISH_STOPWORDS = frozenset({
    "a", "about", "an", "and", "are", "as", "at", "be", "by", "describe", "did", "do", "does",
    "explain", "for", "from", "had", "has", "have", "how", "in", "is", "it", "its", "me",
    "more", "of", "on", "or", "please", "tell", "that", "the", "their", "this", "to", "was",
    "were", "what", "when", "where", "which", "who", "whom", "whose", "why", "with",
})


# names the token rules; an index built under other rules is rebuilt (bump on any change)
TOKEN_RULES = "snowball-en-2"


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def mostly_hangul(text: str) -> bool:
    """Whether most letters of the text are Hangul (a Korean question or sentence)."""
    letters = [c for c in text if c.isalpha()]
    return sum("\uac00" <= c <= "\ud7a3" for c in letters) * 2 > len(letters)


def hangul_bigrams(word: str) -> list[str]:
    """Overlapping character pairs of a Hangul run; a one-syllable run is kept whole."""
    if len(word) < 2:
        return [word]
    return [word[i:i + 2] for i in range(len(word) - 1)]


@lru_cache(maxsize=1)
def _kiwi() -> Any:
    from kiwipiepy import Kiwi

    return Kiwi()


def korean_morphemes(text: str) -> list[str]:
    """Content morphemes (nouns, verb/adjective stems, roots, foreign words, numbers)."""
    return [f"@{t.form}" for t in _kiwi().tokenize(text)
            if t.tag[0] in "NVX" or t.tag in ("SL", "SN", "SH", "MAG")]


def korean_names(text: str) -> list[str]:
    """The Hangul proper nouns of the text (kiwipiepy's NNP), each with the nouns written
    onto it ("김대신": 김 NNP + 대신 NNG; "서울대학교병원")."""
    if not HANGUL.search(text):
        return []
    runs: list[list[Any]] = []
    for token in _kiwi().tokenize(text):
        if token.tag not in ("NNP", "NNG"):
            continue
        if runs and runs[-1][-1].end == token.start:
            runs[-1].append(token)
        else:
            runs.append([token])
    names = [text[run[0].start:run[-1].end] for run in runs
             if any(token.tag == "NNP" for token in run)]
    return [name for name in names if HANGUL.search(name)]


def _word_tokens(text: str, korean: KoreanTokens) -> list[str]:
    out: list[str] = []
    for word in WORD.findall(text):
        if HANGUL.search(word) and korean != "morpheme":
            for part in re.split(r"([\uac00-\ud7a3]+)", word):
                if not part:
                    continue
                out.extend(hangul_bigrams(part) if HANGUL.fullmatch(part) else [part])
        elif word not in ENGLISH_STOPWORDS and not HANGUL.search(word):
            out.append(_stemmer().stemWord(word) if word.isascii() else word)
    return out


def keyword_tokens(text: str, korean: KoreanTokens = "bigram") -> list[str]:
    """The BM25 tokens of a text (documents and queries alike)."""
    text = unicodedata.normalize("NFKC", text).lower()
    out = _word_tokens(text, korean)
    if korean != "bigram" and HANGUL.search(text):
        out.extend(korean_morphemes(text))
    return out
