from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings


def test_defaults_are_the_embedded_offline_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCENT_DATA_DIR", raising=False)
    settings = Settings(_env_file=None)
    assert settings.data_dir == Path(".docent")
    assert settings.llm_backend == "llamacpp"
    assert settings.embedding_model == "packaged:all-MiniLM-L6-v2"
    assert settings.chroma_dir == Path(".docent/chroma")


def test_env_prefix_and_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DOCENT_K=7\nDOCENT_LLM_BACKEND=ollama\nDOCENT_LLM_URL=http://h:1\n")
    monkeypatch.setenv("DOCENT_CHUNK_SIZE", "500")
    settings = Settings(_env_file=env_file)
    assert (settings.k, settings.chunk_size) == (7, 500)
    assert settings.llm_backend == "ollama"
    assert settings.llm_endpoint == "http://h:1"
    assert Settings(_env_file=None, llm_backend="ollama").llm_endpoint == "http://127.0.0.1:11434"


def test_invalid_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCENT_LLM_BACKEND", "telepathy")
    with pytest.raises(ValidationError, match="llm_backend"):
        Settings(_env_file=None)


def test_few_user_settings() -> None:
    assert len(Settings.model_fields) <= 22  # tuning constants live in core/tuning.py


def test_every_setting_is_documented_in_env_example() -> None:
    example = (Path(__file__).parent.parent / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"DOCENT_{name.upper()}" in example, name


def test_api_key_is_not_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value")
    assert "sk-secret-value" not in repr(Settings(_env_file=None))
