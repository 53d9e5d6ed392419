"""A GBNF grammar (llama.cpp) under which a small model can only answer with a run of
consecutive words of the evidence.

One rule per word: a span starts at any word, then goes on with the next word or ends with
a line break (the completion prompt's answer is one line). A span may also end on a word
without its closing punctuation or its Korean particle ("7시부터" → "7시"). The grammar
grows linearly with the evidence, and the model only chooses where its answer starts and
ends, so what it writes is always verbatim evidence.
"""

from __future__ import annotations

from graphs.answer_span import EDGE_PUNCTUATION, PARTICLE

SPAN_END = r'"\n"'


def gbnf_literal(text: str) -> str:
    """`text` as a GBNF string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def word_endings(word: str) -> list[str]:
    """The shorter forms a span may end on: without closing punctuation, without a particle."""
    bare = word.rstrip(EDGE_PUNCTUATION)
    stem = PARTICLE.sub("", bare)
    return [form for form in dict.fromkeys([bare, stem]) if form and form != word]


def span_grammar(sentences: list[str]) -> str:
    """The grammar of: an optional space, a word span of one of `sentences` (never across
    two), a line break.

    No refusal among the choices: with "The documents do not say." allowed, Gemma 270M
    wrote its first word "The" and the grammar then led it into the refusal, for 20 of 60
    answerable SQuAD tuning questions (the evidence floor refuses before the model)."""
    rules: list[str] = []
    starts: list[str] = []
    for s, sentence in enumerate(sentences):
        words = sentence.split()
        for w, word in enumerate(words):
            name = f"s{s}w{w}"
            starts.append(name)
            more = f' (" " s{s}w{w + 1} | {SPAN_END})' if w + 1 < len(words) else f" {SPAN_END}"
            shorter = "".join(f" | {gbnf_literal(form)} {SPAN_END}" for form in word_endings(word))
            rules.append(f"{name} ::= {gbnf_literal(word)}{more}{shorter}")
    return "\n".join([f'root ::= " "? ({" | ".join(starts)})', *rules]) + "\n"
