"""A short answer read from the evidence itself: the one date or number that the best
evidence sentence holds, when the question asks for a date or a number.

Used when the model's draft is not shown (`graphs.answer_check.decide`). Simulated on the
records of the real runs on the tuning halves (60 questions each, seed 5, Gemma 270M): it
answered 6 of the quoted English questions (4 held a gold answer) and 4 Korean ones (4);
exact match rose 0.17 → 0.23 (English) and 0.02 → 0.07 (Korean), F1 0.32 → 0.37 and
0.16 → 0.21, while answer_contains went 0.70 → 0.68 in English (a quote that held the gold
became "19th") and stayed 0.73 in Korean.
"""

from __future__ import annotations

import re

from graphs.evidence import DATE, NUMBER, expected_answer
from graphs.qualifiers import Value, unit_after, unit_asked, unit_clash

# "how many/much" is not answered by a year ("in 1885, … fifty thousand dollars")
YEAR = re.compile(r"1\d{3}|20\d{2}")
DAY = re.compile(r"\d{1,2}")
TIME_OF_DAY = re.compile(r"오전|오후|새벽|아침|저녁|밤|낮")
EDGE_PUNCTUATION = "\"'“”‘’()[],.;:!?"
# Korean particles after a number ("144건을", "1958년부터"): not part of the answer
PARTICLE = re.compile(r"(에서|부터|까지|으로|이다|이며|이고|을|를|이|가|은|는|에|의|로|와|과|도)$")


def cue_span(question: str, sentence: str) -> str | None:
    """The one run of words in `sentence` of the kind the question asks for (a date, a
    number), or None when the question asks for another kind or there is not exactly one.
    Of several numbers, those whose unit the question names are the candidates ("how many
    grams": "30 grams", not "500 millilitres"), and none whose unit differs from it is."""
    cue = expected_answer(question)
    if cue is not DATE and cue is not NUMBER:
        return None
    spans = list(re.finditer(r"\S+", sentence))
    words = [m.group() for m in spans]
    bare = [word.strip(EDGE_PUNCTUATION) for word in words]
    kind = [bool(cue.search(b)) and not (cue is NUMBER and YEAR.fullmatch(b)) for b in bare]
    if cue is DATE:  # a day before its month: "24 March 1879"
        kind = [hit or (DAY.fullmatch(b) is not None and following)
                for hit, b, following in zip(kind, bare, [*kind[1:], False], strict=True)]
    runs: list[list[int]] = []
    for position in range(len(words)):
        if not kind[position]:
            continue
        if position and kind[position - 1] and not word_ends_run(words[position - 1]):
            runs[-1].append(position)
        else:
            runs.append([position])
    candidates = [(run, unit) for run in runs
                  if unit_clash(question, unit := _unit(sentence, spans[run[-1]])) is None]
    if len(candidates) > 1:
        candidates = [(run, unit) for run, unit in candidates if unit_asked(question, unit)]
    if len(candidates) != 1:
        return None
    run = candidates[0][0]
    if run[0] and TIME_OF_DAY.fullmatch(words[run[0] - 1]):  # "오전 7시", not "7시"
        run = [run[0] - 1, *run]
    span = " ".join(words[p] for p in run).strip(EDGE_PUNCTUATION)
    return PARTICLE.sub("", span) if re.search(r"[가-힣]$", span) else span


def _unit(sentence: str, word: re.Match[str]) -> Value | None:
    """The unit after the last number of `word`, in the sentence."""
    last_digit = re.search(r"\d(?!.*\d)", word.group())
    return unit_after(sentence, word.start() + last_digit.end()) if last_digit else None


def word_ends_run(word: str) -> bool:
    """A comma or a clause's punctuation after a word ends its run ("in 1990, 12 people")."""
    return word.endswith((",", ";", ":", ".", ")"))
