"""The model that scores evidence sentences at question time: e5 for questions not in
Korean (its cosine decides among the lexically best), none for Korean ones."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from core.embeddings import MultilingualE5Embeddings, load_embeddings
from core.resources import Resources
from core.settings import Settings
from core.tuning import EVIDENCE_MODEL, TUNING
from graphs.evidence import cosine_similarity, evidence_for, rank_sentences, ranking_similarity
from tests.fakes import HashingEmbeddings


class PrefersMentionOf(Embeddings):
    """Cosine 0.85 with the question for texts that mention `word`, 0.75 for the rest: the
    narrow spread e5 gives candidate sentences."""

    reads_hangul = True

    def __init__(self, word: str) -> None:
        self.word = word

    def embed_query(self, text: str) -> list[float]:
        return [1.0, 0.0]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[0.85, 0.53] if self.word in text else [0.75, 0.66] for text in texts]


DOCS = [Document("The founder opened the first roastery in Busan in 1998. A second roastery "
                 "followed in Seoul, near the river.")]


def test_the_scorers_cosine_chooses_among_the_lexically_close_sentences() -> None:
    question = "Where did the founder open the second roastery?"
    assert rank_sentences(question, DOCS, None)[0].text.startswith("The founder opened")
    chosen = evidence_for(question, DOCS, None,
                          cosine_similarity(PrefersMentionOf("Seoul"), question))
    assert chosen[0].text == "A second roastery followed in Seoul, near the river."


def test_a_korean_question_gets_no_dense_score_even_from_a_model_that_reads_it() -> None:
    scorer = cosine_similarity(PrefersMentionOf("서울"), "로스터리는 서울에 언제 열었나요?")
    assert scorer is not None
    assert ranking_similarity("로스터리는 서울에 언제 열었나요?", scorer) is None
    similarity = ranking_similarity("When did it open in Seoul?", scorer)
    assert similarity is scorer
    assert similarity(["서울에서", "부산에서"]) == pytest.approx([0.85, 0.75])


def test_e5_scores_evidence_whatever_the_stores_model_and_fakes_replace_it() -> None:
    assert EVIDENCE_MODEL == "packaged:multilingual-e5-small"
    minilm_store = Resources(Settings(embedding_model="packaged:all-MiniLM-L6-v2"))
    assert isinstance(minilm_store.evidence_embeddings(), MultilingualE5Embeddings)
    e5_store = Resources(Settings(embedding_model=EVIDENCE_MODEL))
    # one model in the process when the store's is e5 too
    assert e5_store.evidence_embeddings() is e5_store.embeddings() is load_embeddings(
        EVIDENCE_MODEL, TUNING.embedding_batch)
    fake = HashingEmbeddings()
    assert Resources(Settings(), embeddings=fake).evidence_embeddings() is fake


def test_a_first_sentence_too_far_from_the_question_is_no_evidence() -> None:
    question = "Where did the founder open the second roastery?"
    similarity = cosine_similarity(PrefersMentionOf("Seoul"), question)
    best = evidence_for(question, DOCS, None, similarity)[0]
    assert best.cosine == pytest.approx(0.85)
    assert evidence_for(question, DOCS, None, similarity, min_cosine=0.84)
    assert evidence_for(question, DOCS, None, similarity, min_cosine=0.86) == []
    assert evidence_for(question, DOCS, None, None, min_cosine=0.86), "no scorer, no floor"


KOREAN_DOCS = [Document("창업자는 1998년 부산에 첫 로스터리를 열었습니다. 두 번째 로스터리는 "
                        "서울 강변에 열었습니다.")]


def test_a_korean_first_sentence_too_far_from_the_question_is_no_evidence() -> None:
    """Korean evidence is ranked by its words alone; the floor still reads the first
    sentence's cosine, embedding that sentence only."""
    question = "두 번째 로스터리는 어디에 열었나요?"
    embedded: list[list[str]] = []
    scorer = cosine_similarity(PrefersMentionOf("서울"), question)
    assert scorer is not None

    def recording(texts: list[str]) -> list[float]:
        embedded.append(texts)
        return scorer(texts)

    best = evidence_for(question, KOREAN_DOCS, None, recording)[0]
    assert best.cosine is None and embedded == [], "no dense score without a floor"
    assert evidence_for(question, KOREAN_DOCS, None, recording, min_cosine=0.84)
    assert embedded == [[best.text]]
    assert evidence_for(question, KOREAN_DOCS, None, recording, min_cosine=0.86) == []


def test_the_cosine_floor_is_e5s_and_injected_embeddings_have_none() -> None:
    from core.tuning import EVIDENCE_MIN_COSINE

    assert Resources(Settings()).evidence_cosine_floor() == EVIDENCE_MIN_COSINE
    assert Resources(Settings(), embeddings=HashingEmbeddings()).evidence_cosine_floor() is None
