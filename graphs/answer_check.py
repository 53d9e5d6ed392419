"""Is the model's answer something to show? Degenerate outputs and unsupported facts.

A small model copies the prompt's frame ("Answer:"), echoes the question, cites a passage
that does not exist or writes a number the passage does not hold. None of that may be
shown as an answer: `check_answer` says why, and the graph shows the evidence instead.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from core.index.tokens import korean_names
from graphs.answer_span import cue_span
from graphs.evidence import NUMBER as NUMBER_WORD
from graphs.evidence import evidence_sentences
from graphs.prompts import EVIDENCE_INTROS, NOTES, REFUSALS, language
from graphs.qualifiers import (
    Clash,
    cell_header,
    number_unit,
    sentence_clash,
    unit_after,
    unit_clash,
    unit_word,
)
from graphs.state import EvidenceRef
from graphs.support import CITATION, WORD, support

log = logging.getLogger("docent.answer")

ROLE_LABEL = re.compile(r"^\s*(answer|question|q|a|passages?|text|context|답변?|질문|글|문서)"
                        r"\s*[:：]", re.IGNORECASE | re.MULTILINE)
_FILE = r"[\w.-]+\.(?:pdf|md|markdown|html?|csv|txt|rst|docx|pptx|xlsx|odt|epub)\b"
_PLACE = r", (?:page|slide|section) \d+"
# a source as the prompt labels it: in brackets a sheet name may hold spaces ("(b.xlsx,
# sheet Q3 Sales)"); outside them, its first word
FILE_NAME = re.compile(rf"\({_FILE}(?:{_PLACE}|, sheet [^)\n]+)?\)"
                       rf"|{_FILE}(?:{_PLACE}|, sheet \S+)?", re.IGNORECASE)
# a number as written: "4,800", "10.2", a time "6:30" (whose "30" is no count of minutes)
NUMBER = re.compile(r"\d[\d,.:]*\d|\d")
# ... a quantity, a Korean one with its ten thousands ("140만")
QUANTITY = re.compile(rf"(?:{NUMBER.pattern})(?:만|억)?")
# an answer that is a quantity alone
BARE_NUMBER = re.compile(rf"{QUANTITY.pattern}|{NUMBER_WORD.pattern}", re.IGNORECASE)
# a capitalised word, sentence-initial ones too: "Napoleon in 1815" must not pass for an answer
NAME = re.compile(r"\b[A-Z]\w+")
# a count asks for a number; other kinds are checked no further ("Who …?" may be answered
# "his mother's genetics", "When …?" by "immediately after Decision Time": the gold answers
# of 4 of 100 SQuAD tuning questions failed a name or date check)
COUNT_QUESTION = re.compile(r"\bhow many\b", re.IGNORECASE)
# a supported answer shares at least this share of its words with the evidence passages
MIN_ANSWER_SUPPORT = 0.5


def _words(text: str) -> list[str]:
    return WORD.findall(CITATION.sub(" ", text).lower())


def degenerate(answer: str, question: str) -> str | None:
    """Why the output is no answer at all, or None when it is one."""
    body = CITATION.sub(" ", answer).strip()
    if not body:
        return "the model gave no answer"
    if not FILE_NAME.sub(" ", body).strip(" ()[],.;:-–—\"'“”"):
        return "the model gave only citations or file names"
    if sum("?" in line for line in answer.splitlines()) > 1:
        return "the model wrote a list of questions"
    if ROLE_LABEL.search(answer):
        return "the model wrote prompt labels instead of an answer"
    said, asked = _words(body), _words(question)
    if said and (said == asked or (len(said) >= 3 and set(said) <= set(asked))):
        return "the model repeated the question"
    return None


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in NUMBER.findall(text)}


def _quantities(text: str) -> list[re.Match[str]]:
    """The text's numbers: digits ("4,800", "140만") and number words ("ten")."""
    return [*QUANTITY.finditer(text),
            *(m for m in NUMBER_WORD.finditer(text) if not m.group()[0].isdigit())]


def units_held_elsewhere(answer: str, texts: list[str]) -> list[str]:
    """The answer's numbers with a unit ("30 days") that the texts hold only with another
    unit or none ("30 percent"): the number is right there, what it counts is not. A
    number the texts do not hold at all is not this check's."""
    body = CITATION.sub(" ", answer)
    facts = []
    for number in _quantities(body):
        unit = number_unit(body, *number.span())
        if unit is None:
            continue
        held = [number_unit(text, *span) for text in texts
                for span in _number_spans(number.group(), text)]
        if held and unit not in held:
            facts.append(number.group() + unit_word(body, number.end()))
    return facts


def unsupported_facts(answer: str, passages: str, question: str) -> list[str]:
    """Numbers and names (English by their capitals, Korean by kiwipiepy's proper nouns)
    in the answer that neither the passages nor the question hold, and numbers they hold
    only with another unit."""
    body = CITATION.sub(" ", answer)
    known_numbers = _numbers(passages) | _numbers(question)
    facts = [n for n in sorted(_numbers(body)) if n not in known_numbers]
    facts += units_held_elsewhere(body, [passages, question])
    known_words = set(_words(passages)) | set(_words(question))
    facts += [name for name in NAME.findall(body) if name.lower() not in known_words]
    known_text = "".join(f"{passages} {question}".split())
    facts += [name for name in korean_names(body) if "".join(name.split()) not in known_text]
    return facts


def check_answer(answer: str, question: str, passages: str) -> str | None:
    """Why the answer must not be shown (degenerate, not the kind asked for, invented facts,
    unsupported), or None."""
    reason = degenerate(answer, question)
    if reason is not None:
        return reason
    if COUNT_QUESTION.search(question) and not NUMBER_WORD.search(CITATION.sub(" ", answer)):
        return "the question asks how many, and the answer has no number"
    facts = unsupported_facts(answer, passages, question)
    if facts:
        return f"the passages do not hold {', '.join(facts)}"
    if support(answer, passages) < MIN_ANSWER_SUPPORT:
        return "most of the answer is not in the passages"
    return None


def quoted_from(answer: str, sentence: str) -> bool:
    """Whether the answer, citations and closing punctuation aside, is a span of `sentence`.

    The rule for the packaged 270M/135M models. On the tuning halves (60 questions each,
    seed 5), Gemma 270M's answers that passed `check_answer` held a gold answer 15 / 46
    times in English and 8 / 47 in Korean, while the first evidence sentence held one
    36 / 46 and 39 / 47 times. Its answers that are a span of that sentence were right 9 / 14
    (English) and 3 / 9 (Korean); the rest, 6 / 32 and 5 / 38. Showing the span answers
    and quoting the sentence otherwise raised `answer_contains` from 0.40 to 0.70 (English)
    and 0.28 to 0.73 (Korean); a span of either evidence sentence gave only 0.53 and 0.65."""
    said = " ".join(CITATION.sub(" ", answer).split()).strip(" .。,;:!?\"'“”").lower()
    return bool(said) and said in " ".join(sentence.split()).lower()


def renumber_citations(draft: str, cited: list[int]) -> tuple[str, list[int]]:
    """The draft with the prompt's text numbers [i] turned into the sources' passage numbers
    [n] (`cited[i - 1]`); and the numbers it cites that the prompt did not have."""
    invalid: list[int] = []

    def passage(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if 1 <= number <= len(cited):
            return f"[{cited[number - 1]}]"
        invalid.append(number)
        return match.group(0)

    return re.sub(r"\[(\d+)\]", passage, draft), invalid


def _number_spans(number: str, sentence: str) -> list[tuple[int, int]]:
    """Where `number` ("4800", "4,800", "140만", "ten") stands in the sentence, commas aside."""
    if not number[0].isdigit():
        return [m.span() for m in re.finditer(rf"\b{number}\b", sentence, re.IGNORECASE)]
    value = number.replace(",", "").rstrip(".")
    return [m.span() for m in QUANTITY.finditer(sentence)
            if m.group().replace(",", "").rstrip(".") == value]


def _clash_in(text: str, question: str, numbers: list[str]) -> Clash | None:
    """The text's own clash with the question, or its numbers' when the unit after each
    clashes ("2시간 30분" answers "몇 시간": its 2 is in hours)."""
    units = [unit_after(text, end) for n in numbers for _, end in _number_spans(n, text)]
    clashes = [unit_clash(question, unit) for unit in units]
    return sentence_clash(question, text) or (clashes[0] if clashes and all(clashes) else None)


def qualifier_clash(answer: str, question: str, passages: str) -> Clash | None:
    """How the answer speaks of another group, currency, place or unit than the question
    asks: by its own words ("30 minutes" for "how many hours"), or because every sentence
    of the passages it comes from does (those holding it as written, else its numbers)."""
    body = " ".join(CITATION.sub(" ", answer).split()).strip(" .。")
    numbers = QUANTITY.findall(body) + [m.group() for m in NUMBER_WORD.finditer(body)
                                      if not m.group()[0].isdigit()]
    if (own := _clash_in(body, question, numbers)) is not None:
        return own
    sentences = evidence_sentences(passages)
    # as a whole word; a Korean one with its particle ("오후 9시까지")
    tail = "" if re.search(r"[가-힣]$", body) else r"(?![\w:]|[.,]\d)"
    written = re.compile(rf"(?<![\w:.,]){re.escape(body)}{tail}", re.IGNORECASE)
    sources = [] if BARE_NUMBER.fullmatch(body) else [s for s in sentences if written.search(s)]
    sources = sources or [s for s in sentences
                          if numbers and all(_number_spans(n, s) for n in numbers)]
    clashes = [_clash_in(s, question, numbers) for s in sources]
    return clashes[0] if clashes and all(clashes) else None


def with_unit(answer: str, sentences: list[str]) -> str:
    """A bare number keeps the unit or counter that follows it in the first sentence holding
    it ("30" from "a paid 30 minute break" → "30 minutes"), or, a table's cell, its column's
    header ("4800" from a row's "price_krw: 4800" → "4800 (price_krw)")."""
    body = answer.strip()
    if not BARE_NUMBER.fullmatch(body):
        return answer
    for sentence in sentences:
        if spans := _number_spans(body, sentence):
            start, end = spans[0]
            if unit := unit_word(sentence, end):
                return body + unit
            header = cell_header(sentence, start, end)
            return f"{body} ({header})" if header is not None else body
    return answer


def reader_note(lang: str, kind: str, clash: Clash | None = None) -> str:
    """Why the reader sees the documents' words rather than the model's answer, in plain
    words in the question's language (`kind`: a key of `NOTES`, naming `clash`'s values)."""
    asked, found = clash.words(lang) if clash is not None else ("", "")
    return NOTES[lang][kind].format(asked=asked, found=found)


def decide(draft: str, question: str, evidence: list[EvidenceRef], passages: str,
           quotes_only: bool = False, cited: list[int] | None = None) -> dict[str, Any]:
    """What the user is shown for the model's draft answer: the answer itself (cited, a bare
    number with its unit), the evidence quoted instead (with a note for the reader), the one
    date or number of the evidence asked for (`cue_span`), or the model's own refusal.

    The draft is checked against the selected passages, not only the evidence: what they
    hold is not invented (a gold answer the evidence missed was rejected 18 times in 200
    KorQuAD questions when only the evidence counted); and the sentences it comes from must
    speak of the group, currency, place and unit the question asks for (`qualifier_clash`).
    With `quotes_only` (a packaged small model) the draft must also be a span of the first
    evidence sentence (`quoted_from`). `cited` numbers the prompt's texts [i] as sources
    (default: the evidence's passages). The developer's reason goes to the log."""
    lang = language(question)
    first = evidence[0]
    quote = f"{EVIDENCE_INTROS[lang]} “{first['text']}” [{first['passage']}]"
    shown: dict[str, Any] = {"draft": draft, "refused": False, "unsupported": [],
                             "invalid_citations": [], "warnings": []}
    if any(draft.startswith(refusal) for refusal in REFUSALS.values()):
        return {**shown, "answer": REFUSALS[lang], "answer_kind": "refusal", "refused": True}
    answer, invalid = renumber_citations(
        draft, [e["passage"] for e in evidence] if cited is None else cited)
    clash = None
    reason = (f"the answer cites [{invalid[0]}], which does not exist" if invalid
              else check_answer(draft, question, passages))
    if reason is None and (clash := qualifier_clash(draft, question, passages)) is not None:
        reason = f"its source speaks of {clash.found.en}, the question of {clash.asked.en}"
    if reason is None and quotes_only and not quoted_from(draft, first["text"]):
        reason = "a small model's answer is shown only when the best evidence sentence holds it"
    if reason is not None:
        log.info("not shown as the answer: %s (draft %r)", reason, draft)
        rejected = {**shown, "unsupported": [] if invalid else [draft],
                    "invalid_citations": invalid}
        first_clash = sentence_clash(question, first["text"])
        if first_clash is None and (span := cue_span(question, first["text"])) is not None:
            return {**rejected, "answer": f"{with_unit(span, [first['text']])} "
                                          f"[{first['passage']}]",
                    "answer_kind": "extracted", "warnings": [reader_note(lang, "extracted")]}
        note = (reader_note(lang, "documents differ", first_clash) if first_clash
                else reader_note(lang, "draft differs", clash) if clash
                else reader_note(lang, "quoted"))
        return {**rejected, "answer": quote, "answer_kind": "evidence", "warnings": [note]}
    if BARE_NUMBER.fullmatch(body := CITATION.sub("", answer).strip()):
        sentences = [e["text"] for e in evidence] + evidence_sentences(passages)
        answer = answer.replace(body, with_unit(body, sentences), 1)
    if not CITATION.search(answer):
        answer = f"{answer.rstrip()} [{first['passage']}]"
    return {**shown, "answer": answer, "answer_kind": "answer"}
