"""Every flag of every subcommand and every DOCENT_* setting, given out-of-range, negative,
empty and absurd values: each is either refused with one line (exit 2, no traceback) or
taken within its documented range, never silently turned into something else.

In-process for the whole surface (argparse and the settings parser are where values are
checked); a few representative cases run as real commands."""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from annotated_types import Ge, Gt, Le, Lt

from app.cli import _parser, load_settings
from core.errors import DocentError
from core.settings import Settings
from tests.helpers import ROOT

BAD_NUMBERS = ["0", "-1", "-3", "", " ", "abc", "1.5", "nan", "inf", "-inf", "1e309",
               "9" * 30, "0x10", "4 4"]
BAD_SETTING_VALUES = [*BAD_NUMBERS, "-99999", "true", "None", "null", "/", "a b c", "é" * 600]
# what each command needs besides the flag under test
REQUIRED = {"ingest": ["some/path"], "ask": ["a question"], "eval": ["--corpus", "c.jsonl"],
            "chat": [], "models": [], "doctor": [], "serve": [], "mcp": []}


def _commands() -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _valued_flags() -> list[tuple[str, str, Any]]:
    """(command, flag, type) of every option that takes a value, global ones under 'ask'."""
    flags = [("ask", a.option_strings[-1], a.type) for a in _parser()._actions
             if a.option_strings and a.nargs != 0 and a.dest != "help"]
    for command, parser in _commands().items():
        flags += [(command, a.option_strings[-1], a.type) for a in parser._actions
                  if a.option_strings and a.nargs != 0 and a.dest != "help"]
    return flags


def _parse(argv: list[str], capsys: pytest.CaptureFixture[str]
           ) -> tuple[argparse.Namespace | None, str]:
    try:
        return _parser().parse_args(argv), ""
    except SystemExit as exc:
        err = capsys.readouterr().err
        assert exc.code == 2, (argv, exc.code, err)
        return None, err


def test_every_numeric_flag_is_range_checked() -> None:
    numeric = [(c, f) for c, f, kind in _valued_flags()
               if kind in (int, float) or hasattr(kind, "bounds")]
    assert len(numeric) >= 12
    unchecked = [(c, f) for c, f, kind in _valued_flags() if kind in (int, float)]
    assert unchecked == [], "a bare int/float flag takes any value"


@pytest.mark.parametrize("command,flag,kind", _valued_flags(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_a_flag_refuses_or_takes_in_range(command: str, flag: str, kind: Any,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    is_global = flag in ("--log-level",)
    for value in BAD_NUMBERS:
        head = [f"{flag}={value}"] if is_global else []
        tail = [] if is_global else [f"{flag}={value}"]
        argv = [*head, command, *REQUIRED[command], *tail]
        if command == "eval" and flag in ("--corpus", "--squad-json"):
            argv = [*head, command, *tail]
        args, err = _parse(argv, capsys)
        assert "Traceback" not in err
        if args is None:
            assert flag in err or "argument" in err, err
            assert err.strip().splitlines()[-1].startswith(f"docent {command}: error:"
                                                           if not is_global else "docent: error:")
            continue
        taken = getattr(args, flag.lstrip("-").replace("-", "_"))
        bounds = getattr(kind, "bounds", None)
        if bounds is not None:
            low, high = bounds
            assert math.isfinite(taken) and taken >= low and (high is None or taken <= high), (
                flag, value, taken)


def test_k_zero_negative_and_fetch_k_negative_name_the_range(
        capsys: pytest.CaptureFixture[str]) -> None:
    for argv, flag in ([["ask", "q", "-k", "0"], "-k"], [["ask", "q", "-k", "-3"], "-k"],
                       [["ask", "q", "--fetch-k", "-1"], "--fetch-k"],
                       [["chat", "-k", "51"], "-k"]):
        args, err = _parse(argv, capsys)
        assert args is None, argv
        assert f"argument {flag}:" in err and "allowed: from 1 to" in err, err


def _setting_fields() -> list[str]:
    return sorted(Settings.model_fields)


def _bounds(name: str) -> tuple[float | None, float | None]:
    low = high = None
    for rule in Settings.model_fields[name].metadata:
        if isinstance(rule, Ge | Gt):
            low = rule.ge if isinstance(rule, Ge) else rule.gt
        if isinstance(rule, Le | Lt):
            high = rule.le if isinstance(rule, Le) else rule.lt
    return low, high  # type: ignore[return-value]


@pytest.mark.parametrize("name", _setting_fields())
def test_a_setting_refuses_in_one_line_or_takes_in_range(
        name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for key in [k for k in os.environ if k.startswith("DOCENT_")]:
        monkeypatch.delenv(key)
    variable = f"DOCENT_{name.upper()}"
    for value in BAD_SETTING_VALUES:
        monkeypatch.setenv(variable, value)
        try:
            settings = load_settings(no_cache=False)
        except DocentError as exc:
            message = str(exc)
            assert "\n" not in message and variable in message, message
            continue
        taken = getattr(settings, name)
        if isinstance(taken, int | float) and not isinstance(taken, bool):
            low, high = _bounds(name)
            assert low is not None and high is not None, f"{variable} has no range"
            assert math.isfinite(taken) and low <= taken <= high, (variable, value, taken)


def test_every_numeric_setting_has_a_range() -> None:
    for name, field in Settings.model_fields.items():
        if field.annotation in (int, float, int | None):
            low, high = _bounds(name)
            assert low is not None and high is not None, name


def test_setting_errors_name_the_value_and_the_rule(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for variable, value, rule in [
            ("DOCENT_LLM_CONTEXT_WINDOW", "64", "greater than or equal to 256"),
            ("DOCENT_CHUNK_SIZE", "10", "greater than or equal to 50"),
            ("DOCENT_K", "", "valid integer"),
            ("DOCENT_MAX_FILE_MB", "inf", "finite")]:
        monkeypatch.setenv(variable, value)
        with pytest.raises(DocentError) as caught:
            load_settings(no_cache=False)
        assert f"{variable}={value or repr(value)} is not allowed" in str(caught.value)
        assert rule in str(caught.value)
        monkeypatch.delenv(variable)
    monkeypatch.setenv("DOCENT_CHUNK_SIZE", "300")
    monkeypatch.setenv("DOCENT_CHUNK_OVERLAP", "300")
    with pytest.raises(DocentError, match="DOCENT_CHUNK_OVERLAP=300 must be smaller"):
        load_settings(no_cache=False)


# (argv, extra environment): a few of each kind, as the user runs them
REAL_RUNS: list[tuple[list[str], dict[str, str]]] = [
    (["ask", "q", "-k", "0"], {}),
    (["ask", "q", "-k", "-3"], {}),
    (["ask", "q", "--fetch-k", "-1"], {}),
    (["ingest", "x", "--wait", "nan"], {}),
    (["eval", "--corpus", "c", "--limit", "0"], {}),
    (["doctor"], {"DOCENT_LLM_CONTEXT_WINDOW": "64"}),
    (["ingest", "x"], {"DOCENT_CHUNK_SIZE": "10"}),
    (["ask", "q"], {"DOCENT_K": "abc"}),
    (["ask", ""], {}),
]


@pytest.mark.parametrize("argv,env", REAL_RUNS, ids=lambda v: " ".join(v) if isinstance(
    v, list) else ",".join(f"{k}={x}" for k, x in v.items()))
def test_real_command_fails_in_one_line(argv: list[str], env: dict[str, str],
                                        tmp_path: Path) -> None:
    environ = {**os.environ, "DOCENT_DATA_DIR": str(tmp_path / "data"), **env}
    done = subprocess.run([sys.executable, "-m", "app", *argv], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, (argv, done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert "error:" in done.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "data").exists(), "refused before anything was touched"


def test_a_misspelt_setting_is_named_not_silently_ignored(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DOCENT_CHUNKSIZE", "300")
    monkeypatch.setenv("DOCENT_N_CTX", "64")
    load_settings(no_cache=False)
    err = capsys.readouterr().err
    assert ("DOCENT_CHUNKSIZE is not a docent setting and is ignored (did you mean "
            "DOCENT_CHUNK_SIZE?") in err
    assert "DOCENT_N_CTX is ignored: it is now called DOCENT_LLM_CONTEXT_WINDOW" in err
    assert err.count("\n") == 2
