"""What a question must be before any model loads: not empty, not a pasted document, and
in a language docent answers (English or Korean)."""

from __future__ import annotations

import unicodedata

from core.errors import DocentError
from core.tuning import MAX_QUESTION_CHARS

SUPPORTED_LANGUAGES = "English and Korean"
SCRIPT_NAMES = {"CJK": "Chinese characters", "HIRAGANA": "Japanese kana",
                "KATAKANA": "Japanese kana"}


class QuestionError(DocentError):
    """The question itself cannot be asked (empty or too long)."""


def check_question(question: str) -> str:
    """The question without surrounding blanks; raises `QuestionError` when it is empty or
    longer than MAX_QUESTION_CHARS."""
    question = question.strip()
    if not question:
        raise QuestionError("the question is empty: ask something, e.g. "
                            "`docent ask \"When are the beans roasted?\"`")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(question)} characters long; at most {MAX_QUESTION_CHARS} "
            "are read: ask about the passage instead of pasting it (ingest it as a file)")
    return question


def foreign_script(question: str) -> str | None:
    """The script most of the question's letters are in when it is neither Latin nor
    Hangul (e.g. 'CJK', 'HIRAGANA', 'ARABIC', 'CYRILLIC'), else None."""
    scripts = [unicodedata.name(c, "UNKNOWN").split()[0] for c in question if c.isalpha()]
    foreign = [s for s in scripts if s not in ("LATIN", "HANGUL")]
    if not foreign or len(foreign) * 2 <= len(scripts):
        return None
    return max(set(foreign), key=foreign.count)


def language_note(question: str) -> str:
    """Said after a refusal of a question in another script: which languages docent reads."""
    script = foreign_script(question)
    if script is None:
        return ""
    name = SCRIPT_NAMES.get(script, f"{script.title()} script")
    return f" (docent answers questions in {SUPPORTED_LANGUAGES}; this one is in {name})"
