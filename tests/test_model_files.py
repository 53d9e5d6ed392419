"""The packaged GGUF is hashed once, not at every load: a stamp beside it remembers the
check until the file changes."""

from __future__ import annotations

import os
from pathlib import Path

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
