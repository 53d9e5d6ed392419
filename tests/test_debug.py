"""`--debug`, `--verbose` and `--stats`: see every step of a real run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

QUESTION = "How many days of paid annual leave do full-time employees get?"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.slow
@pytest.mark.llm
def test_debug_shows_the_retriever_input_and_the_model_output_and_stats(
    sample_env: Path,
) -> None:
    env = {**os.environ, "DOCENT_ANSWER_CACHE": "false", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "app", "--debug", "--stats", "ask", QUESTION],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    out = ANSI.sub("", done.stdout)

    # --debug prints every step's inputs and outputs: the question, and the prompt with
    # the passage that holds the answer
    assert out.count(QUESTION) > 2 and "18 days of paid annual leave" in out

    table = out.rsplit("node ", 1)[1].splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in table[1:] if line.strip()}
    assert set(rows) == {"retrieve", "select", "find_evidence", "generate", "total"}
    seconds, prompt_tokens, output_tokens = rows["generate"]
    assert float(seconds) > 0 and int(prompt_tokens) > 100 and int(output_tokens) > 0


def test_verbose_and_debug_flags_switch_langchain_globals() -> None:
    probe = ("from langchain_core.globals import get_debug, get_verbose\n"
             "from app.cli import _langchain_debug_modes, _parser\n"
             "_langchain_debug_modes(_parser().parse_args(['--verbose', 'models']))\n"
             "print(get_verbose(), get_debug())\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out.split() == ["True", "False"]


def test_run_stats_forgets_a_failed_model_call() -> None:
    from uuid import uuid4

    from core.run_stats import RunStats

    stats, run = RunStats(), uuid4()
    stats.on_llm_start(None, ["a prompt"], run_id=run, metadata={"langgraph_node": "generate"})
    stats.on_llm_error(RuntimeError("model crashed"), run_id=run)
    assert stats._llm_nodes == {}
