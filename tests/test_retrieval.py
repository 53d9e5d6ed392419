"""Hybrid retrieval over the sample store: fusion, filters on both retrievers, search
types, relevance filtering with MMR, and refusal of off-topic Korean questions."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.documents import Document

from graphs.context import Context
from graphs.retrieval import convex_fusion, reciprocal_rank_fusion
from tests.helpers import retrieve_and_select


def _doc(ident: str, **metadata: float) -> Document:
    return Document(page_content=ident, id=ident, metadata=dict(metadata))


def test_rrf_rewards_agreement_and_honours_weights() -> None:
    dense = [_doc("a", dense_score=0.9), _doc("b", dense_score=0.8)]
    keyword = [_doc("b", keyword_score=7.0), _doc("c", keyword_score=3.0)]
    fused = reciprocal_rank_fusion([(1.0, dense), (1.0, keyword)], k=60)
    assert [d.id for d in fused] == ["b", "a", "c"]
    assert fused[0].metadata == pytest.approx(
        {"dense_score": 0.8, "keyword_score": 7.0, "fused_score": 1 / 62 + 1 / 61})
    keyword_heavy = reciprocal_rank_fusion(
        [(1.0, [_doc("a"), _doc("b")]), (5.0, [_doc("c"), _doc("b")])], k=60)
    assert [d.id for d in keyword_heavy] == ["b", "c", "a"]


def test_on_a_database_server_the_two_rankings_run_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each ranking waits for the other to start: run one after the other, the first
    would wait out the barrier and fail."""
    import threading
    from types import SimpleNamespace

    from core.settings import Settings
    from graphs import retrieval
    from graphs.options import resolve

    both = threading.Barrier(2, timeout=20)

    def dense(store: object, question: str, opts: object) -> list[Document]:
        both.wait()
        return [_doc("a", dense_score=0.9)]

    def keyword(store: object, index: object, question: str, opts: object) -> list[Document]:
        both.wait()
        return [_doc("b", keyword_score=3.0)]

    monkeypatch.setattr(retrieval, "dense_ranking", dense)
    monkeypatch.setattr(retrieval, "keyword_ranking", keyword)
    opts = resolve(Settings(), Context())
    store = SimpleNamespace(searched_by_a_server=True)
    found = retrieval.hybrid_search(store, object(), "roast", opts)  # type: ignore[arg-type]
    assert {d.id for d in found} == {"a", "b"}


def test_convex_fusion_uses_score_margins() -> None:
    dense = [_doc("a", dense_score=0.50), _doc("b", dense_score=0.49), _doc("c", dense_score=0.1)]
    keyword = [_doc("b", keyword_score=20.0), _doc("a", keyword_score=2.0),
               _doc("c", keyword_score=1.0)]
    fused = convex_fusion([(1.0, "dense_score", dense), (1.0, "keyword_score", keyword)])
    assert [d.id for d in fused] == ["b", "a", "c"]  # RRF would tie a and b
    assert fused[0].metadata["fused_score"] == pytest.approx(1 + 0.39 / 0.4)


@pytest.mark.slow
def test_korean_question_finds_the_korean_guide_through_bm25(sample_env: Path) -> None:
    _, kept, mode = retrieve_and_select("개인 텀블러를 가져오면 얼마를 할인해 주나요?", Context())
    assert Path(kept[0].metadata["source"]).name == "store-guide-ko.md"
    assert kept[0].metadata["keyword_score"] > 0 and kept[0].metadata["keyword_coverage"] > 0.3
    assert mode.startswith("relevance filter (dense + keyword coverage)")
    bm25_only = retrieve_and_select("개인 텀블러를 가져오면 얼마를 할인해 주나요?",
                                     Context(dense_weight=0.0))[0]
    assert all("dense_score" not in d.metadata for d in bm25_only)


@pytest.mark.slow
def test_metadata_filter_applies_to_bm25_hits_too(sample_env: Path) -> None:
    from core.resources import default_resources

    stored = default_resources().store().vectorstore.get(include=["metadatas"])
    menu_source = next(m["source"] for m in stored["metadatas"] if m["source"].endswith("menu.csv"))
    for search_type in ("similarity", "mmr", "similarity_score_threshold"):
        ctx = Context(filter={"source": menu_source}, search_type=search_type)  # type: ignore[arg-type]
        candidates, _, _ = retrieve_and_select("텀블러 할인 cafe latte", ctx)
        assert candidates, search_type
        assert {d.metadata["source"] for d in candidates} == {menu_source}, search_type
    keyword_only = retrieve_and_select("텀블러 할인", Context(
        filter={"source": menu_source}, dense_weight=0.0))[0]
    assert all(d.metadata["source"] == menu_source for d in keyword_only)


def test_mmr_pushes_a_duplicate_below_distinct_passages() -> None:
    from core.tuning import TUNING
    from graphs.selection import mmr_deduplicate

    same = "Full-time employees get 18 days of paid annual leave."
    others = ["Cold brew steeps for 16 to 18 hours.", "The drum roaster holds 12 kilograms.",
              "A cafe latte costs 4,800 won.", "Beans are roasted on Tuesday and Friday.",
              "Pour-over water should be 92 to 94 degrees.", "Sick days: ten per year.",
              "The store opens at 7 on weekdays.", "Bring a tumbler for a 300 won discount."]
    docs = [_doc(same), Document(page_content=same, id="copy"), *map(_doc, others)]
    lambda_mult = TUNING.mmr_lambda
    picked = mmr_deduplicate(docs, k=2, lambda_mult=lambda_mult)
    assert [d.page_content for d in picked] == [same, others[0]]
    everything = mmr_deduplicate(docs, k=len(docs), lambda_mult=lambda_mult)
    assert sorted(d.id or "" for d in everything) == sorted(d.id or "" for d in docs)


@pytest.mark.slow
@pytest.mark.parametrize("question", ["몽골의 수도는 어디인가요?", "대한민국 대통령은 누구인가요?",
                                      "파이썬에서 리스트를 정렬하는 방법은?"])
def test_off_topic_korean_question_is_refused_without_calling_the_model(
        sample_env: Path, question: str) -> None:
    from graphs.graph import graph

    updates = list(graph.stream({"question": question}, context=Context(),
                                stream_mode="updates"))
    assert [next(iter(u)) for u in updates] == ["retrieve", "select", "refuse"]
    assert updates[1]["select"]["selection_mode"].startswith("relevance filter")
