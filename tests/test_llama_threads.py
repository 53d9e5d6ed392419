"""llama.cpp loads with OpenMP's idle threads sleeping (core/model_files.load_llama_cpp):
spinning workers slowed a warm ask 4x on a busy 2-core machine. A user's own value stays."""

from __future__ import annotations

import os

import pytest

from core.model_files import load_llama_cpp


def test_llama_cpp_loads_with_passive_openmp_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    assert load_llama_cpp().__name__ == "llama_cpp"
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"


def test_a_wait_policy_the_user_set_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    load_llama_cpp()
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
