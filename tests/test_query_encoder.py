"""The numpy query encoder (core.minilm_numpy) against sentence-transformers' MiniLM."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT

LONG = " ".join(
    f"Section {i}: full-time employees receive eighteen days of paid annual leave, and "
    "part-time staff accrue leave pro rata according to their contracted hours."
    for i in range(20)
)  # far over 256 word pieces: exercises truncation

TEXTS = [
    "How many days of leave?",
    "What is the refund policy for damaged items?",
    "Who approves expense reports over $500?",
    "How do I reset my password if I lost access to my email account?",
    "Explain the difference between TCP and UDP.",
    LONG,
    "개인 텀블러를 가져오면 300원을 할인해 드립니다.",
    "연차 휴가는 며칠인가요?",
    "?",
    "",
    "   ",
    "!!! ... ??? ;;; --- (((",
    "Café naïve résumé — déjà vu, Ångström, Straße.",
    "mixed 한국어 and English: 휴가 policy 2024",
    "C++ vs. Rust: `unsafe {}` blocks & memory-safety (RAII)",
    "apt-get install -y python3-venv && pip install --upgrade pip",
    "日本語のテキストと中文文本",
    "emoji 🙂 and symbols © ® ™ €",
    "a",
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
    "line one\nline two\ttabbed\r\nline three",
]


@pytest.fixture(scope="module")
def minilm() -> tuple[Path, Any]:
    """The packaged MiniLM's folder and its sentence-transformers model."""
    from sentence_transformers import SentenceTransformer

    from core.model_files import packaged_minilm_dir

    folder = packaged_minilm_dir()
    return folder, SentenceTransformer(str(folder), device="cpu")


@pytest.mark.slow
def test_numpy_vectors_match_sentence_transformers(minilm: tuple[Path, Any]) -> None:
    import numpy as np

    from core.minilm_numpy import NumpyBertEncoder

    folder, model = minilm
    expected = model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    encoder = NumpyBertEncoder(folder)
    got = encoder.encode(TEXTS)
    assert got.dtype == np.float32
    assert got.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosine = (got * expected).sum(axis=1)
    assert cosine.min() > 0.99999, dict(zip(TEXTS, cosine.tolist(), strict=True))
    assert np.abs(got - expected).max() < 1e-4
    # one at a time (no padding) gives the same vectors as the padded batch
    assert np.abs(encoder.encode([LONG]) - expected[TEXTS.index(LONG)]).max() < 1e-4
    # the same ids as the transformers tokenizer called the way sentence-transformers calls it
    hf = model.tokenizer(TEXTS, padding=True, truncation="longest_first", max_length=256)
    ours = encoder.tokenizer.encode_batch(TEXTS)
    assert [e.ids for e in ours] == [list(ids) for ids in hf["input_ids"]]
    assert len(ours[TEXTS.index(LONG)].ids) == 256
    for text in TEXTS:
        if text != LONG:
            assert encoder.tokenize(text) == model.tokenizer.tokenize(text), text


@pytest.mark.slow
def test_ingest_batches_by_token_count_keep_the_vectors_and_their_order(
        minilm: tuple[Path, Any]) -> None:
    import numpy as np

    from core.embeddings import NUMPY_BATCH, SentenceTransformerEmbeddings

    folder, model = minilm
    texts = [f"{text} ({i})" for i in range(4) for text in TEXTS]  # over NUMPY_BATCH
    assert len(texts) > NUMPY_BATCH
    expected = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    for bfloat16 in (False, True):
        embeddings = SentenceTransformerEmbeddings(str(folder), batch_size=2)  # many batches
        embeddings.__dict__["model"] = model  # the loaded model, not a second load
        embeddings.__dict__["bfloat16"] = bfloat16  # both paths, whatever this CPU has
        got = np.array(embeddings.embed_documents(texts))
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
        if bfloat16:  # nearly the same vector, row by row
            assert (got * expected).sum(axis=1).min() > 0.9999
        else:
            assert np.abs(got - expected).max() < 1e-5


def test_query_embedding_imports_no_torch() -> None:
    probe = (
        "import json, sys\n"
        "from core.embeddings import load_embeddings\n"
        "e = load_embeddings('packaged:all-MiniLM-L6-v2', 64)\n"
        "v = e.embed_query('How many days of leave?')\n"
        "hangul = e.reads_hangul\n"
        "heavy = sorted(m for m in ('torch', 'sentence_transformers', 'transformers')"
        " if m in sys.modules)\n"
        "print(json.dumps({'heavy': heavy, 'size': len(v), 'hangul': hangul,"
        " 'norm': sum(x * x for x in v)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["heavy"] == []
    assert result["size"] == 384
    assert result["hangul"] is False
    assert result["norm"] == pytest.approx(1.0, abs=1e-5)


def test_other_models_fall_back_to_sentence_transformers(tmp_path: Path) -> None:
    from core.embeddings import SentenceTransformerEmbeddings
    from core.model_files import packaged_minilm_dir

    def encoder_for(name: str) -> object:
        return SentenceTransformerEmbeddings(name).query_encoder

    assert encoder_for(str(packaged_minilm_dir())) is not None
    assert encoder_for("sentence-transformers/all-MiniLM-L6-v2") is None  # a hub name
    assert encoder_for(str(tmp_path)) is None  # an empty folder
    # the same files but CLS pooling: the numpy encoder would give other vectors
    for name in ("config.json", "modules.json", "model.safetensors", "tokenizer.json"):
        (tmp_path / name).symlink_to(packaged_minilm_dir() / name)
    (tmp_path / "1_Pooling").mkdir()
    pooling = json.loads((packaged_minilm_dir() / "1_Pooling/config.json").read_text())
    (tmp_path / "1_Pooling/config.json").write_text(json.dumps(
        {**pooling, "pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}))
    assert encoder_for(str(tmp_path)) is None
    (tmp_path / "1_Pooling/config.json").write_text(json.dumps(pooling))
    assert encoder_for(str(tmp_path)) is not None
