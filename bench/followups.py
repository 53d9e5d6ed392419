"""Follow-up rewriting, scored on tests/followup_cases.jsonl: docent's rules
(graphs/chat_followup.py), the rule they replaced, and optionally the configured model.

    .venv/bin/python bench/followups.py [--cases FILE] [--model] [--limit N] [--details FILE]

Each case is an earlier question (answered or refused), maybe earlier turns, a follow-up,
and the standalone question a person would write (the follow-up itself when it must not
change). Reported per method: right (the exact rewrite), the decision right (rewritten
exactly when it should be), by language and kind, and the rules' misses. `--model` asks the
configured model (default: packaged Gemma 3 270M, llama.cpp) to rewrite each follow-up whose
earlier turn was answered, with three worked examples from outside the cases; it is a
quality figure, slow on a busy machine (`--limit` takes the first N cases).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.index.tokens import mostly_hangul  # noqa: E402
from graphs.chat_followup import Turn, rewrite_followup  # noqa: E402
from tests.test_followups import CASES_FILE, case_turns, load_cases  # noqa: E402

Method = Callable[[str, list[Turn]], str]
KINDS = ("ellipsis", "pronoun", "standalone", "shift", "refused", "chained")

EXAMPLES = [
    ("How many cups does the espresso machine make per hour?", "Who repairs it?",
     "Who repairs the espresso machine?"),
    ("What time does the bakery open on weekdays?", "What about Sundays?",
     "What time does the bakery open on Sundays?"),
    ("How long is the warranty on the grinder?", "Where is the staff room?",
     "Where is the staff room?"),
]
MODEL_PROMPT = ("Rewrite the last question so that it can be understood without the earlier "
                "one. If it already can, repeat it unchanged.\n\n")


# the rule before rewrite_followup: a question that refers back (a pronoun, an elliptic
# opener, a Korean demonstrative) follows the earlier question typed
REFERS_BACK = re.compile(
    r"\b(it|its|it's|that|this|those|these|they|them|their|there|then|he|she|him|her|his|"
    r"the same|the former|the latter)\b|^(and|also|what about|how about)\b"
    r"|(그것|그거|그게|그건|거기|그곳|그때|그분|그 사람|그런|이것|이거|이게|저것|저거|그럼|그러면)"
    r"|^그\s|[은는]요\s*\??$", re.IGNORECASE)


def concatenated(question: str, turns: list[Turn]) -> str:
    """The rule before: a question that refers back follows the earlier question typed."""
    if turns and REFERS_BACK.search(question.strip()):
        return f"{turns[-1].question.strip()} {question.strip()}"
    return question


def model_rewrite() -> Method:
    """The configured model, asked with worked examples; refused and first turns are not
    asked (the doors leave those alone)."""
    from core.llm import load_model
    from core.settings import Settings

    loaded = load_model(Settings(answer_cache=False))
    model = loaded.model.model_copy(update={"stop": ["\n"], "max_tokens": 48})
    shots = "".join(f"Earlier question: {earlier}\nLast question: {last}\n"
                    f"Standalone question: {rewritten}\n\n"
                    for earlier, last, rewritten in EXAMPLES)

    def rewrite(question: str, turns: list[Turn]) -> str:
        if not turns or turns[-1].refused:
            return question
        prompt = (f"{MODEL_PROMPT}{shots}Earlier question: {turns[-1].question}\n"
                  f"Last question: {question}\nStandalone question:")
        if loaded.style == "chat":
            return str(model.invoke(prompt).content).strip() or question
        return str(model.invoke(prompt)).strip() or question

    return rewrite


def score(method: Method, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for case in cases:
        got = method(case["followup"], case_turns(case))
        should = case["rewrite"] != case["followup"]
        rows.append({**case, "got": got, "right": got == case["rewrite"],
                     "decided": (got != case["followup"]) == should})
    return rows


def report(name: str, rows: list[dict[str, Any]]) -> None:
    def share(picked: list[dict[str, Any]], key: str) -> str:
        return f"{sum(r[key] for r in picked)}/{len(picked)}"

    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups["ko" if mostly_hangul(row["followup"]) else "en"].append(row)
        groups[row["kind"]].append(row)
    parts = " | ".join(share(groups[g], "right") for g in ("en", "ko", *KINDS))
    print(f"| {name} | {share(rows, 'right')} | {share(rows, 'decided')} | {parts} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=CASES_FILE,
                        help="another case file in the same form (e.g. new, unseen cases)")
    parser.add_argument("--model", action="store_true", help="also the configured model")
    parser.add_argument("--limit", type=int, help="the first N cases only")
    parser.add_argument("--details", type=Path, help="write every rewrite (JSONL)")
    args = parser.parse_args()
    cases = load_cases(args.cases)[:args.limit]
    methods: dict[str, Method] = {"rules": rewrite_followup, "earlier + follow-up": concatenated}
    if args.model:
        methods["model"] = model_rewrite()
    print(f"{len(cases)} cases from {args.cases.name}")
    print(f"| method | right | decision right | en | ko | {' | '.join(KINDS)} |")
    print("|---|---|---|---|---|" + "---|" * len(KINDS))
    scored = {name: score(method, cases) for name, method in methods.items()}
    for name, rows in scored.items():
        report(name, rows)
    for row in scored["rules"]:
        if not row["right"]:
            print(f"rules miss: {row['followup']!r} after {row['previous']!r}: "
                  f"{row['got']!r}, wanted {row['rewrite']!r}")
    if args.details:
        with args.details.open("w", encoding="utf-8") as out:
            for name, rows in scored.items():
                for row in rows:
                    out.write(json.dumps({"method": name, **row}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
