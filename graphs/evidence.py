"""Evidence: the sentences of the selected passages that answer the question.

Chosen before the model is asked, from what docent already has: the question's BM25 tokens
weighted by their IDF in the index, the sentence vectors of the passages, and what kind of
answer the question asks for (how many → a number, when → a date, who → a name); a sentence
of another group, currency or place than the question's comes after the others
(graphs/qualifiers.py). A small packaged model then reads only these sentences, a capable
one the passages holding them first; what either answers is checked against the passages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from core.index.tokens import keyword_tokens, mostly_hangul
from core.tuning import EVIDENCE_PARTIAL_COVERAGE, EVIDENCE_PARTIAL_MARGIN
from graphs.qualifiers import sentence_clash

if TYPE_CHECKING:
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings

    from core.index.keyword import KeywordIndex
    from core.resources import Resources

# what a question asks for, and what a sentence holding that answer contains
NUMBER_QUESTION = re.compile(
    r"\bhow (many|much|long|old|far|big|large|tall|high|often)\b|\bwhat (percentage|number)\b"
    r"|몇|얼마|나이", re.IGNORECASE)
NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
                    r"|twenty|hundred|thousand|million|billion|dozen|half)\b", re.IGNORECASE)
DATE_QUESTION = re.compile(r"\bwhen\b|\bwhat (year|date|day|month|century)\b"
                           r"|언제|몇 년|[연년]도|날짜", re.IGNORECASE)
DATE = re.compile(r"\b1\d{3}\b|\b20\d{2}\b|\b\d{1,2}(st|nd|rd|th)\b|\b(january|february|march"
                  r"|april|may|june|july|august|september|october|november|december|monday"
                  r"|tuesday|wednesday|thursday|friday|saturday|sunday|century)\b"
                  r"|\d+\s*(년|월|일|세기)", re.IGNORECASE)
PERSON_QUESTION = re.compile(r"\bwho(m|se)?\b|누구|누가", re.IGNORECASE)
CAPITALISED = re.compile(r"\b[A-Z][a-z]+")
# a blank line, or a line break before a heading, list item or table row, ends a block;
# other line breaks are the wrapping of a sentence ("주말과 공휴일에는 오전 9시부터\n오후 6시")
BLOCK_END = re.compile(r"\n\s*\n|\n(?=\s*(?:#|[-*•]\s|\d+[.)]\s|\|))")
SENTENCE_END = re.compile(r"(?<=[.!?。])\s+")
# a period after these (or after an initial, "T. J. Ward") ends no sentence: "St. Johns"
ABBREVIATION = re.compile(r"(\b(St|Mr|Mrs|Ms|Dr|Jr|Sr|No|vs|Inc|Co|Ltd|Mt|Gen|Col|Lt|Capt|Prof"
                          r"|Rev|Fr|Ft|Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec|etc|approx|e\.g|i\.e)"
                          r"|(?<!\S)[A-Z]|\b(U\.S|U\.K|U\.N))\.$")
MIN_SENTENCE = 15  # shorter ones (headings, "Yes.") join the next sentence


@dataclass(frozen=True)
class EvidenceWeights:
    """How a sentence's evidence score is made (docs/benchmarks.md has the measurement)."""

    cue: float = 0.1  # the sentence holds the kind of answer the question asks for
    # taken off a sentence that speaks of another group, currency or place than the question
    # (graphs/qualifiers.py): more than coverage and rank can give, so it goes below those
    # that do not (`evidence_for` keeps it when no other sentence answers)
    clash: float = 1.5
    rank: float = 0.1  # prior for the passages selection ranked higher
    # the sentence vector's cosine with the question (e5's, core/tuning.EVIDENCE_MODEL).
    # e5 gives the candidates cosines within ~0.1 of each other, so its weight is larger
    # than MiniLM's 0.5 was: on 300 SQuAD tuning questions a seed (bench/evidence.py, seeds
    # 1/2/3/4) the first sentence held the gold answer for 0.723/0.763/0.760/0.717 at 1.0,
    # 0.727/0.773/0.773/0.727 at 2.0, 0.730/0.787/0.787/0.740 at 4.0 (at 8.0: seed 3
    # 0.790, seed 4 0.740)
    dense: float = 4.0
    # only the lexically best sentences are embedded at question time (None: all of them):
    # on 300 SQuAD tuning questions the 6 best gave the same first (0.733) and first-or-
    # second (0.823) sentences as embedding all, first three 0.883 vs 0.890 (bench/evidence.py),
    # and find_evidence took 0.11 s instead of 0.44 s (median, 10 sample questions, load ~3);
    # with e5, 10 instead of 6 moved the first sentence by at most 0.003 (3 seeds)
    dense_candidates: int | None = 6


EVIDENCE_WEIGHTS = EvidenceWeights()


@dataclass(frozen=True)
class Sentence:
    """A sentence piece of a selected passage and how strongly it answers the question."""

    text: str
    passage: int  # 0-based rank of its passage among the selected ones
    coverage: float  # share of the question's IDF weight among its tokens
    score: float
    cosine: float | None = None  # the dense scorer's, when it read this sentence


def evidence_sentences(text: str) -> list[str]:
    """The text's sentences, wrapped lines joined, short ones joined to the next; Markdown
    headings are left out (a heading is no evidence, and joined to a sentence its words
    lent that sentence weight it did not have)."""
    sentences: list[str] = []
    pending = ""
    for block in BLOCK_END.split(text):
        if block.lstrip().startswith("#"):
            block = block.lstrip().split("\n", 1)[1] if "\n" in block.strip() else ""
        for sentence in SENTENCE_END.split(" ".join(block.split())):
            pending = f"{pending} {sentence}".strip()
            if len(pending) >= MIN_SENTENCE and not ABBREVIATION.search(pending):
                sentences.append(pending)
                pending = ""
    if pending:
        sentences.append(pending)
    return sentences


def expected_answer(question: str) -> re.Pattern[str] | None:
    """What a sentence answering this question must contain, when the question says so."""
    if DATE_QUESTION.search(question):
        return DATE
    if NUMBER_QUESTION.search(question):
        return NUMBER
    if PERSON_QUESTION.search(question) and not mostly_hangul(question):
        return CAPITALISED  # Hangul has no capitals: a Korean name is not told apart
    return None


def idf_coverage(weights: dict[str, float], text: str, korean: str) -> float:
    """Share of the question tokens' IDF weight whose tokens occur in `text`."""
    total = sum(weights.values())
    if not total:
        return 0.0
    present = set(keyword_tokens(text, korean))  # type: ignore[arg-type]
    return sum(w for token, w in weights.items() if token in present) / total


Similarity = Callable[[list[str]], list[float]]
SIMILARITY_BATCH = 32


def cosine_similarity(embeddings: Embeddings, question: str) -> Similarity | None:
    """Cosines of texts with the question by the embedding model, or None when the model
    cannot read the question (MiniLM and Hangul)."""
    if mostly_hangul(question) and not getattr(embeddings, "reads_hangul", True):
        return None

    def similarity(texts: list[str]) -> list[float]:
        import numpy as np

        question_vector = np.asarray(embeddings.embed_query(question), dtype=np.float32)
        # small batches: MiniLM embeds them in numpy, so no torch import at question time
        vectors = [vector for start in range(0, len(texts), SIMILARITY_BATCH)
                   for vector in embeddings.embed_documents(texts[start:start + SIMILARITY_BATCH])]
        return (np.asarray(vectors, dtype=np.float32) @ question_vector).tolist()

    return similarity


def rank_sentences(question: str, docs: list[Document], index: KeywordIndex | None,
                   similarity: Similarity | None = None,
                   weights: EvidenceWeights = EVIDENCE_WEIGHTS) -> list[Sentence]:
    """Every sentence of `docs`, best evidence first; `similarity` gives their dense
    cosines with the question."""
    korean = index.korean if index is not None else "bigram"
    if index is not None:
        token_weights = index.token_weights(question)
    else:
        token_weights = dict.fromkeys(keyword_tokens(question, korean), 1.0)
    cue = expected_answer(question)
    lexical = []
    for rank, doc in enumerate(docs):
        for text in evidence_sentences(doc.page_content):
            coverage = idf_coverage(token_weights, text, korean)
            score = coverage + weights.rank / (1 + rank)
            if cue is not None and holds(cue, text, question):
                score += weights.cue
            if sentence_clash(question, text) is not None:
                score -= weights.clash
            lexical.append(Sentence(text, rank, coverage, score))
    lexical.sort(key=lambda s: s.score, reverse=True)
    if similarity is None or not lexical or not weights.dense:
        return lexical
    embedded = lexical[:weights.dense_candidates]
    cosines = similarity([s.text for s in embedded])
    rescored = [replace(s, score=s.score + weights.dense * cosine, cosine=cosine)
                for s, cosine in zip(embedded, cosines, strict=True)]
    return sorted(rescored, key=lambda s: s.score, reverse=True) + lexical[len(embedded):]


def holds(cue: re.Pattern[str], text: str, question: str) -> bool:
    """Whether `text` holds the kind of answer `cue` finds (a name: one not in the question)."""
    if cue is CAPITALISED:
        asked = set(CAPITALISED.findall(question))
        return any(word not in asked for word in CAPITALISED.findall(text))
    return bool(cue.search(text))


# the first evidence sentence must hold this share of the question's IDF weight, or nothing
# in the documents answers it and docent refuses. Measured on the tuning halves with
# questions of articles taken out of the corpus (bench/evidence.py, docs/benchmarks.md):
# SQuAD, 300 + 100 questions: at 0.3 / 0.4 / 0.5, 3 / 7 / 17 % of answerable questions
# refused against 62 / 80 / 94 % of unanswerable ones (on the English gate's 100 + 30,
# 0.4 refused 14 % of answerable ones: 0.3 keeps false refusals under 5 %); KorQuAD
# (bigram tokens are stricter), 200 + 50: at 0.3, 2 % against 92 %.
MIN_EVIDENCE_COVERAGE = {"en": 0.3, "ko": 0.3}
# sentences the model reads
EVIDENCE_SENTENCES = 2


def ranking_similarity(question: str, similarity: Similarity | None) -> Similarity | None:
    """The dense score that ranks evidence sentences: the scorer's cosine, none for a Korean
    question. e5 reads Korean, but its cosine did not pick better Korean evidence than the
    words alone (KorQuAD tuning half, 300 questions a seed, seeds 1/2, first sentence
    0.847/0.833 without; with e5 at 0.5: 0.837/0.833, at 4.0: 0.830/0.833)."""
    return None if mostly_hangul(question) else similarity


def evidence_for(question: str, docs: list[Document], index: KeywordIndex | None,
                 similarity: Similarity | None = None, min_cosine: float | None = None
                 ) -> list[Sentence]:
    """The best evidence sentences, or none when even the best covers too little of the
    question, or is too far from it by `similarity` (`min_cosine`, the floor of its model,
    raised by `cosine_margin`; for a Korean question, whose ranking has no dense score, the
    first sentence alone is embedded for it)."""
    ranked = rank_sentences(question, docs, index, ranking_similarity(question, similarity))
    floor = MIN_EVIDENCE_COVERAGE["ko" if mostly_hangul(question) else "en"]
    if ranked and ranked[0].coverage < floor:
        # a sentence of another group or currency, ranked down, is still the evidence when
        # no other one answers: it is quoted, saying so ("the menu is in won")
        other = [s for s in ranked if s.coverage >= floor and sentence_clash(question, s.text)]
        ranked = other + [s for s in ranked if s not in other]
    if not ranked or ranked[0].coverage < floor:
        return []
    if min_cosine is not None and similarity is not None:
        cosine = ranked[0].cosine
        if cosine is None:
            cosine = similarity([ranked[0].text])[0]
        if cosine < min_cosine + cosine_margin(question, ranked[0].coverage):
            return []
    return ranked[:EVIDENCE_SENTENCES]


def cosine_margin(question: str, coverage: float) -> float:
    """How far above the cosine floor a first sentence must be: further for an English one
    holding under half the question's weight (core/tuning.EVIDENCE_PARTIAL_MARGIN)."""
    if mostly_hangul(question) or coverage >= EVIDENCE_PARTIAL_COVERAGE:
        return 0.0
    return EVIDENCE_PARTIAL_MARGIN


def chosen_evidence(resources: Resources, question: str, docs: list[Document]
                    ) -> list[Sentence]:
    """The evidence `find_evidence` chooses with the run's resources: their keyword index,
    the evidence model's cosines and its floor."""
    return evidence_for(question, docs, resources.keyword_index(),
                        cosine_similarity(resources.evidence_embeddings(), question),
                        resources.evidence_cosine_floor())
