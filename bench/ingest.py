"""Ingest throughput against its ceiling, in one run, on ../shared/docs (or the given folder).

Prints the time of the full pipeline (discover, load, split, embed, Chroma, records, BM25,
sentence vectors) and of the bare encoder on the same chunk texts (the textbook pipeline's
work): `SentenceTransformer.encode` for MiniLM, in float32 as it runs by default and, where
docent's ingest uses it (a CPU with native bfloat16), under the same bfloat16 autocast; the
engine's own batches for `DOCENT_EMBEDDING_MODEL=packaged:multilingual-e5-small`. Then the
pipeline's ratio to each, and the time of a second, unchanged ingest as a ratio to the
first. The model is loaded before any timing.

    python bench/ingest.py [FOLDER] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.embeddings import SentenceTransformerEmbeddings  # noqa: E402


def bare_encode(model: Any, texts: list[str], batch_size: int, *, bfloat16: bool = False
                ) -> float:
    """Seconds the bare encoder takes for the texts, nothing else: `SentenceTransformer.encode`
    (MiniLM, optionally under bfloat16 autocast), or the packaged engine's own batches
    (`DOCENT_EMBEDDING_MODEL` e5 or USE)."""
    import torch

    started = time.perf_counter()
    if isinstance(model, SentenceTransformerEmbeddings):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
            model.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                               convert_to_numpy=True)
    else:
        model.embed_documents(texts)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT.parent / "shared" / "docs")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if not args.folder.is_dir():
        print(f"bench: {args.folder} not found (the real documents live in ../shared/docs)",
              file=sys.stderr)
        return 2

    from core.embeddings import embeddings_from
    from core.index.sentences import dense_pieces, reads_hangul
    from core.index.store import open_store
    from core.settings import Settings
    from core.tuning import TUNING
    from ingest.pipeline import ingest_paths

    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(_env_file=None, data_dir=Path(scratch) / "data")
        model = embeddings_from(settings)
        model.embed_documents(["warm-up"])

        started = time.perf_counter()
        first = ingest_paths([args.folder], settings)
        pipeline_s = time.perf_counter() - started

        started = time.perf_counter()
        second = ingest_paths([args.folder], settings)
        rerun_s = time.perf_counter() - started
        assert second.added == 0 and second.skipped == first.chunks, second.table()

        texts = open_store(settings, model).vectorstore.get(include=["documents"])["documents"]
        hangul = reads_hangul(model)
        pieces = [piece for text in texts for piece in dense_pieces(text, hangul)]
        bare_s = bare_encode(model, texts, TUNING.embedding_batch)
        bfloat16 = bool(getattr(model, "bfloat16", False))
        bare_bf16_s = (bare_encode(model, texts, TUNING.embedding_batch, bfloat16=True)
                       if bfloat16 else None)

    figures = {
        "folder": str(args.folder), "model": settings.embedding_model,
        "files": first.files_loaded, "failed": len(first.failed),
        "chunks": first.chunks, "pipeline_s": round(pipeline_s, 1),
        "pipeline_chunks_per_s": round(first.chunks / pipeline_s, 1),
        "bare_encode_chunk_texts_s": round(bare_s, 1),
        "pipeline_vs_bare_chunk_texts": round(bare_s / pipeline_s, 2),
        "ingest_bfloat16": bfloat16,
        **({"bare_encode_chunk_texts_bf16_s": round(bare_bf16_s, 1),
            "pipeline_vs_bare_chunk_texts_bf16": round(bare_bf16_s / pipeline_s, 2)}
           if bare_bf16_s is not None else {}),
        "sentence_pieces": len(pieces),
        "unchanged_rerun_s": round(rerun_s, 2),
        "first_vs_rerun": round(pipeline_s / rerun_s, 1),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        width = max(map(len, figures))
        print("\n".join(f"{name:<{width}}  {value}" for name, value in figures.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
