"""Scale bench (issue #26): the PostgreSQL index at N chunks, with synthetic vectors.

    .venv/bin/python bench/scale.py [--chunks 100000] [--layouts chunk-ann|all]
                                    [--queries 200] [--recall-queries 50] [--database-url URL]
                                    [--keep | --reuse GENERATION]
    .venv/bin/python bench/scale.py --embedded [--chunks 100000]
    .venv/bin/python bench/scale.py --keyword-segments [--chunks 100000]
    .venv/bin/python bench/scale.py --real-candidates

Encoding 100k chunks would take hours on 2 cores, so the vectors are perturbed copies of
real ones: the SQuAD even articles' paragraphs are embedded once (MiniLM, sentence pieces
and their mean, as docent stores them; cached in DATA_DIR/scale), and synthetic chunk i
copies paragraph i mod n, its text and keyword tokens as they are, each of its sentence
vectors moved 30 % of the way toward a random other paragraph's and noised, its chunk
vector their mean. Questions are real: the SQuAD tuning half's. The chunks are COPYed into
a generation made by `PostgresBackend`, whose indexes are then built once; the searches go
through `PostgresBackend`, so this times the code docent runs: a question's retrieve
(sentence search, BM25, fetching what they found; p50/p95 each and together) and chunk ANN,
the sentence search's recall@20 against an exact ranking (numpy), the tables' size on disk
and the server's memory. `--layouts` compares sentence search layouts on the same data;
`--embedded` runs the same chunks on Chroma + bm25s. Without --database-url a server is
started in a temporary folder (tests/postgres_server.py) and removed after.
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
from functools import partial
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
from core.index.backend import Chunk, best_per_chunk  # noqa: E402
from core.index.postgres.backend import (  # noqa: E402
    PostgresBackend,
    chunk_table_name,
    pack_sentences,
)
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


class Synthetic:
    """n synthetic chunks: chunk i copies paragraph i mod len(texts) (text, tokens), its
    sentence vectors each moved MIX of the way toward another random paragraph's chunk
    vector and noised; its own vector is the normalised mean of those, as docent makes it.
    Vectors are float16 (what halfvec stores), sentences one row per vector in chunk order."""

    def __init__(self, texts: list[str], chunk_vectors: Any, sentence_vectors: list[Any],
                 n: int, per_chunk: int | None) -> None:
        import numpy as np

        rng = np.random.default_rng(1)
        self.texts, self.n = texts, n
        self.tokens = [" ".join(keyword_tokens(t, TUNING.keyword_korean)) for t in texts]
        pieces = [v[:per_chunk] for v in sentence_vectors]
        counts = np.asarray([len(v) for v in pieces])
        offsets = np.concatenate([[0], np.cumsum(counts)])
        flat = np.concatenate(pieces)
        bases = np.arange(n) % len(texts)
        self.starts = np.concatenate([[0], np.cumsum(counts[bases])])
        dims = chunk_vectors.shape[1]
        self.chunks = np.empty((n, dims), dtype=np.float16)
        self.sentences = np.empty((int(self.starts[-1]), dims), dtype=np.float16)
        for first in range(0, n, 10_000):
            ids = np.arange(first, min(first + 10_000, n))
            owners = np.repeat(ids, counts[bases[ids]])  # the chunk of each sentence row
            within = np.arange(len(owners)) - np.repeat(self.starts[ids] - self.starts[first],
                                                        counts[bases[ids]])
            others = rng.integers(0, len(texts), len(ids))
            own = perturbed(flat[offsets[bases[owners]] + within],
                            chunk_vectors[others[owners - first]], rng)
            self.sentences[self.starts[first]:self.starts[ids[-1] + 1]] = own
            means = np.add.reduceat(own, self.starts[ids] - self.starts[first])
            self.chunks[ids] = means / np.linalg.norm(means, axis=1, keepdims=True)

    @staticmethod
    def chunk_id(i: int) -> str:
        return f"s{i:07d}"

    def exact(self, vectors: list[Any], k: int) -> list[list[str]]:
        """For each vector, the k chunks of best sentence by cosine over every sentence
        vector (no index)."""
        import numpy as np

        probes = np.asarray(vectors, dtype=np.float16).astype(np.float32)
        probes /= np.linalg.norm(probes, axis=1, keepdims=True)
        scores = np.empty((len(self.sentences), len(probes)), dtype=np.float32)
        for first in range(0, len(scores), 250_000):
            block = self.sentences[first:first + 250_000].astype(np.float32)
            scores[first:first + len(block)] = (block @ probes.T) / np.linalg.norm(
                block, axis=1, keepdims=True)
        best = np.maximum.reduceat(scores, self.starts[:-1], axis=0)
        ranked = []
        for column in best.T:
            top = np.argpartition(-column, k)[:k]
            ranked.append([self.chunk_id(int(i)) for i in top[np.argsort(-column[top])]])
        return ranked


def bulk_load(backend: PostgresBackend, generation: str, data: Synthetic) -> tuple[float, float]:
    """COPY the chunks (their sentence vectors packed as docent packs them) into an
    index-less generation, then build its indexes (create_generation again); return
    (copy seconds, index seconds)."""
    from pgvector import HalfVector
    from psycopg import sql
    from psycopg.types.json import Jsonb

    backend.create_generation(generation, int(data.chunks.shape[1]))
    db = backend._db()
    table = chunk_table_name(generation)
    for (index,) in db.execute("SELECT indexrelid::regclass::text FROM pg_index WHERE "
                               "indrelid = %s::regclass AND NOT indisprimary", (table,)):
        db.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index)))
    started = time.perf_counter()
    with db.transaction(), db.cursor() as cursor, cursor.copy(sql.SQL(
            "COPY {} (id, text, metadata, tokens, embedding, sentences) FROM STDIN WITH "
            "(FORMAT BINARY)").format(sql.Identifier(table))) as copy:
        copy.set_types(["text", "text", "jsonb", "text", "halfvec", "bytea"])
        for i in range(data.n):
            base = i % len(data.texts)
            copy.write_row((data.chunk_id(i), data.texts[base],
                            Jsonb({"source": f"synthetic-{i // 100:05d}.txt"}),
                            data.tokens[base], HalfVector(data.chunks[i]),
                            pack_sentences(data.sentences[data.starts[i]:data.starts[i + 1]])))
    copied = time.perf_counter() - started
    db.execute("SET maintenance_work_mem = '4GB'")
    db.execute("SET max_parallel_maintenance_workers = 1")
    started = time.perf_counter()
    backend.create_generation(generation, int(data.chunks.shape[1]))
    db.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))
    return copied, time.perf_counter() - started


def timed(search: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """search(*args) and the milliseconds it took."""
    begin = time.perf_counter()
    found = search(*args)
    return found, (time.perf_counter() - begin) * 1000


def recall(found: list[str], exact: list[str], paragraphs: int = 0) -> float:
    """The share of `exact` in `found`; with `paragraphs`, of their paragraphs (chunk i
    copies paragraph i mod paragraphs): each paragraph has n / paragraphs noisy copies
    whose scores nearly tie, and which of them an index returns is partly the noise's."""
    if paragraphs:
        found, exact = ([str(int(i[1:]) % paragraphs) for i in ids] for ids in (found, exact))
    return len(set(found) & set(exact)) / max(len(set(exact)), 1)


def searches(backend: Any, generation: str, questions: list[str], vectors: list[Any],
             exact: list[list[str]], paragraphs: int, keyword: str
             ) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Each question's searches, timed (ms): what docent's retrieve runs one after another
    (the sentence search, BM25, then the chunks both found, fetched), and chunk ANN (the
    fallback and MMR's search); and the sentence search's recall@K of the exact ranking
    (of the first len(exact) questions), by chunk id and by paragraph."""
    timings: dict[str, list[float]] = {
        "sentence search": [], keyword: [], "fetching the chunks found": [],
        "retrieve (the three, as docent runs them)": [], "chunk ANN": []}
    recalls: dict[str, list[float]] = {"chunk ids": [], "paragraphs (any copy)": []}
    for number, (question, vector) in enumerate(zip(questions, vectors, strict=True)):
        found, sentence_ms = timed(backend.dense_sentences, generation, vector, K)
        words, keyword_ms = timed(backend.keyword_search, generation, question, K)
        ids = list(dict.fromkeys([i for i, _ in found] + [i for i, _ in words]))
        _, fetch_ms = timed(backend.get_chunks, generation, ids)
        _, chunk_ms = timed(backend.dense_chunks, generation, vector, K)
        spent = [sentence_ms, keyword_ms, fetch_ms]
        for name, ms in zip(timings, [*spent, sum(spent), chunk_ms], strict=True):
            timings[name].append(ms)
        if number < len(exact):
            for name, per in (("chunk ids", 0), ("paragraphs (any copy)", paragraphs)):
                recalls[name].append(recall([i for i, _ in found], exact[number], per))
    timings["retrieve, BM25 on a second thread (as graphs/retrieval.py runs it)"] = [
        timed(retrieve_at_once, backend, generation, question, vector)[1]
        for question, vector in zip(questions, vectors, strict=True)]
    return timings, recalls


_second_thread: Any = None


def retrieve_at_once(backend: Any, generation: str, question: str, vector: Any) -> None:
    """The sentence search here while BM25 runs on another thread, then the chunks fetched."""
    from concurrent.futures import ThreadPoolExecutor

    global _second_thread
    _second_thread = _second_thread or ThreadPoolExecutor(1)
    words = _second_thread.submit(backend.keyword_search, generation, question, K)
    found = backend.dense_sentences(generation, vector, K)
    backend.get_chunks(generation, list(dict.fromkeys(
        [i for i, _ in found] + [i for i, _ in words.result()])))


def print_recalls(recalls: dict[str, list[float]], questions: int) -> None:
    print(f"\n| sentence search recall@{K} against an exact scan, {questions} questions "
          "| mean | min |\n|---|---|---|")
    for name, values in recalls.items():
        print(f"| {name} | {statistics.mean(values):.3f} | {min(values):.2f} |")


def sentence_layouts(backend: PostgresBackend, generation: str, data: Synthetic,
                     vectors: list[Any], exact: list[list[str]], indexes: bool
                     ) -> list[tuple[str, ...]]:
    """Recall@K against the exact ranking, p50/p95 and disk of the sentence layouts tried:
    (c) the backend's: chunk HNSW, then the exact scores of the top N chunks' int8
    sentence vectors; with `indexes`, also on a side table of one halfvec row per sentence,
    (a) an HNSW over every sentence's halfvec, (b) an HNSW over their binary quantisation
    with the top N re-scored exactly."""
    from pgvector import HalfVector
    from psycopg import sql

    from core.index.postgres import backend as postgres_backend

    db = backend._db()
    dims = int(data.chunks.shape[1])
    rows: list[tuple[str, ...]] = []

    def measure(name: str, search: Callable[[Any], list[str]], size: int) -> None:
        spent, recalls, paragraph_recalls = [], [], []
        for number, vector in enumerate(vectors):
            found, ms = timed(search, vector)
            spent.append(ms)
            if number < len(exact):
                recalls.append(recall(found, exact[number]))
                paragraph_recalls.append(recall(found, exact[number], len(data.texts)))
        rows.append((name, f"{statistics.mean(recalls):.3f}", f"{min(recalls):.2f}",
                     f"{statistics.mean(paragraph_recalls):.3f}", percentiles(spent),
                     f"{size / 2**20:.0f}"))
        print(f"  {rows[-1]}", file=sys.stderr)

    packed = sentence_bytes(backend, generation)
    for candidates in (200, 400, 1000, 2000):
        postgres_backend.CHUNK_CANDIDATES = candidates
        measure(f"(c) chunk HNSW, int8 sentences of the top {candidates} chunks",
                lambda v: [i for i, _ in backend.dense_sentences(generation, v, K)], packed)
    if not indexes:
        return rows

    side = f"{chunk_table_name(generation)}_halfvec"
    table = sql.Identifier(side)
    db.execute(sql.SQL("CREATE TABLE {} (chunk_id text NOT NULL, number int NOT NULL, "
                       "embedding halfvec({}) NOT NULL, PRIMARY KEY (chunk_id, number))"
                       ).format(table, sql.Literal(dims)))
    with db.transaction(), db.cursor() as cursor, cursor.copy(sql.SQL(
            "COPY {} (chunk_id, number, embedding) FROM STDIN WITH (FORMAT BINARY)"
            ).format(table)) as copy:
        copy.set_types(["text", "int4", "halfvec"])
        for i in range(data.n):
            for number, row in enumerate(range(data.starts[i], data.starts[i + 1])):
                copy.write_row((data.chunk_id(i), number, HalfVector(data.sentences[row])))
    size_row = db.execute("SELECT pg_table_size(%s::regclass) + pg_indexes_size(%s::regclass)",
                          (side, side)).fetchone()
    heap = int(size_row[0]) if size_row else 0

    def ranked(query: sql.Composed, limit: int, vector: Any) -> list[str]:
        """The best chunks of `query`'s `limit` sentences (HNSW candidate list: `limit`)."""
        with db.transaction():
            db.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(limit),))
            hits = db.execute(query, {"q": HalfVector(vector), "n": limit}).fetchall()
        return [i for i, _ in best_per_chunk(((str(r[0]), float(r[1])) for r in hits), K)]

    def build(statement: str) -> int:
        db.execute("SET maintenance_work_mem = '4GB'")
        begin = time.perf_counter()
        db.execute(sql.SQL(statement).format(sql.Identifier(f"{side}_index"), table))
        print(f"  {statement.split(' USING ')[1][:40]} built in "
              f"{time.perf_counter() - begin:.0f} s", file=sys.stderr)
        size = db.execute("SELECT pg_relation_size(%s::regclass)", (f"{side}_index",)).fetchone()
        return int(size[0]) if size else 0

    try:
        size = build("CREATE INDEX {} ON {} USING hnsw ((binary_quantize(embedding)"
                     f"::bit({dims})) bit_hamming_ops)")
        for candidates in (200, 800):
            query = sql.SQL(
                "SELECT chunk_id, 1 - (embedding <=> %(q)s) AS r FROM (SELECT chunk_id, "
                "embedding FROM {} ORDER BY binary_quantize(embedding)::bit(" + str(dims) +
                ") <~> binary_quantize(%(q)s) LIMIT %(n)s) AS near ORDER BY r DESC").format(table)
            measure(f"(b) binary HNSW, top {candidates} sentences re-scored",
                    partial(ranked, query, candidates), size + heap)
        db.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(f"{side}_index")))

        size = build("CREATE INDEX {} ON {} USING hnsw (embedding halfvec_cosine_ops)")
        query = sql.SQL("SELECT chunk_id, 1 - (embedding <=> %(q)s) FROM {} "
                        "ORDER BY embedding <=> %(q)s LIMIT %(n)s").format(table)
        for candidates in (100, 400, 1000):
            measure(f"(a) halfvec HNSW, top {candidates} sentences (ef_search {candidates})",
                    partial(ranked, query, candidates), size + heap)
    finally:
        db.execute(sql.SQL("DROP TABLE {}").format(table))
    return rows


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


def keyword_segments(url: str, n: int, questions: int = 100) -> None:
    """pg_search's top-20 time against its segment count: n chunks' tokens inserted BATCH
    to a transaction (as add_chunks writes), then after VACUUM, then after REINDEX."""
    import psycopg

    squad = SHARED / "eval" / "squad-dev-even"
    bench = load_jsonl_benchmark(squad / "corpus.jsonl", squad / "queries.jsonl")
    tokens = [" ".join(keyword_tokens(p.text, TUNING.keyword_korean)) for p in bench.passages]
    queries = [" ".join(keyword_tokens(q.question, TUNING.keyword_korean)) for q in
               sample(article_half(bench, "tuning"), questions, None, seed=1).queries]
    table = f"docent_segments_{os.getpid()}"
    db = psycopg.connect(url, autocommit=True)
    db.execute("SET max_parallel_workers_per_gather = 0")  # as PostgresBackend
    db.execute(f"CREATE TABLE {table} (id text PRIMARY KEY, tokens text NOT NULL)")
    db.execute(f"CREATE INDEX {table}_bm25 ON {table} USING bm25 (id, (tokens::pdb.whitespace)) "
               "WITH (key_field = 'id')")
    try:
        for first in range(0, n, BATCH):
            with db.transaction():
                db.cursor().executemany(f"INSERT INTO {table} VALUES (%s, %s)", [
                    (f"s{i:07d}", tokens[i % len(tokens)])
                    for i in range(first, min(first + BATCH, n))])
        print("| after | segments | p50 / p95 ms |\n|---|---|---|")
        for step, statement in (("inserts", ""), ("VACUUM", f"VACUUM {table}"),
                                ("REINDEX", f"REINDEX INDEX {table}_bm25")):
            if statement:
                db.execute(statement)
            row = db.execute(f"SELECT count(*) FROM paradedb.index_info('{table}_bm25')"
                             ).fetchone()
            spent = [timed(lambda q: db.execute(
                f"SELECT id, pdb.score(id) AS score FROM {table} WHERE tokens ||| %s "
                "ORDER BY score DESC LIMIT 20", (q,)).fetchall(), q)[1] for q in queries]
            print(f"| {step} | {row[0] if row else 0} | {percentiles(spent)} |")
    finally:
        db.execute(f"DROP TABLE {table}")
        db.close()


def percentiles(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=20)
    return f"{statistics.median(values):.1f} / {cuts[18]:.1f}"


def sentence_bytes(backend: PostgresBackend, generation: str) -> int:
    """Bytes the packed sentence vectors take (the `sentences` column, stored out of line)."""
    from psycopg import sql

    row = backend._db().execute(sql.SQL(
        "SELECT coalesce(sum(pg_column_size(sentences)), 0) FROM {}").format(
        sql.Identifier(chunk_table_name(generation)))).fetchone()
    return int(row[0]) if row else 0


def disk(backend: PostgresBackend, generation: str) -> list[tuple[str, int]]:
    """Bytes on disk of the chunk table (its heap, its TOAST: the packed sentence vectors
    and long texts) and of each of its indexes."""
    table = chunk_table_name(generation)
    db = backend._db()
    row = db.execute("SELECT pg_relation_size(oid), coalesce(pg_total_relation_size("
                     "nullif(reltoastrelid, 0)), 0) FROM pg_class WHERE oid = %s::regclass",
                     (table,)).fetchone()
    sizes = [("chunk table", int(row[0]) if row else 0),
             ("  its TOAST (packed sentence vectors, long texts)", int(row[1]) if row else 0),
             ("  of which sentence vectors", sentence_bytes(backend, generation))]
    for name, size in db.execute("SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) "
                                 "FROM pg_index WHERE indrelid = %s::regclass", (table,)):
        sizes.append((f"  index {name.rsplit('_', 1)[-1]}", int(size)))
    return sizes


def server_memory(backend: PostgresBackend) -> int:
    """Bytes the server's processes hold (proportional set size: shared pages split among
    the processes that map them, so the sum is not double counted); 0 when not readable."""
    row = backend._db().execute("SHOW data_directory").fetchone()
    try:
        postmaster = (Path(row[0]) / "postmaster.pid").read_text().split()[0] if row else ""
    except OSError:
        return 0
    total = 0
    for process in Path("/proc").iterdir():
        try:
            parent = (process / "stat").read_text().rsplit(")", 1)[1].split()[1]
            if postmaster in (process.name, parent):
                rollup = (process / "smaps_rollup").read_text()
                total += sum(int(line.split()[1]) * 1024 for line in rollup.splitlines()
                             if line.startswith("Pss:"))
        except (OSError, IndexError):
            continue
    return total


def scale(url: str, args: argparse.Namespace) -> None:
    """Load `args.chunks` synthetic chunks, time the searches, print the tables."""
    squad = SHARED / "eval" / "squad-dev-even"
    bench = load_jsonl_benchmark(squad / "corpus.jsonl", squad / "queries.jsonl")
    texts = [p.text for p in bench.passages]
    questions = [q.question for q in
                 sample(article_half(bench, "tuning"), args.queries, None, seed=1).queries]
    backend = PostgresBackend(url, args.reuse or f"scale-{os.getpid()}")
    generation = backend.collection
    try:
        started = time.perf_counter()
        chunk_vectors, sentence_vectors, model = real_vectors(texts)
        data = Synthetic(texts, chunk_vectors, sentence_vectors, args.chunks, args.sentences)
        print(f"{args.chunks} chunks, {len(data.sentences)} sentence vectors made in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
        copied = indexed = 0.0
        if args.reuse:  # the same seed made the same vectors: only the load is skipped
            if backend.count(generation) != data.n:
                sys.exit(f"bench: {generation} does not hold {data.n} chunks")
        else:
            copied, indexed = bulk_load(backend, generation, data)
            print(f"loaded {generation}: COPY {copied:.0f} s, indexes {indexed:.0f} s; load "
                  f"average {os.getloadavg()}", file=sys.stderr)
        vectors = [model.embed_query(q) for q in questions]
        exact = data.exact(vectors[:args.recall_queries], K)

        timings, recalls = searches(backend, generation, questions, vectors, exact,
                                    len(texts), "BM25 (pg_search)")

        # the keyword search through bm25s built from the tokens column (no pg_search)
        replica = PostgresBackend(url, generation, use_pg_search=False)
        _, bm25s_build = timed(replica.keyword_index, generation)
        timings["BM25 (bm25s fallback)"] = [
            timed(replica.keyword_search, generation, q, K)[1] for q in questions]
        replica.close()

        print(f"| chunks | sentence vectors | COPY s | index build s |\n|---|---|---|---|\n"
              f"| {args.chunks} | {len(data.sentences)} | {copied:.0f} | {indexed:.0f} |")
        print(f"\n| search (k={K}) | p50 / p95 ms |\n|---|---|")
        for name, values in timings.items():
            print(f"| {name} | {percentiles(values)} |")
        print(f"\nbm25s index built from the tokens column in {bm25s_build / 1000:.1f} s")
        print_recalls(recalls, len(exact))
        print("\n| relation | MB |\n|---|---|")
        for name, size in disk(backend, generation):
            print(f"| {name} | {size / 2**20:.0f} |")
        print(f"\nserver memory (PSS of its processes): {server_memory(backend) / 2**20:.0f} MB")
        if args.layouts:
            print("\n| sentence layout | recall@20 mean | min | by paragraph | p50 / p95 ms "
                  "| MB |\n|---|---|---|---|---|---|")
            for row in sentence_layouts(backend, generation, data, vectors, exact,
                                        args.layouts == "all"):
                print("| " + " | ".join(row) + " |")
    finally:
        if not args.keep:
            backend.drop_generation(generation)
        backend.close()


def real_candidates(args: argparse.Namespace) -> None:
    """Layout (c) on real vectors, without copies: the 1,065 paragraphs as chunks (their
    MiniLM sentence vectors; the chunk vector their mean), the exact top K by best sentence
    against the best sentences of the top N chunks by chunk vector, in numpy."""
    import numpy as np

    squad = SHARED / "eval" / "squad-dev-even"
    bench = load_jsonl_benchmark(squad / "corpus.jsonl", squad / "queries.jsonl")
    chunk_vectors, sentence_vectors, model = real_vectors([p.text for p in bench.passages])
    questions = np.asarray([model.embed_query(q.question) for q in sample(
        article_half(bench, "tuning"), args.queries, None, seed=1).queries])
    sentences = np.concatenate(sentence_vectors)
    sentences /= np.linalg.norm(sentences, axis=1, keepdims=True)
    starts = np.cumsum([0] + [len(v) for v in sentence_vectors[:-1]])
    best = np.maximum.reduceat(sentences @ questions.T, starts, axis=0)  # chunks x questions
    by_chunk = chunk_vectors @ questions.T
    print(f"| top N of {len(chunk_vectors)} chunks by chunk vector | recall@{K} mean | min |\n"
          "|---|---|---|")
    for candidates in (20, 50, 100, 200):
        recalls = []
        for column in range(len(questions)):
            exact = np.argsort(-best[:, column])[:K]
            near = np.argsort(-by_chunk[:, column])[:candidates]
            found = near[np.argsort(-best[near, column])[:K]]
            recalls.append(len(set(exact.tolist()) & set(found.tolist())) / K)
        print(f"| {candidates} | {statistics.mean(recalls):.3f} | {min(recalls):.2f} |")


def embedded_scale(args: argparse.Namespace) -> None:
    """The same chunks and questions on the embedded store (Chroma and bm25s files in a
    temporary DATA_DIR, in this process): the three searches, this process's memory, disk."""
    import resource

    from core.index.embedded import EmbeddedBackend
    from core.index.keyword import build_keyword_index
    from core.index.sentences import sentence_collection

    squad = SHARED / "eval" / "squad-dev-even"
    bench = load_jsonl_benchmark(squad / "corpus.jsonl", squad / "queries.jsonl")
    texts = [p.text for p in bench.passages]
    questions = [q.question for q in
                 sample(article_half(bench, "tuning"), args.queries, None, seed=1).queries]
    chunk_vectors, sentence_vectors, model = real_vectors(texts)
    data = Synthetic(texts, chunk_vectors, sentence_vectors, args.chunks, args.sentences)
    folder = Path(tempfile.mkdtemp(prefix="docent-scale-embedded-"))
    try:
        backend = EmbeddedBackend(Settings(data_dir=folder), model)
        generation = backend.generations().active
        backend.create_generation(generation, int(data.chunks.shape[1]))
        store = backend._store(generation)
        vectorstore: Any = store.vectorstore  # a Chroma store: EmbeddedBackend
        chunks: Any = vectorstore._collection
        sentences = sentence_collection(store, create=True)
        assert sentences is not None
        started = time.perf_counter()
        # Chroma takes at most ~5,000 records a call; the keyword index is built once after
        # (EmbeddedBackend.add_chunks rebuilds it after every call, as an ingest does)
        for first in range(0, data.n, 1000):
            ids = range(first, min(first + 1000, data.n))
            chunks.upsert(ids=[data.chunk_id(i) for i in ids],
                          documents=[texts[i % len(texts)] for i in ids],
                          metadatas=[{"source": f"synthetic-{i // 100:05d}.txt"} for i in ids],
                          embeddings=data.chunks[first:first + len(ids)].astype(float))
            rows = range(int(data.starts[first]), int(data.starts[first + len(ids)]))
            owners = [data.chunk_id(int(i)) for i in
                      (data.starts[1:].searchsorted(list(rows), side="right"))]
            sentences.upsert(ids=[f"{o}:{r}" for o, r in zip(owners, rows, strict=True)],
                             metadatas=[{"chunk_id": o} for o in owners],
                             embeddings=data.sentences[rows.start:rows.stop].astype(float))
        build_keyword_index(store)
        loaded = time.perf_counter() - started
        vectors = [model.embed_query(q) for q in questions]
        exact = data.exact(vectors[:args.recall_queries], K)
        timings, recalls = searches(backend, generation, questions, vectors, exact,
                                    len(texts), "BM25 (bm25s)")
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        print(f"embedded store, {data.n} chunks, {len(data.sentences)} sentence vectors: "
              f"loaded in {loaded:.0f} s")
        print(f"\n| search (k={K}) | p50 / p95 ms |\n|---|---|")
        for name, values in timings.items():
            print(f"| {name} | {percentiles(values)} |")
        print_recalls(recalls, len(exact))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(f"\nDATA_DIR {size / 2**20:.0f} MB; this process's peak RSS {peak / 2**20:.0f} MB "
              f"(of which the bench's own float16 vectors "
              f"{(data.chunks.nbytes + data.sentences.nbytes) / 2**20:.0f} MB)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--sentences", type=int, default=None,
                        help="sentence vectors per chunk, at most (default: all of the "
                        "paragraph's, 4.9 on average)")
    parser.add_argument("--layouts", choices=["chunk-ann", "all"],
                        help="also compare sentence search layouts on the loaded data: "
                        "chunk ANN at several candidate counts, or also HNSW over sentences "
                        "(halfvec, binary; each built here)")
    parser.add_argument("--keep", action="store_true",
                        help="leave the loaded generation in the database (its name is printed)")
    parser.add_argument("--reuse", metavar="GENERATION",
                        help="time a generation --keep left (same --chunks), without loading")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--recall-queries", type=int, default=50)
    parser.add_argument("--database-url", default=os.environ.get("DOCENT_DATABASE_URL"))
    parser.add_argument("--real-candidates", action="store_true",
                        help="instead: chunk ANN + exact sentences on the real paragraphs' "
                        "vectors (no copies), recall against exact, in numpy")
    parser.add_argument("--embedded", action="store_true",
                        help="instead: the same on the embedded store (Chroma, bm25s)")
    parser.add_argument("--keyword-quality", type=int, metavar="QUESTIONS", default=0,
                        help="instead: BM25 MRR@10, pg_search against bm25s, on this many "
                        "questions of each tuning half")
    parser.add_argument("--keyword-segments", action="store_true",
                        help="instead: pg_search's search time against its segment count, "
                        "--chunks chunks written as add_chunks writes them")
    args = parser.parse_args()
    if not (SHARED / "eval").is_dir():
        sys.exit(f"bench: {SHARED / 'eval'} is missing (see ../shared/README.md)")
    if args.embedded:
        embedded_scale(args)
        return
    if args.real_candidates:
        real_candidates(args)
        return
    folder = None
    url = args.database_url
    if (args.keep or args.reuse) and not url:
        sys.exit("bench: --keep and --reuse need --database-url (a server of your own)")
    if not url:
        folder = Path(tempfile.mkdtemp(prefix="docent-scale-"))
        url = postgres_server.start(folder)
    print(f"load average at start: {os.getloadavg()}", file=sys.stderr)
    try:
        if args.keyword_quality:
            keyword_quality(url, args.keyword_quality)
        elif args.keyword_segments:
            keyword_segments(url, args.chunks)
        else:
            scale(url, args)
        print(f"\nload average at end: {os.getloadavg()}")
    finally:
        if folder is not None:
            postgres_server.stop(folder)
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
