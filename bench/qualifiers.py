"""The qualifier set (tests/qualifier_cases.py) asked of a real model: the share of cases
whose shown answer is right, English and Korean.

    .venv/bin/python bench/qualifiers.py [--model packaged:gemma3-270m] [--details FILE]

Each case's document is one passage. The evidence is chosen as `find_evidence` does (the
question's words weighted by a BM25 index of the cases, the evidence model's cosines and
floor), the model answers as `generate` does (`graphs.nodes.answer_with`: greedy, the
production prompt and checks), and `judged_right` scores what the reader sees. No answer
cache. Target: 0.95 or more with the default model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.resources import Resources  # noqa: E402
from core.settings import Settings  # noqa: E402
from graphs.evidence import cosine_similarity, evidence_for  # noqa: E402
from graphs.nodes import answer_with  # noqa: E402
from graphs.prompts import REFUSALS, language  # noqa: E402
from graphs.references import evidence_refs  # noqa: E402
from tests.qualifier_cases import ENGLISH, KOREAN, Case, case_index, judged_right  # noqa: E402


def shown_answer(resources: Resources, case: Case) -> dict:
    """What the reader is shown for the case, through docent's own evidence and answer."""
    from langchain_core.documents import Document

    docs = [Document(case.document, metadata={"source": "case.txt"})]
    similarity = cosine_similarity(resources.evidence_embeddings(), case.question)
    sentences = evidence_for(case.question, docs, case_index(), similarity,
                             resources.evidence_cosine_floor())
    if not sentences:
        return {"answer": REFUSALS[language(case.question)], "answer_kind": "refusal"}
    return answer_with(resources.model(), case.question, docs, evidence_refs(sentences, docs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="DOCENT_LLM_MODEL (default: docent's)")
    parser.add_argument("--details", type=Path, help="one JSON line per case")
    args = parser.parse_args()
    update = {"answer_cache": False} | ({"llm_model": args.model} if args.model else {})
    resources = Resources(Settings().model_copy(update=update))
    print(f"model {resources.settings.llm_model}")
    details = args.details.open("w", encoding="utf-8") if args.details else None
    for name, cases in (("English", ENGLISH), ("Korean", KOREAN)):
        right, seconds = 0, []
        for case in cases:
            started = time.perf_counter()
            shown = shown_answer(resources, case)
            seconds.append(time.perf_counter() - started)
            ok = judged_right(case, shown)
            right += ok
            if details is not None:
                details.write(json.dumps({"question": case.question, "right": ok,
                                          "answer": shown["answer"],
                                          "answer_kind": shown["answer_kind"],
                                          "draft": shown.get("draft")},
                                         ensure_ascii=False) + "\n")
        seconds.sort()
        print(f"{name:<8} {right}/{len(cases)} right ({right / len(cases):.3f}), "
              f"p50 {seconds[len(seconds) // 2]:.2f} s a case")
    if details is not None:
        details.close()


if __name__ == "__main__":
    main()
