"""Numeric command-line values checked where they are parsed: a value out of range is
argparse's one-line usage error (exit 2) naming the flag and what it allows, never a
silent default or a wrong answer later."""

from __future__ import annotations

import argparse
import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from pydantic import ValidationError

Number = TypeVar("Number", int, float)

MAX_K = 50  # as DOCENT_K (core/settings.py): more passages never fit a small model's window
MAX_FETCH_K = 1000  # candidates per retriever; the store answers 1000 in well under a second
MAX_WEIGHT = 100.0  # fusion weights are relative: 100 against 1 already ignores the other
MAX_WAIT_S = 7 * 24 * 3600.0  # a week: anything longer is a typo, not a wish
# settings of earlier versions that have a successor (docs/configuration.md lists them all)
RENAMED = {"DOCENT_N_CTX": "DOCENT_LLM_CONTEXT_WINDOW", "DOCENT_N_THREADS": "DOCENT_LLM_THREADS",
           "DOCENT_N_GPU_LAYERS": "DOCENT_LLM_GPU_LAYERS",
           "DOCENT_LLM_CACHE": "DOCENT_ANSWER_CACHE",
           "DOCENT_CHROMA_AUTH_TOKEN": "DOCENT_CHROMA_TOKEN",
           "DOCENT_OLLAMA_BASE_URL": "DOCENT_LLM_URL", "DOCENT_OPENAI_BASE_URL": "DOCENT_LLM_URL",
           "DOCENT_OPENAI_API_KEY": "DOCENT_LLM_API_KEY"}
TEST_HOOKS = ("DOCENT_KILL_POINT", "DOCENT_KILL_NTH", "DOCENT_HOLD")  # the tests' hooks


def _allowed(low: float, high: float | None) -> str:
    return f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"


def bounded(kind: Callable[[str], Number], low: Number, high: Number | None = None
            ) -> Callable[[str], Number]:
    """An argparse `type` that accepts a finite `kind` number in [low, high]."""
    name = "an integer" if kind is int else "a number"

    def parse(text: str) -> Number:
        allowed = _allowed(low, high)
        try:
            value = kind(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not {name} (allowed: {allowed})") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not finite (allowed: {allowed})")
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{text} is out of range (allowed: {allowed})")
        return value

    parse.__name__ = name  # argparse names the type in some of its messages
    parse.bounds = (low, high)  # type: ignore[attr-defined]  # what tests/test_cli_surface.py checks
    return parse


passages = bounded(int, 1, MAX_K)
candidates = bounded(int, 1, MAX_FETCH_K)
weight = bounded(float, 0.0, MAX_WEIGHT)
seconds = bounded(float, 0.0, MAX_WAIT_S)
count = bounded(int, 1)
non_negative = bounded(int, 0)


def settings_problems(exc: ValidationError) -> str:
    """Every bad DOCENT_* value of `exc` on one line: the setting, its value, what is allowed."""
    problems = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        if not error["loc"]:  # a rule across settings: its message names them
            problems.append(message)
            continue
        name = "_".join(map(str, error["loc"])).upper()
        name = name if name.startswith("DOCENT_") else f"DOCENT_{name}"
        allowed = message[0].lower() + message[1:]
        value = error.get("input")
        problems.append(f"{name}={value or repr(value)} is not allowed: {allowed}")
    return "; ".join(problems)


def unknown_settings(environ: Mapping[str, str], known: Iterable[str]) -> list[str]:
    """A warning for each DOCENT_* variable that is no setting (a typo is silently ignored
    otherwise), naming the closest setting when there is one."""
    names = {f"DOCENT_{name.upper()}" for name in known}
    warnings = []
    for variable in sorted(v for v in environ if v.startswith("DOCENT_") and v not in names):
        if variable in TEST_HOOKS:
            continue
        if variable in RENAMED:
            warnings.append(f"{variable} is ignored: it is now called {RENAMED[variable]}")
            continue
        close = difflib.get_close_matches(variable.removeprefix("DOCENT_"),
                                          sorted(n.removeprefix("DOCENT_") for n in names),
                                          n=1, cutoff=0.6)
        hint = f"did you mean DOCENT_{close[0]}? " if close else ""
        warnings.append(f"{variable} is not a docent setting and is ignored ({hint}"
                        "the settings are listed in .env.example)")
    return warnings
