from langchain_core.documents import Document

from core.settings import Settings
from ingest.splitting import make_splitter, split


def test_chunks_respect_size_and_keep_start_index() -> None:
    text = " ".join(f"Sentence number {i} talks about coffee roasting." for i in range(200))
    settings = Settings(_env_file=None, chunk_size=300, chunk_overlap=50)
    chunks = split(make_splitter(settings), [Document(text, metadata={"source": "x.txt"})])
    assert len(chunks) > 10
    for chunk in chunks:
        assert len(chunk.page_content) <= 300
        start = chunk.metadata["start_index"]
        assert text[start : start + len(chunk.page_content)] == chunk.page_content
        assert chunk.metadata["source"] == "x.txt"


def test_korean_text_is_split_without_losing_characters() -> None:
    text = "매장은 평일 오전 7시부터 오후 9시까지 문을 엽니다. " * 80
    settings = Settings(_env_file=None, chunk_size=200, chunk_overlap=0)
    chunks = split(make_splitter(settings), [Document(text)])
    assert "".join(c.page_content for c in chunks).replace(" ", "") == text.replace(" ", "")


def test_blank_documents_give_no_chunks() -> None:
    settings = Settings(_env_file=None)
    assert split(make_splitter(settings), [Document("   \n\n  ")]) == []
