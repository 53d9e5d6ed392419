"""The span grammar for the packaged small models (graphs/span_grammar.py): its rules as
text, and llama.cpp's own parser accepting them."""

from __future__ import annotations

import pytest

from graphs.span_grammar import gbnf_literal, span_grammar, word_endings


def test_a_span_starts_at_any_word_and_goes_on_or_ends() -> None:
    assert span_grammar(["Robert Guiscard led."]).splitlines() == [
        'root ::= " "? (s0w0 | s0w1 | s0w2)',
        's0w0 ::= "Robert" (" " s0w1 | "\\n")',
        's0w1 ::= "Guiscard" (" " s0w2 | "\\n")',
        's0w2 ::= "led." "\\n" | "led" "\\n"',
    ]


def test_a_span_never_crosses_from_one_sentence_into_the_next() -> None:
    rules = span_grammar(["In 1081.", "It fell"]).splitlines()
    assert rules[0] == 'root ::= " "? (s0w0 | s0w1 | s1w0 | s1w1)'
    assert 's0w1 ::= "1081." "\\n" | "1081" "\\n"' in rules
    assert 's1w0 ::= "It" (" " s1w1 | "\\n")' in rules


def test_one_rule_per_word() -> None:
    sentence = " ".join(f"word{n}" for n in range(200))
    assert len(span_grammar([sentence]).splitlines()) == 1 + 200


@pytest.mark.parametrize(("word", "endings"), [
    ("7시부터", ["7시"]),
    ("9시까지.", ["9시까지", "9시"]),
    ("Dyrrachium,", ["Dyrrachium"]),
    ("(1082)", ["(1082"]),
    ("Guiscard", []),
    ("을", []),  # a lone particle is no word to end on
])
def test_a_span_may_end_without_closing_punctuation_or_a_korean_particle(
        word: str, endings: list[str]) -> None:
    assert word_endings(word) == endings


def test_quotes_and_backslashes_are_escaped() -> None:
    assert gbnf_literal('say "hi" \\ now') == '"say \\"hi\\" \\\\ now"'


@pytest.mark.slow
def test_llama_cpp_parses_the_grammar() -> None:
    import llama_cpp
    from llama_cpp import Llama

    from core.model_files import resolve_gguf

    vocab = Llama(model_path=str(resolve_gguf("packaged:gemma3-270m").path), vocab_only=True,
                  verbose=False)._model.vocab
    grammar = span_grammar(['매장은 "평일" 오전 7시부터 \\ 9시까지.', "It fell in 1082."])
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode(), b"root")
    assert sampler
    llama_cpp.llama_sampler_free(sampler)
    assert not llama_cpp.llama_sampler_init_grammar(vocab, b'root ::= "a" (', b"root")
