"""The Korean-aware tokenizer and the persistent BM25 index kept in step with ingestion."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.index.tokens import hangul_bigrams, keyword_tokens
from tests.helpers import SAMPLE_DATA


def test_english_words_are_lowercased_normalised_stemmed_and_stopwords_dropped() -> None:
    assert keyword_tokens("What is the ＣＡＰＩＴＡＬ of Mongolia?") == ["capit", "mongolia"]
    assert keyword_tokens("roasted beans") == keyword_tokens("Roasting bean")


def test_hangul_words_become_bigrams_so_particles_do_not_hide_the_noun() -> None:
    assert hangul_bigrams("커피를") == ["커피", "피를"]
    with_particle = set(keyword_tokens("커피를 볶는다"))
    assert "커피" in with_particle and "커피" in keyword_tokens("커피는")
    assert keyword_tokens("텀블러 300원 할인", "bigram") == ["텀블", "블러", "300", "원", "할인"]


def test_morphemes_add_kiwi_stems() -> None:
    tokens = keyword_tokens("개인 텀블러를 가져오면", "bigram+morpheme")
    assert "텀블" in tokens  # the bigrams stay
    assert "@텀블러" in tokens and "@가져오" in tokens  # and the morphemes come on top


def _copy_sample(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    shutil.copytree(SAMPLE_DATA, folder)
    return folder


@pytest.mark.slow
def test_index_follows_ingest_prune_and_reindex(data_dir: Path, tmp_path: Path) -> None:
    from core.index.keyword import index_root, load_keyword_index
    from core.settings import Settings
    from ingest.pipeline import ingest_paths

    settings = Settings()
    docs = _copy_sample(tmp_path)
    ingest_paths([docs], settings)
    first = load_keyword_index(settings)
    assert first is not None and len(first.ids) == 11
    assert load_keyword_index(settings) is first  # loaded once, not per query
    hits = first.search("텀블러 할인", k=3)
    assert hits and hits[0][0] in first.ids

    # nothing changed: the same build stays
    ingest_paths([docs], settings)
    assert load_keyword_index(settings) is first

    # a deleted file: --prune removes its chunks from BM25 too
    (docs / "store-guide-ko.md").unlink()
    report = ingest_paths([docs], settings, prune=True)
    assert report.deleted > 0
    after = load_keyword_index(settings)
    assert after is not None and after.version != first.version
    assert len(after.ids) == 11 - report.deleted
    assert after.search("텀블러 할인", k=3) == []
    assert [p.name for p in index_root(settings).iterdir() if p.is_dir()] == [after.version]

    # --reindex drops the index and rebuilds it from the new collection
    ingest_paths([docs], settings, reindex=True)
    rebuilt = load_keyword_index(settings)
    assert rebuilt is not None and rebuilt.version != after.version
    assert sorted(rebuilt.ids) == sorted(after.ids)


@pytest.mark.slow
def test_an_interrupted_build_leaves_the_previous_index(data_dir: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from core.index import keyword as keyword_index
    from core.settings import Settings
    from ingest.pipeline import ingest_paths

    settings = Settings()
    docs = _copy_sample(tmp_path)
    ingest_paths([docs], settings)
    before = keyword_index.load_keyword_index(settings)
    assert before is not None

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    (docs / "menu.csv").unlink()
    monkeypatch.setattr(keyword_index, "_publish", crash)
    with pytest.raises(OSError, match="disk full"):
        ingest_paths([docs], settings, prune=True)
    monkeypatch.undo()
    keyword_index._loaded.clear()  # a fresh process reads what is on disk
    survivor = keyword_index.load_keyword_index(settings)
    assert survivor is not None and survivor.version == before.version
    assert survivor.ids == before.ids

    # the next ingest notices the index no longer matches the collection and rebuilds it
    ingest_paths([docs], settings)
    repaired = keyword_index.load_keyword_index(settings)
    assert repaired is not None and len(repaired.ids) < len(before.ids)
