"""Numeric command-line values checked where they are parsed: a value out of range is
argparse's one-line usage error (exit 2) naming the flag and what it allows, never a
silent default or a wrong answer later."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TypeVar

Number = TypeVar("Number", int, float)

MAX_K = 50  # as DOCENT_K (core/settings.py): more passages never fit a small model's window
MAX_FETCH_K = 1000  # candidates per retriever (default 20): 50× that is a typo, not tuning
MAX_WEIGHT = 100.0  # fusion weights are relative: 100 against 1 already ignores the other
MAX_WAIT_S = 7 * 24 * 3600.0  # a week: anything longer is a typo, not a wish


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
port = bounded(int, 1, 65535)
