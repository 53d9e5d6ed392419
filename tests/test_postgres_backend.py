"""The index seam (core/index/backend.py): the same scenarios on the embedded backend and
on a real PostgreSQL (pgvector, pg_search): vectors, keyword ranking (pg_search against
bm25s), records and the generation pointer, across two instances where a team's processes
would be."""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.errors import DocentError
from core.index.backend import Chunk, IndexBackend, Sentence
from core.index.embedded import EmbeddedBackend
from core.index.generation import Generations
from core.index.postgres.backend import PostgresBackend
from core.index.sentences import sentence_pieces
from core.index.tokens import keyword_tokens
from core.settings import Settings
from core.tuning import TUNING
from tests.fakes import HashingEmbeddings
from tests.helpers import SAMPLE_DATA

DIMENSIONS = 64
EMBEDDINGS = HashingEmbeddings(DIMENSIONS)


def paragraphs() -> list[tuple[str, str]]:
    """(source, text) of the sample documents in Markdown, English and Korean: each
    paragraph and each line of them (texts of many lengths, for BM25's length norm), once."""
    found: dict[tuple[str, str], None] = {}
    for path in sorted(SAMPLE_DATA.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for part in [*text.split("\n\n"), *text.splitlines()]:
            if len(part.strip()) > 20:
                found[path.name, part.strip()] = None
    return list(found)


def chunks_of(texts: list[tuple[str, str]]) -> tuple[list[Chunk], list[Sentence]]:
    chunks, sentences = [], []
    for number, (source, text) in enumerate(texts):
        chunk_id = f"c{number:03d}"
        pieces = sentence_pieces(text)
        vectors = EMBEDDINGS.embed_documents(pieces)
        chunks.append(Chunk(id=chunk_id, text=text, vector=EMBEDDINGS.embed_query(text),
                            tokens=keyword_tokens(text, TUNING.keyword_korean),
                            metadata={"source": source}))
        sentences += [Sentence(chunk_id, n, v) for n, v in enumerate(vectors)]
    return chunks, sentences


Opener = Callable[[str], IndexBackend]  # a backend on the named collection


@pytest.fixture(params=["embedded", "postgres"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """Opens backends of one kind; two opened on one name share the collection, as two
    processes would."""
    if request.param == "embedded":
        return lambda name: EmbeddedBackend(
            Settings(data_dir=tmp_path, collection=name), EMBEDDINGS)
    url = request.getfixturevalue("database_url")
    return lambda name: PostgresBackend(url, name)


@pytest.fixture
def backend(opener: Opener) -> Iterator[IndexBackend]:
    """A backend on a collection of its own, whose live generation holds the sample."""
    backend = opener(f"test-{uuid.uuid4().hex[:8]}")
    generation = backend.generations().active
    backend.create_generation(generation, DIMENSIONS)
    chunks, sentences = chunks_of(paragraphs())
    backend.add_chunks(generation, chunks, sentences)
    yield backend
    backend.drop_generation(generation)


@pytest.fixture
def postgres(database_url: str) -> Iterator[PostgresBackend]:
    """A Postgres backend on a collection of its own, holding the sample."""
    backend = PostgresBackend(database_url, f"test-{uuid.uuid4().hex[:8]}")
    backend.create_generation(backend.collection, DIMENSIONS)
    backend.add_chunks(backend.collection, *chunks_of(paragraphs()))
    yield backend
    backend.drop_generation(backend.collection)
    backend.close()


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(
        sum(x * x for x in a) * sum(y * y for y in b))


def test_chunks_round_trip_and_dense_search(backend: IndexBackend) -> None:
    generation = backend.generations().active
    texts = paragraphs()
    assert backend.count(generation) == len(texts)
    got = backend.get_chunks(generation, ["c002", "nope", "c000"])
    assert [(d.id, d.page_content, d.metadata["source"]) for d in got] == [
        ("c002", texts[2][1], texts[2][0]), ("c000", texts[0][1], texts[0][0])]

    question = texts[5][1]
    ranked = backend.dense_chunks(generation, EMBEDDINGS.embed_query(question), 3)
    assert ranked[0][0] == "c005"
    assert ranked[0][1] == pytest.approx(1.0, abs=2e-3)  # halfvec: 3 significant digits
    expected = cosine(EMBEDDINGS.embed_query(question), EMBEDDINGS.embed_query(texts[
        int(ranked[1][0][1:])][1]))
    assert ranked[1][1] == pytest.approx(expected, abs=2e-3)

    sentence = sentence_pieces(texts[7][1])[-1]
    by_sentence = backend.dense_sentences(generation, EMBEDDINGS.embed_query(sentence), 4)
    assert by_sentence[0] == ("c007", pytest.approx(1.0, abs=2e-3))
    assert len({chunk_id for chunk_id, _ in by_sentence}) == len(by_sentence) == 4
    everything = backend.dense_sentences(generation, EMBEDDINGS.embed_query(sentence), 300)
    assert len(everything) == len(texts)  # more than HNSW's largest candidate list


def test_filters_and_deletes_reach_sentences(backend: IndexBackend) -> None:
    generation = backend.generations().active
    texts = paragraphs()
    korean = next(source for source, _ in texts if source.endswith("-ko.md"))
    vector = EMBEDDINGS.embed_query(texts[0][1])
    only = backend.dense_sentences(generation, vector, 50, {"source": korean})
    assert only and {backend.get_chunks(generation, [i])[0].metadata["source"]
                     for i, _ in only} == {korean}
    both = backend.dense_chunks(generation, vector, 50, {"source": {"$in": [korean]}})
    assert {i for i, _ in both} == {i for i, _ in only}
    assert backend.keyword_search(generation, "커피", 50, {"source": korean})
    assert backend.keyword_search(generation, "커피", 50, {"source": "other.md"}) == []

    backend.delete_chunks(generation, ["c007"])
    sentence = sentence_pieces(texts[7][1])[-1]
    assert "c007" not in dict(backend.dense_sentences(
        generation, EMBEDDINGS.embed_query(sentence), 10))
    assert "c007" not in dict(backend.keyword_search(generation, texts[7][1], 50))
    assert backend.count(generation) == len(texts) - 1


def test_sentence_search_ranks_as_an_exact_scan(database_url: str) -> None:
    """Chunks ranked by their best sentence exactly as a scan of every stored sentence
    vector ranks them, filtered or not, on more chunks than the search's candidate list:
    800 chunks of 10 sentences, each its chunk's topic plus half as much noise (a chunk's
    sentences share a subject), each chunk's vector their mean, as docent makes it. (An
    HNSW over the sentences, best chunk of the top 100, lost the 20th chunk here.) Stored
    is each vector rounded to int8 at ±127 for its largest component, which moves no
    cosine here by more than 0.01."""
    import numpy as np

    from core.index.postgres.backend import CHUNK_CANDIDATES

    rng = np.random.default_rng(7)
    count, per_chunk = 2 * CHUNK_CANDIDATES, 10
    topics = rng.normal(size=(count, 1, DIMENSIONS))
    noise = rng.normal(scale=0.5, size=(count, per_chunk, DIMENSIONS))
    # float16 values, as halfvec stores them: both sides score the same numbers
    vectors = (topics + noise).astype(np.float16)
    vectors = vectors.astype(np.float64)
    sources = [f"part{number % 3}.md" for number in range(count)]
    chunks = [Chunk(f"r{number:03d}", f"chunk {number}", list(vectors[number].mean(axis=0)),
                    [str(number)], {"source": sources[number]}) for number in range(count)]
    sentences = [Sentence(f"r{number:03d}", n, list(vector))
                 for number in range(count) for n, vector in enumerate(vectors[number])]
    backend = PostgresBackend(database_url, f"test-{uuid.uuid4().hex[:8]}")
    backend.create_generation(backend.collection, DIMENSIONS)
    backend.add_chunks(backend.collection, chunks, sentences)
    units = vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)
    stored = np.rint(vectors * 127 / np.abs(vectors).max(axis=-1, keepdims=True))
    stored /= np.linalg.norm(stored, axis=-1, keepdims=True)
    try:
        for query in rng.normal(size=(10, DIMENSIONS)).astype(np.float16).astype(np.float64):
            probe = query / np.linalg.norm(query)
            assert np.abs(stored @ probe - units @ probe).max() < 0.01
            best = (stored @ probe).max(axis=1)
            for where in (None, {"source": "part1.md"}):
                allowed = [n for n in range(count) if where is None or sources[n] == "part1.md"]
                exact = sorted(allowed, key=lambda n: -best[n])[:20]
                got = backend.dense_sentences(backend.collection, list(query), 20, where)
                assert [i for i, _ in got] == [f"r{n:03d}" for n in exact]
                assert [s for _, s in got] == pytest.approx([best[n] for n in exact], abs=1e-5)
    finally:
        backend.drop_generation(backend.collection)
        backend.close()


QUERIES = ["roast coffee beans", "green beans batch weight", "커피 원두 구매", "espresso",
           "오전 영업 시간", "roasted roasting roaster", "nothing matches zebra"]


def test_pg_search_ranks_as_bm25s(postgres: PostgresBackend, tmp_path: Path) -> None:
    """The same chunks, with the same scores, as the embedded backend's bm25s index of the
    same chunks: Tantivy and bm25s both use Lucene's BM25 with k1 1.2, b 0.75. Tantivy keeps
    a chunk's length in one byte, exact up to 40 tokens: here a chunk of 71 tokens scores
    2.3 % higher than in bm25s, so two chunks whose scores differ by less may swap."""
    assert postgres.keyword_in_server
    embedded = EmbeddedBackend(Settings(data_dir=tmp_path, collection="docent"), EMBEDDINGS)
    embedded.create_generation("docent", DIMENSIONS)
    embedded.add_chunks("docent", *chunks_of(paragraphs()))
    compared = exact = 0
    for query in QUERIES:
        expected = dict(embedded.keyword_search("docent", query, 100))
        got = dict(postgres.keyword_search(postgres.collection, query, 100))
        assert got == pytest.approx(expected, rel=0.05), query
        compared += len(expected)
        exact += sum(got[i] == pytest.approx(expected[i], rel=1e-4) for i in expected)
    assert compared > 40
    assert exact >= compared - 2  # the two hits of the 71-token chunk


def test_bm25s_fallback_follows_other_writers(postgres: PostgresBackend,
                                              database_url: str) -> None:
    """Without pg_search, each process ranks with bm25s built from the tokens column, and
    rebuilds it when another process changed the generation."""
    generation = postgres.collection
    reader = PostgresBackend(database_url, generation, use_pg_search=False)
    assert not reader.keyword_in_server
    expected = postgres.keyword_search(generation, "roast coffee beans", 10)
    assert reader.keyword_search(generation, "roast coffee beans", 10) == [
        (i, pytest.approx(s, rel=1e-3)) for i, s in expected]

    text = "Zebra roast: a coffee roast for zebra lovers."
    postgres.add_chunks(generation, [Chunk("zebra", text, EMBEDDINGS.embed_query(text),
                                           keyword_tokens(text), {"source": "z.md"})], [])
    assert reader.keyword_search(generation, "zebra", 5)[0][0] == "zebra"
    assert reader.keyword_search(generation, "zebra", 5, {"source": "none"}) == []
    reader.close()


def test_records_are_shared_and_per_generation(opener: Opener) -> None:
    name = f"test-{uuid.uuid4().hex[:8]}"
    mine = opener(name).record_manager(name)
    mine.update(["k1", "k2"], group_ids=["a.md", "b.md"])
    theirs = opener(name).record_manager(name)
    assert sorted(theirs.list_keys()) == ["k1", "k2"]
    assert theirs.list_keys(group_ids=["b.md"]) == ["k2"]
    assert theirs.exists(["k1", "zz"]) == [True, False]
    assert opener(name).record_manager(f"{name}-gen2").list_keys() == []
    theirs.delete_keys(["k1"])
    assert mine.list_keys() == ["k2"]


def test_dropping_a_generation_forgets_it(opener: Opener) -> None:
    name = f"test-{uuid.uuid4().hex[:8]}"
    backend = opener(name)
    generation = f"{name}-gen1"
    backend.create_generation(generation, DIMENSIONS)
    backend.add_chunks(generation, *chunks_of(paragraphs()[:3]))
    backend.record_manager(generation).update(["k1"], group_ids=["a.md"])
    backend.drop_generation(generation)
    assert backend.record_manager(generation).list_keys() == []
    with pytest.raises(DocentError):
        backend.count(generation)


def test_generation_switch_is_atomic_for_readers(opener: Opener) -> None:
    """A reader (its own instance, as another process) sees the old generation whole or
    the new one whole while the pointer flips, never a generation without its chunks."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    writer = opener(name)
    old, new = f"{name}-gen1", f"{name}-gen2"
    texts = paragraphs()
    sizes = {old: 5, new: len(texts)}
    for generation, size in sizes.items():
        writer.create_generation(generation, DIMENSIONS)
        writer.add_chunks(generation, *chunks_of(texts[:size]))
    writer.write_generations(Generations(old))
    reader = opener(name)
    seen: list[tuple[str, int]] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            active = reader.generations().active
            seen.append((active, reader.count(active)))

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for _ in range(100):
            writer.write_generations(Generations(new, retired=old))
            writer.write_generations(Generations(old, building=new))
    finally:
        done.set()
        thread.join()
    assert set(seen) == set(sizes.items())
    for generation in sizes:
        writer.drop_generation(generation)


def test_unreachable_server_is_one_line() -> None:
    backend = PostgresBackend("postgresql://docent:s3cret@127.0.0.1:1/none", "docent")
    with pytest.raises(DocentError) as caught:
        backend.count("docent")
    message = str(caught.value)
    assert "DOCENT_DATABASE_URL" in message and "\n" not in message
    assert "s3cret" not in message and "docent:***@127.0.0.1:1" in message
    with pytest.raises(DocentError, match="not a postgresql:// URL"):
        PostgresBackend("mysql://127.0.0.1/x", "docent").count("docent")


def test_threads_search_while_another_writes(database_url: str) -> None:
    """`serve` answers on several threads: each gets its own connection, so one thread's
    transaction block (a batch of writes) never takes in another's statements."""
    backend = PostgresBackend(database_url, f"threads-{uuid.uuid4().hex[:8]}")
    generation = backend.generations().active
    backend.create_generation(generation, DIMENSIONS)
    texts = paragraphs()
    chunks, sentences = chunks_of(texts)
    backend.add_chunks(generation, chunks[:20], [s for s in sentences if s.chunk_id < "c020"])
    question = EMBEDDINGS.embed_query(texts[5][1])
    errors: list[BaseException] = []

    def search() -> None:
        try:
            for _ in range(20):
                assert backend.dense_sentences(generation, question, 3)[0][0] == "c005"
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    def write() -> None:
        try:
            for start in range(20, len(chunks), 5):
                batch = {c.id for c in chunks[start:start + 5]}
                backend.add_chunks(generation, chunks[start:start + 5],
                                   [s for s in sentences if s.chunk_id in batch])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=search) for _ in range(3)]
    threads.append(threading.Thread(target=write))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert backend.count(generation) == len(texts)
    backend.drop_generation(generation)
    backend.close()


def test_a_finished_thread_leaves_no_connection_open(database_url: str) -> None:
    """Ingest starts threads per batch: each one's connection must end with it (kept, they
    ran the server out of connections: "too many clients already")."""
    import psycopg

    backend = PostgresBackend(database_url, f"conn-{uuid.uuid4().hex[:8]}")
    backend.generations()

    def clients() -> int:
        with psycopg.connect(database_url) as connection:
            row = connection.execute("SELECT count(*) FROM pg_stat_activity "
                                     "WHERE backend_type = 'client backend'").fetchone()
        assert row is not None
        return int(row[0])

    before = clients()
    for _ in range(5):
        thread = threading.Thread(target=backend.generations)
        thread.start()
        thread.join()
    assert clients() == before
    backend.close()
