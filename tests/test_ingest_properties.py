"""Property-based tests (hypothesis): random text through the splitter and random bytes or
encodings through every loader never crash, lose text or break metadata."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from langchain_core.documents import Document

from core.settings import Settings
from ingest.loaders import LOADERS, LoadError, load_file
from ingest.splitting import make_splitter, split

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
WORDS = st.text(alphabet=st.characters(codec="utf-8"), max_size=3000)
REQUIRED = {"source", "title", "content_hash", "mime"}


@FAST
@given(text=WORDS, size=st.integers(50, 400), overlap=st.integers(0, 200))
def test_splitter_keeps_every_character_within_size(text: str, size: int, overlap: int) -> None:
    assume(overlap < size)  # the settings refuse a larger overlap
    config = Settings(_env_file=None, chunk_size=size, chunk_overlap=overlap)
    chunks = split(make_splitter(config), [Document(text, metadata={"source": "s.txt"})])
    covered = [False] * len(text)
    for chunk in chunks:
        start = chunk.metadata["start_index"]
        assert chunk.page_content.strip() and len(chunk.page_content) <= size
        assert text[start : start + len(chunk.page_content)] == chunk.page_content
        covered[start : start + len(chunk.page_content)] = [True] * len(chunk.page_content)
    lost = [ch for ch, seen in zip(text, covered, strict=True) if not seen and not ch.isspace()]
    assert lost == []


@FAST
@given(data=st.binary(max_size=4096), suffix=st.sampled_from(sorted(LOADERS)))
def test_random_bytes_load_or_fail_with_a_load_error(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"random{suffix}"
        path.write_bytes(data)
        try:
            docs = load_file(path, Settings(_env_file=None))
        except LoadError as error:
            assert error.path == str(path) and error.reason and "\n" not in error.reason
            return
    assert docs and all(doc.metadata.keys() >= REQUIRED for doc in docs)
    assert all(doc.page_content.strip() for doc in docs)


@FAST
@given(text=WORDS, suffix=st.sampled_from([".txt", ".md", ".rst"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_text_in_unicode_encodings_comes_back_intact(text: str, suffix: str, encoding: str) -> None:
    text = text.lstrip("\ufeff")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"random{suffix}"
        path.write_bytes(text.encode(encoding))
        try:
            (doc,) = load_file(path, Settings(_env_file=None))
        except LoadError as error:
            assert not text.strip() or "\0" in text, error
            return
    assert doc.page_content == text
