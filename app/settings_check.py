"""DOCENT_* settings as the user gave them: a bad value is one line naming the setting,
its value and the rule; a variable that is no setting (renamed, misspelt) is named, not
silently ignored."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

# settings of earlier versions that have a successor (docs/configuration.md lists them all)
RENAMED = {"DOCENT_N_CTX": "DOCENT_LLM_CONTEXT_WINDOW", "DOCENT_N_THREADS": "DOCENT_LLM_THREADS",
           "DOCENT_N_GPU_LAYERS": "DOCENT_LLM_GPU_LAYERS",
           "DOCENT_LLM_CACHE": "DOCENT_ANSWER_CACHE",
           "DOCENT_CHROMA_AUTH_TOKEN": "DOCENT_CHROMA_TOKEN",
           "DOCENT_OLLAMA_BASE_URL": "DOCENT_LLM_URL", "DOCENT_OPENAI_BASE_URL": "DOCENT_LLM_URL",
           "DOCENT_OPENAI_API_KEY": "DOCENT_LLM_API_KEY"}
TEST_HOOKS = ("DOCENT_KILL_POINT", "DOCENT_KILL_NTH", "DOCENT_HOLD",  # the tests' hooks
              "DOCENT_TEST_DATABASE_URL")


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
