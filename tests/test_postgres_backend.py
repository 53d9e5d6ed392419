"""The index backend on a real PostgreSQL (pgvector, pg_search): vectors, keyword ranking
against bm25s, records and the generation pointer, each across two connections where a
team's processes would be."""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Iterator

import pytest

from core.errors import DocentError
from core.index.backend import Chunk, Sentence
from core.index.generation import Generations
from core.index.postgres.backend import PostgresBackend
from core.index.sentences import sentence_pieces
from core.index.tokens import keyword_tokens
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
                            tokens=keyword_tokens(text), metadata={"source": source}))
        sentences += [Sentence(chunk_id, n, v) for n, v in enumerate(vectors)]
    return chunks, sentences


@pytest.fixture
def backend(database_url: str) -> Iterator[PostgresBackend]:
    """A backend on a collection of its own, with one generation holding the sample."""
    backend = PostgresBackend(database_url, f"test-{uuid.uuid4().hex[:8]}")
    backend.create_generation(backend.collection, DIMENSIONS)
    chunks, sentences = chunks_of(paragraphs())
    backend.add_chunks(backend.collection, chunks, sentences)
    yield backend
    backend.drop_generation(backend.collection)
    backend.close()


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(
        sum(x * x for x in a) * sum(y * y for y in b))


def test_chunks_round_trip_and_dense_search(backend: PostgresBackend) -> None:
    generation = backend.collection
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
    assert len({chunk_id for chunk_id, _ in by_sentence}) == len(by_sentence)


def test_filters_and_deletes_reach_sentences(backend: PostgresBackend) -> None:
    generation = backend.collection
    texts = paragraphs()
    korean = next(source for source, _ in texts if source.endswith("-ko.md"))
    vector = EMBEDDINGS.embed_query(texts[0][1])
    only = backend.dense_sentences(generation, vector, 50, {"source": korean})
    assert only and {backend.get_chunks(generation, [i])[0].metadata["source"]
                     for i, _ in only} == {korean}
    both = backend.dense_chunks(generation, vector, 50, {"source": {"$in": [korean]}})
    assert {i for i, _ in both} == {i for i, _ in only}

    backend.delete_chunks(generation, ["c007"])
    sentence = sentence_pieces(texts[7][1])[-1]
    assert "c007" not in dict(backend.dense_sentences(
        generation, EMBEDDINGS.embed_query(sentence), 10))
    assert backend.count(generation) == len(texts) - 1


QUERIES = ["roast coffee beans", "green beans batch weight", "커피 원두 구매", "espresso",
           "오전 영업 시간", "roasted roasting roaster", "nothing matches zebra"]


def test_pg_search_ranks_as_bm25s(backend: PostgresBackend) -> None:
    """The same ids in the same order, with the same scores, as docent's bm25s index over
    the same tokens (Tantivy and bm25s both use Lucene's BM25 with k1 1.2, b 0.75); equal
    scores may come in either order."""
    assert backend.has_bm25_index
    generation = backend.collection
    bm25s_index = backend.keyword_index(generation)
    assert bm25s_index is not None
    compared = 0
    for query in QUERIES:
        expected = sorted(bm25s_index.search(query, 100), key=by_score)
        got = sorted(backend.keyword_search(generation, query, 100), key=by_score)
        assert [i for i, _ in got] == [i for i, _ in expected], query
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-3)
        compared += len(expected)
    assert compared > 40


def by_score(hit: tuple[str, float]) -> tuple[float, str]:
    """Best first; ties by id."""
    return -round(hit[1], 3), hit[0]


def test_bm25s_fallback_follows_other_writers(backend: PostgresBackend,
                                              database_url: str) -> None:
    """Without pg_search, each process ranks with bm25s built from the tokens column, and
    rebuilds it when another process changed the generation."""
    generation = backend.collection
    expected = backend.keyword_search(generation, "roast coffee beans", 10)
    backend._bm25 = False  # as on a server without pg_search
    assert backend.keyword_search(generation, "roast coffee beans", 10) == [
        (i, pytest.approx(s, rel=1e-3)) for i, s in expected]

    other = PostgresBackend(database_url, backend.collection)
    text = "Zebra roast: a coffee roast for zebra lovers."
    other.add_chunks(generation, [Chunk("zebra", text, EMBEDDINGS.embed_query(text),
                                        keyword_tokens(text), {"source": "z.md"})], [])
    other.close()
    assert backend.keyword_search(generation, "zebra", 5)[0][0] == "zebra"
    assert backend.keyword_search(generation, "zebra", 5, {"source": "none"}) == []


def test_records_are_shared_and_per_generation(backend: PostgresBackend,
                                               database_url: str) -> None:
    mine = backend.record_manager(backend.collection)
    mine.update(["k1", "k2"], group_ids=["a.md", "b.md"])
    theirs = PostgresBackend(database_url, backend.collection).record_manager(
        backend.collection)
    assert sorted(theirs.list_keys()) == ["k1", "k2"]
    assert theirs.list_keys(group_ids=["b.md"]) == ["k2"]
    assert theirs.exists(["k1", "zz"]) == [True, False]
    other_generation = backend.record_manager(f"{backend.collection}-gen2")
    assert other_generation.list_keys() == []
    theirs.delete_keys(["k1"])
    assert mine.list_keys() == ["k2"]


def test_dropping_a_generation_forgets_its_records(database_url: str) -> None:
    backend = PostgresBackend(database_url, f"test-{uuid.uuid4().hex[:8]}")
    generation = f"{backend.collection}-gen1"
    backend.create_generation(generation, DIMENSIONS)
    backend.record_manager(generation).update(["k1"], group_ids=["a.md"])
    backend.drop_generation(generation)
    assert backend.record_manager(generation).list_keys() == []
    with pytest.raises(DocentError, match="not in the database"):
        backend.keyword_index(generation)


def test_generation_switch_is_atomic_for_readers(database_url: str) -> None:
    """A reader on its own connection sees the old generation whole or the new one whole
    while the pointer flips, never a generation without its chunks."""
    writer = PostgresBackend(database_url, f"test-{uuid.uuid4().hex[:8]}")
    old, new = f"{writer.collection}-gen1", f"{writer.collection}-gen2"
    texts = paragraphs()
    sizes = {old: 5, new: len(texts)}
    for generation, size in sizes.items():
        writer.create_generation(generation, DIMENSIONS)
        writer.add_chunks(generation, *chunks_of(texts[:size]))
    writer.write_generations(Generations(old))
    reader = PostgresBackend(database_url, writer.collection)
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


def test_unreachable_server_is_one_line(tmp_path: object) -> None:
    backend = PostgresBackend("postgresql://docent:s3cret@127.0.0.1:1/none", "docent")
    with pytest.raises(DocentError) as caught:
        backend.count("docent")
    message = str(caught.value)
    assert "DOCENT_DATABASE_URL" in message and "\n" not in message
    assert "s3cret" not in message and "docent:***@127.0.0.1:1" in message
    with pytest.raises(DocentError, match="not a postgresql:// URL"):
        PostgresBackend("mysql://127.0.0.1/x", "docent").count("docent")
