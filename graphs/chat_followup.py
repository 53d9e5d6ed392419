"""Follow-up questions that refer back, and their rewrite into standalone questions.

A rule-based detector decides (the tiny local models cannot be trusted to); the model
rewrites, and a rewrite that drops the conversation's subject falls back to a
deterministic one: the follow-up with the earlier question it refers to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.messages import BaseMessage

from graphs.citations import words

# English pronouns/demonstratives and elliptic openers ("and ...?", "what about ...?")
ENGLISH_BACK_REFERENCE = re.compile(
    r"\b(it|its|it's|that|this|those|these|they|them|their|there|then|he|she|him|her|his|"
    r"the same|the former|the latter|one|ones)\b|^(and|also|what about|how about)\b",
    re.IGNORECASE,
)
# Korean demonstratives (그것, 거기, 그때, 이거, 저것 ...) and the elliptic "…는요?/은요?"
KOREAN_BACK_REFERENCE = re.compile(
    r"(그것|그거|그게|그건|거기|그곳|그때|그분|그 사람|그런|이것|이거|이게|저것|저거|그럼|그러면)"
    r"|^그\s|[은는]요\s*\??$"
)
# words that say nothing about the subject
STOPWORDS_TEXT = (
    "a an the is are was were do does did what which who whom when where why how much many "
    "of to in on at for and or it its that this those these they them there then be can i "
    "you we my our your get gets use used"
)
STOPWORDS = frozenset(STOPWORDS_TEXT.split())


def refers_back(question: str) -> bool:
    """Whether the question leans on the conversation (pronouns, "that", 그것, 거기 ...)."""
    text = question.strip()
    return bool(ENGLISH_BACK_REFERENCE.search(text) or KOREAN_BACK_REFERENCE.search(text))


def history_text(messages: Sequence[BaseMessage], turns: int = 2) -> str:
    """The last `turns` question/answer pairs as `User:` / `Assistant:` lines."""
    recent = messages[-2 * turns:]
    return "\n".join(
        f"{'User' if message.type == 'human' else 'Assistant'}: {message.content}"
        for message in recent
    )


def subject_words(text: str) -> set[str]:
    """Content words (Korean as character bigrams, so particles do not matter)."""
    return words(text) - STOPWORDS


def keeps_subject(rewrite: str, previous_question: str, followup: str) -> bool:
    """A usable rewrite: one line, a question, carrying a word of the earlier question."""
    if not rewrite or "\n" in rewrite or len(rewrite) > 3 * len(previous_question + followup):
        return False
    new_words = subject_words(rewrite) - subject_words(followup)
    return bool(new_words & subject_words(previous_question))


def deterministic_rewrite(followup: str, previous_question: str) -> str:
    """The follow-up carrying the earlier question it refers to (works with any model)."""
    return f"{followup.strip()} (about: {previous_question.strip()})"
