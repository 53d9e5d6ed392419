"""Scale bench (issue #26, a start): the PostgreSQL index at N chunks, with synthetic vectors.

    .venv/bin/python bench/scale.py [--chunks 100000] [--sentences 3] [--queries 200]
                                    [--database-url URL]

Encoding 100k chunks would take hours on 2 cores, so the vectors are perturbed copies of
real ones: the SQuAD even articles' paragraphs are embedded once (MiniLM, sentence pieces
and their mean, as docent stores them; cached in DATA_DIR/scale), and synthetic chunk i
copies paragraph i mod n, its text and keyword tokens as they are, its vectors moved 30 %
of the way toward a random other paragraph's, plus Gaussian noise, at most `--sentences`
sentence vectors per chunk. Questions are real: the SQuAD tuning half's. Everything goes through
`PostgresBackend`, so this measures the code docent would run: loading (chunks/s), the
three searches of a question (sentence ANN, chunk ANN, pg_search BM25; p50/p95 each and
summed), the recall@20 of the sentence ANN against an exact scan, and the tables' size on
disk. Without --database-url a server is started in a temporary folder
(tests/postgres_server.py) and removed after.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.benchmarks import (  # noqa: E402
    article_half,
    load_jsonl_benchmark,
    load_squad_benchmark,
    sample,
)
from core.index.backend import Chunk, Sentence, best_per_chunk  # noqa: E402
from core.index.postgres.backend import PostgresBackend, generation_tables  # noqa: E402
from core.index.sentences import dense_pieces  # noqa: E402
from core.index.tokens import keyword_tokens  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.tuning import TUNING  # noqa: E402
from tests import postgres_server  # noqa: E402

SHARED = ROOT.parent / "shared"
K = 20
BATCH = 500
COSINE_TO_ORIGINAL = 0.9
# a copy leans this far toward another random paragraph: plain noisy copies formed tight
# clusters of ~94 near twins (sentence ANN recall@20 0.78, some questions 0, at 100k;
# mixed, 0.934)
MIX = 0.3


def real_vectors(texts: list[str]) -> tuple[Any, list[Any], Any]:
    """Chunk vectors (normalised mean of the pieces), each text's piece vectors, and the
    model (for the questions)."""
    import numpy as np

    from core.embeddings import embeddings_from
    from ingest.embedding_cache import cached_embeddings

    settings = Settings()
    settings = settings.model_copy(update={"data_dir": settings.data_dir / "scale"})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    model = embeddings_from(settings)
    pieces = [dense_pieces(text, True) or [text] for text in texts]
    flat = np.asarray(cached_embeddings(settings, model).embed_documents(
        [p for group in pieces for p in group]))
    chunk_vectors, sentence_vectors, start = [], [], 0
    for group in pieces:
        block = flat[start:start + len(group)]
        start += len(group)
        mean = block.mean(axis=0)
        chunk_vectors.append(mean / np.linalg.norm(mean))
        sentence_vectors.append(block)
    return np.asarray(chunk_vectors), sentence_vectors, model


def perturbed(vectors: Any, toward: Any, rng: Any) -> Any:
    """Unit vectors between `vectors` (rows) and `toward` (MIX of the way), plus noise
    that alone would leave a cosine of COSINE_TO_ORIGINAL."""
    import numpy as np

    dims = vectors.shape[-1]
    sigma = ((1 / COSINE_TO_ORIGINAL**2 - 1) / dims) ** 0.5
    noisy = (1 - MIX) * vectors + MIX * toward + rng.normal(0, sigma, vectors.shape)
    return noisy / np.linalg.norm(noisy, axis=-1, keepdims=True)


def load(backend: PostgresBackend, generation: str, texts: list[str], chunk_vectors: Any,
         sentence_vectors: list[Any], n: int, per_chunk: int) -> float:
    """Write n synthetic chunks; return the seconds it took."""
    import numpy as np

    rng = np.random.default_rng(1)
    tokens = [keyword_tokens(text, TUNING.keyword_korean) for text in texts]
    started = time.perf_counter()
    for first in range(0, n, BATCH):
        ids = range(first, min(first + BATCH, n))
        bases = [i % len(texts) for i in ids]
        others = rng.integers(0, len(texts), len(bases))
        vectors = perturbed(chunk_vectors[bases], chunk_vectors[others], rng)
        chunks, sentences = [], []
        for i, base, other, vector in zip(ids, bases, others, vectors, strict=True):
            chunk_id = f"s{i:07d}"
            chunks.append(Chunk(chunk_id, texts[base], vector.tolist(), tokens[base],
                                {"source": f"synthetic-{i // 100:05d}.txt"}))
            own = perturbed(sentence_vectors[base][:per_chunk], chunk_vectors[other], rng)
            sentences += [Sentence(chunk_id, number, v.tolist()) for number, v in enumerate(own)]
        backend.add_chunks(generation, chunks, sentences)
        if first // BATCH % 20 == 0:
            done = first + len(ids)
            print(f"  {done} chunks, {done / (time.perf_counter() - started):.0f}/s",
                  file=sys.stderr)
    return time.perf_counter() - started


def exact_sentences(backend: PostgresBackend, generation: str, vector: list[float], k: int
                    ) -> list[tuple[str, float]]:
    """The sentence ranking by a full scan (no index): what the ANN should find."""
    from pgvector import HalfVector
    from psycopg import sql

    _, sentences = generation_tables(generation)
    db = backend._db()
    with db.transaction():
        db.execute("SELECT set_config('enable_indexscan', 'off', true)")
        rows = db.execute(sql.SQL("SELECT chunk_id, 1 - (embedding <=> %s) FROM {} "
                                  "ORDER BY embedding <=> %s LIMIT %s").format(
            sql.Identifier(sentences)), (HalfVector(vector), HalfVector(vector), k * 5)
        ).fetchall()
    return best_per_chunk(((str(r[0]), float(r[1])) for r in rows), k)


def keyword_quality(url: str, limit: int) -> None:
    """MRR@10 of BM25 alone, pg_search against bm25s over the same tokens (the index the
    embedded store builds), on the tuning halves; each paragraph is one chunk."""
    korquad = SHARED / "eval" / "korquad" / "KorQuAD_v1.0_dev.json"
    squad = SHARED / "eval" / "squad-dev-even"
    benchmarks = [("SQuAD", load_jsonl_benchmark(squad / "corpus.jsonl",
                                                 squad / "queries.jsonl")),
                  ("KorQuAD", load_squad_benchmark(korquad, "even"))]
    print("| set | questions | chunks | bm25s MRR@10 | pg_search MRR@10 | same top 10 |\n"
          "|---|---|---|---|---|---|")
    for name, bench in benchmarks:
        tuning = sample(article_half(bench, "tuning"), limit, None, seed=1)
        backend = PostgresBackend(url, f"quality-{name.lower()}-{os.getpid()}")
        generation = backend.collection
        backend.create_generation(generation, 1)
        try:
            for first in range(0, len(tuning.passages), BATCH):
                backend.add_chunks(generation, [
                    Chunk(p.id, p.text, [1.0], keyword_tokens(p.text, TUNING.keyword_korean))
                    for p in tuning.passages[first:first + BATCH]], [])
            index = backend.keyword_index(generation)
            assert index is not None
            reciprocal: dict[str, list[float]] = {"bm25s": [], "pg_search": []}
            same = 0
            for query in tuning.queries:
                rankings = {"bm25s": [i for i, _ in index.search(query.question, 10)],
                            "pg_search": [i for i, _ in backend.keyword_search(
                                generation, query.question, 10)]}
                same += rankings["bm25s"] == rankings["pg_search"]
                for engine, ids in rankings.items():
                    ranks = [r for r, i in enumerate(ids, 1) if i in query.relevant_ids]
                    reciprocal[engine].append(1 / ranks[0] if ranks else 0.0)
            print(f"| {name} tuning | {len(tuning.queries)} | {len(tuning.passages)} | "
                  f"{statistics.mean(reciprocal['bm25s']):.4f} | "
                  f"{statistics.mean(reciprocal['pg_search']):.4f} | "
                  f"{same / len(tuning.queries):.3f} |")
        finally:
            backend.drop_generation(generation)
            backend.close()


def percentiles(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=20)
    return f"{statistics.median(values):.1f} / {cuts[18]:.1f}"


def disk(backend: PostgresBackend, generation: str) -> list[tuple[str, int]]:
    """Bytes on disk of each table (heap, TOAST) and each of its indexes."""
    sizes = []
    for table in generation_tables(generation):
        row = backend._db().execute("SELECT pg_table_size(%s::regclass)", (table,)).fetchone()
        sizes.append((table.rsplit("_", 1)[-1] + " table", int(row[0]) if row else 0))
        for name, size in backend._db().execute(
                "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) "
                "FROM pg_index WHERE indrelid = %s::regclass", (table,)):
            sizes.append((f"  index {name.rsplit('_', 1)[-1]}", int(size)))
    return sizes


def scale(url: str, args: argparse.Namespace) -> None:
    """Load `args.chunks` synthetic chunks, time the searches, print the tables."""
    from psycopg import sql

    squad = SHARED / "eval" / "squad-dev-even"
    bench = load_jsonl_benchmark(squad / "corpus.jsonl", squad / "queries.jsonl")
    texts = [p.text for p in bench.passages]
    questions = [q.question for q in
                 sample(article_half(bench, "tuning"), args.queries, None, seed=1).queries]
    backend = PostgresBackend(url, f"scale-{os.getpid()}")
    generation = backend.collection
    try:
        started = time.perf_counter()
        chunk_vectors, sentence_vectors, model = real_vectors(texts)
        print(f"embedded {len(texts)} paragraphs in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
        backend.create_generation(generation, int(chunk_vectors.shape[1]))
        seconds = load(backend, generation, texts, chunk_vectors, sentence_vectors,
                       args.chunks, args.sentences)
        sentences = backend._db().execute(sql.SQL("SELECT count(*) FROM {}").format(
            sql.Identifier(generation_tables(generation)[1]))).fetchone()
        vectors = [model.embed_query(q) for q in questions]

        timings: dict[str, list[float]] = {"sentence ANN": [], "chunk ANN": [],
                                           "BM25 (pg_search)": [],
                                           "retrieve (sum of the three)": []}
        for question, vector in zip(questions, vectors, strict=True):
            spent = []
            searches: list[tuple[Callable[..., Any], Any]] = [
                (backend.dense_sentences, vector), (backend.dense_chunks, vector),
                (backend.keyword_search, question)]
            for search, probe in searches:
                begin = time.perf_counter()
                search(generation, probe, K)
                spent.append((time.perf_counter() - begin) * 1000)
            for name, ms in zip(timings, [*spent, sum(spent)], strict=True):
                timings[name].append(ms)

        # the same searches through bm25s built from the tokens column (no pg_search)
        replica = PostgresBackend(url, generation, use_pg_search=False)
        begin = time.perf_counter()
        replica.keyword_index(generation)
        bm25s_build = time.perf_counter() - begin
        timings["BM25 (bm25s fallback)"] = []
        for question in questions:
            begin = time.perf_counter()
            replica.keyword_search(generation, question, K)
            timings["BM25 (bm25s fallback)"].append((time.perf_counter() - begin) * 1000)
        replica.close()

        # each paragraph has about n / len(texts) near copies, whose scores nearly tie: the
        # ANN may return other copies than the exact scan, so paragraphs are counted too
        recalls: dict[str, list[float]] = {"chunk ids": [], "paragraphs (any copy)": []}
        for vector in vectors[:args.recall_queries]:
            exact = [i for i, _ in exact_sentences(backend, generation, vector, K)]
            found = [i for i, _ in backend.dense_sentences(generation, vector, K)]
            for name, key in (("chunk ids", str), ("paragraphs (any copy)",
                                                   lambda i: int(i[1:]) % len(texts))):
                wanted = {key(i) for i in exact}
                recalls[name].append(len(wanted & {key(i) for i in found}) / max(len(wanted), 1))

        print(f"| chunks | sentence vectors | load s | chunks/s |\n|---|---|---|---|\n"
              f"| {args.chunks} | {sentences[0] if sentences else 0} | {seconds:.0f} | "
              f"{args.chunks / seconds:.0f} |")
        print("\n| search (k=20) | p50 / p95 ms |\n|---|---|")
        for name, values in timings.items():
            print(f"| {name} | {percentiles(values)} |")
        print(f"\nbm25s index built from the tokens column in {bm25s_build:.1f} s")
        print(f"\n| sentence ANN recall@{K} against an exact scan | mean | min |\n|---|---|---|")
        for name, values in recalls.items():
            print(f"| {name} | {statistics.mean(values):.3f} | {min(values):.2f} |")
        print("\n| relation | MB |\n|---|---|")
        for name, size in disk(backend, generation):
            print(f"| {name} | {size / 2**20:.0f} |")
    finally:
        backend.drop_generation(generation)
        backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--sentences", type=int, default=3,
                        help="sentence vectors per chunk, at most (real: about 10)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--recall-queries", type=int, default=50)
    parser.add_argument("--database-url", default=os.environ.get("DOCENT_DATABASE_URL"))
    parser.add_argument("--keyword-quality", type=int, metavar="QUESTIONS", default=0,
                        help="instead: BM25 MRR@10, pg_search against bm25s, on this many "
                        "questions of each tuning half")
    args = parser.parse_args()
    if not (SHARED / "eval").is_dir():
        sys.exit(f"bench: {SHARED / 'eval'} is missing (see ../shared/README.md)")
    folder = None
    url = args.database_url
    if not url:
        folder = Path(tempfile.mkdtemp(prefix="docent-scale-"))
        url = postgres_server.start(folder)
    print(f"load average at start: {os.getloadavg()}", file=sys.stderr)
    try:
        if args.keyword_quality:
            keyword_quality(url, args.keyword_quality)
        else:
            scale(url, args)
        print(f"\nload average at end: {os.getloadavg()}")
    finally:
        if folder is not None:
            postgres_server.stop(folder)
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
