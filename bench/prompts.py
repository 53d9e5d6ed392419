"""Prompt variants for the packaged Gemma 3 270M, measured on the tuning halves: what the
model drafts and what the user is shown.

    .venv/bin/python bench/prompts.py [--limit 100] [--seed 5] [--datasets squad korquad]
                                      [--variants NAME ...] [--details FILE]

For `--limit` answerable questions of each tuning half (SQuAD's even dev articles, every
other one; KorQuAD's even articles, every other one: its odd articles are never read), the
default retrieve → select → evidence path runs once; then every variant builds its prompt
(evidence or passages, examples, instructions), the real model completes it (greedy, the
production sampler; one load), and the draft goes through `graphs.answer_check.decide`
with `quotes_only` as for the packaged model. Reported per variant: the draft's share
holding a gold answer and its F1 (SQuAD's, KorQuAD's character F1), and of the shown answer
(refusals count as misses): contains / EM / F1, the share shown as the model's answer, mean
characters, the paired count of questions whose shown answer newly holds (+) or loses (−)
a gold answer against the first variant run (the current prompt), and the median generate
time. Say the load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.answer_metrics import contains_gold, exact_match, token_f1  # noqa: E402
from app.benchmarks import Benchmark  # noqa: E402
from app.eval import build_store, ranked_chunks  # noqa: E402
from bench.evidence import questions as sample_questions  # noqa: E402
from core.index.tokens import mostly_hangul  # noqa: E402
from core.llm import COMPLETION_STOP, LoadedModel, load_model  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.tuning import TUNING  # noqa: E402
from graphs.answer_check import decide  # noqa: E402
from graphs.budget import fit_evidence  # noqa: E402
from graphs.context import Context  # noqa: E402
from graphs.evidence import chosen_evidence  # noqa: E402
from graphs.prompts import INSTRUCTIONS, REFUSALS, Example, completion_prompt  # noqa: E402
from graphs.references import evidence_refs  # noqa: E402

# two more worked examples per language, in the style of docent's sample documents (data/):
# two evidence sentences, the answer a short span of one of them
MORE_EXAMPLES: dict[str, list[Example]] = {
    "en": [("[1] The drum roaster holds 12 kilograms of green beans.\n[2] A full batch loses "
            "about 15 percent of its weight during roasting.",
            "How much weight does a batch lose during roasting?", "about 15 percent"),
           ("[1] Medium roast ends at 218 °C and is used for the house blend \"Orbit\".\n"
            "[2] Each batch is logged with the roaster's initials.",
            "Which roast is used for the house blend?", "Medium roast")],
    "ko": [("[1] 원두는 200그램과 1킬로그램 단위로 판매합니다.\n[2] 구매한 원두는 요청하면 "
            "무료로 분쇄해 드립니다.", "원두는 어떤 단위로 판매하나요?", "200그램과 1킬로그램"),
           ("[1] 오빗 커피 로스터스는 부산 해운대에 있는 작은 로스터리 카페입니다.\n"
            "[2] 매월 첫째 주 월요일은 정기 휴무일입니다.",
            "오빗 커피 로스터스는 어디에 있나요?", "부산 해운대")],
}
# the default instructions with their first sentence asking for the fewest words
FEWEST_WORDS = {
    "en": INSTRUCTIONS["en"].replace(
        "Answer the question with a short phrase copied from the numbered text.",
        "Answer the question in as few words as possible: copy the shortest span of the "
        "numbered text that answers it (a name, a number, a date), never a whole sentence."),
    "ko": INSTRUCTIONS["ko"].replace(
        "번호가 붙은 글에서 그대로 옮긴 짧은 구절로 질문에 답하세요.",
        "가능한 한 적은 단어로 질문에 답하세요. 번호가 붙은 글에서 답이 되는 가장 짧은 "
        "부분(이름, 숫자, 날짜)만 그대로 옮기고, 문장 전체를 쓰지 마세요."),
}


@dataclass(frozen=True)
class Variant:
    """What one prompt variant changes: the texts it numbers, examples, instructions,
    stop sequences and answer length (None: the defaults)."""

    texts: str = "evidence"  # "evidence" (both sentences), "first" (sentence 1), "passages"
    examples: Callable[[str], list[Example]] | None = None
    instructions: dict[str, str] | None = None
    stop: list[str] = field(default_factory=lambda: list(COMPLETION_STOP))
    max_tokens: int = TUNING.max_tokens


def _three_shot(lang: str) -> list[Example]:
    from graphs.prompts import EXAMPLES

    return EXAMPLES[lang] + MORE_EXAMPLES[lang]


VARIANTS: dict[str, Variant] = {
    "current (2 evidence sentences, one-shot, stop \\n, 256 tokens)": Variant(),
    "first evidence sentence only": Variant(texts="first"),
    "full selected passages": Variant(texts="passages"),
    "zero-shot": Variant(examples=lambda lang: []),
    "three-shot": Variant(examples=_three_shot),
    "fewest-words instruction": Variant(instructions=FEWEST_WORDS),
    "three-shot + fewest words": Variant(examples=_three_shot, instructions=FEWEST_WORDS),
    "first sentence + three-shot": Variant(texts="first", examples=_three_shot),
    "max_tokens 16": Variant(max_tokens=16),
    "stop \\n and \".\"": Variant(stop=[*COMPLETION_STOP, "."]),
}


@dataclass
class Question:
    """One question with what the default path chose for it (no evidence: refused)."""

    id: str
    question: str
    gold: list[str]
    korean: bool
    passages: list[str]
    evidence: list[Any]


def prepare(settings: Settings, bench: Benchmark, golds: dict[str, list[str]]) -> list[Question]:
    """Retrieve, select and find the evidence once per question, as the graph does."""
    resources = build_store(settings, bench)
    questions = []
    for query in bench.queries:
        docs = ranked_chunks(resources, query.question, Context(), select=True)
        chosen = chosen_evidence(resources, query.question, docs)
        questions.append(Question(query.id, query.question, golds.get(query.id, []),
                                  mostly_hangul(query.question),
                                  [d.page_content for d in docs], evidence_refs(chosen, docs)))
    return questions


def answer(loaded: LoadedModel, variant: Variant, q: Question) -> tuple[str, dict, float]:
    """The variant's draft, what `decide` shows for it, and the generate seconds."""
    lang = "ko" if q.korean else "en"
    texts = {"evidence": [e["text"] for e in q.evidence], "first": [q.evidence[0]["text"]],
             "passages": q.passages}[variant.texts]
    template = completion_prompt(lang, variant.examples(lang) if variant.examples else None,
                                 (variant.instructions or {}).get(lang))
    model = loaded.model.model_copy(update={"stop": variant.stop,
                                            "max_tokens": variant.max_tokens})
    fitted = fit_evidence(loaded, q.question, texts, template)
    started = time.perf_counter()
    draft = str(model.invoke(fitted.prompt)).strip()
    seconds = time.perf_counter() - started
    evidence = q.evidence if variant.texts == "passages" else q.evidence[:len(fitted.kept)]
    shown = decide(draft, q.question, evidence, "\n".join(q.passages), quotes_only=True)
    return draft, shown, seconds


def score(rows: list[dict[str, Any]]) -> dict[str, float]:
    n = max(len(rows), 1)

    def mean(key: str) -> float:
        return sum(r[key] for r in rows) / n

    shown = [r for r in rows if not r["refused"]]
    return {"draft_contains": mean("draft_contains"), "draft_f1": mean("draft_f1"),
            "contains": mean("contains"), "em": mean("em"), "f1": mean("f1"),
            "shown_as_answer": sum(r["kind"] == "answer" for r in rows) / n,
            "chars": sum(len(r["answer"]) for r in shown) / max(len(shown), 1),
            "generate_s_p50": statistics.median([r["seconds"] for r in rows if r["seconds"]]
                                                or [0.0])}


def run(loaded: LoadedModel, name: str, variant: Variant, questions: list[Question]
        ) -> list[dict[str, Any]]:
    rows = []
    for q in questions:
        if not q.evidence:  # refused before the model, whatever the prompt
            rows.append({"id": q.id, "variant": name, "draft": "", "answer": REFUSALS["en"],
                         "kind": "refusal", "refused": True, "seconds": 0.0,
                         "draft_contains": False, "draft_f1": 0.0, "contains": False,
                         "em": 0.0, "f1": 0.0})
            continue
        draft, shown, seconds = answer(loaded, variant, q)
        text = shown["answer"]
        rows.append({"id": q.id, "variant": name, "draft": draft, "answer": text,
                     "kind": shown["answer_kind"], "refused": shown["refused"],
                     "seconds": seconds,
                     "draft_contains": contains_gold(draft, q.gold, q.korean),
                     "draft_f1": token_f1(draft, q.gold, q.korean),
                     "contains": not shown["refused"] and contains_gold(text, q.gold, q.korean),
                     "em": 0.0 if shown["refused"] else exact_match(text, q.gold, q.korean),
                     "f1": 0.0 if shown["refused"] else token_f1(text, q.gold, q.korean)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--datasets", nargs="+", choices=["squad", "korquad"],
                        default=["squad", "korquad"])
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--details", type=Path, help="write every draft and answer (JSONL)")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    settings = Settings(answer_cache=False)
    loaded = load_model(settings)
    details = args.details.open("w", encoding="utf-8") if args.details else None
    for dataset in args.datasets:
        bench, golds = sample_questions(dataset, args.shared, "tuning", args.limit, 0,
                                        args.seed)
        questions = prepare(settings, bench, golds)
        refused = sum(not q.evidence for q in questions)
        print(f"\n{bench.name}, tuning half, seed {args.seed}: {len(questions)} answerable "
              f"questions, {refused} refused at the evidence step (the same for every variant); "
              f"load average {os.getloadavg()[0]:.1f} at the start", flush=True)
        print("| variant | draft contains | draft F1 | shown contains | shown EM / F1 | "
              "shown as answer | mean chars | contains vs current | generate p50 s |")
        print("|---|---|---|---|---|---|---|---|---|")
        baseline: list[bool] = []
        for name in args.variants:
            rows = run(loaded, name, VARIANTS[name], questions)
            if details is not None:
                for row in rows:
                    details.write(json.dumps({"dataset": dataset, **row}, ensure_ascii=False)
                                  + "\n")
            hits = [bool(r["contains"]) for r in rows]
            baseline = baseline or hits
            gained = sum(h and not b for h, b in zip(hits, baseline, strict=True))
            lost = sum(b and not h for h, b in zip(hits, baseline, strict=True))
            s = score(rows)
            print(f"| {name} | {s['draft_contains']:.2f} | {s['draft_f1']:.2f} | "
                  f"{s['contains']:.2f} | {s['em']:.2f} / {s['f1']:.2f} | "
                  f"{s['shown_as_answer']:.2f} | {s['chars']:.0f} | +{gained} −{lost} | "
                  f"{s['generate_s_p50']:.2f} |", flush=True)
        print(f"load average {os.getloadavg()[0]:.1f} at the end", flush=True)
    if details is not None:
        details.close()


if __name__ == "__main__":
    main()
