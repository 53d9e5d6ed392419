"""The packaged GGUF is hashed once, not at every load: a stamp beside it remembers the
check until the file changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.model_files import _note_verified, _verified, has_chat_template, resolve_gguf


def test_a_verified_file_is_trusted_until_it_changes(tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    assert not _verified(model, "abc")
    _note_verified(model, "abc")
    assert _verified(model, "abc")
    assert not _verified(model, "another sha256")
    model.write_bytes(b"GGUF" + b"\1" * 64)
    stat = model.stat()
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert not _verified(model, "abc")


def test_packaged_models_have_the_prompt_style_their_metadata_says() -> None:
    gemma, smollm2 = resolve_gguf("packaged:gemma3-270m"), resolve_gguf("packaged:smollm2")
    assert (gemma.style, smollm2.style) == ("completion", "chat")
    assert not has_chat_template(gemma.path)
    assert has_chat_template(smollm2.path)


def _split_packages(root: Path, parts: list[bytes]) -> None:
    """Packages `splitpartN` holding `data/partNN.bin`, as the Qwen parts ship."""
    for number, data in enumerate(parts, start=1):
        folder = root / f"splitpart{number}" / "data"
        folder.mkdir(parents=True)
        (folder.parent / "__init__.py").write_text("")
        (folder / f"part{number:02d}.bin").write_bytes(data)


def test_a_split_model_is_joined_in_part_order_verified_and_then_trusted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    from core.model_files import SplitGGUF, _joined

    parts = [b"GGUF" + b"a" * 10, b"b" * 7, b"c" * 3]
    whole = b"".join(parts)
    _split_packages(tmp_path / "site", parts)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    split = SplitGGUF("m.gguf", "splitpart", parts=3, size=len(whole),
                      sha256=hashlib.sha256(whole).hexdigest(), extra="m")
    joined = _joined(split)
    assert joined == tmp_path / "cache" / "docent" / "m.gguf"
    assert joined.read_bytes() == whole and _verified(joined, split.sha256)
    (tmp_path / "site" / "splitpart2" / "data" / "part02.bin").unlink()
    assert _joined(split) == joined  # trusted by its stamp: the parts are not read again


def test_a_split_model_that_does_not_match_its_sha256_is_named_and_not_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.errors import ModelNotFoundError
    from core.model_files import SplitGGUF, _joined

    _split_packages(tmp_path / "site", [b"GGUF", b"tampered"])
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    split = SplitGGUF("m.gguf", "splitpart", parts=2, size=12, sha256="0" * 64, extra="m")
    with pytest.raises(ModelNotFoundError, match=r"m\.gguf: the joined parts are 12 bytes"):
        _joined(split)
    assert list((tmp_path / "cache" / "docent").iterdir()) == []
    missing = SplitGGUF("m.gguf", "splitpart", parts=3, size=12, sha256="0" * 64, extra="m")
    with pytest.raises(ModelNotFoundError, match=r"pip install 'docent\[m\]'"):
        _joined(missing)
