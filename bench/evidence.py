"""Evidence selection, measured without a model: how often the chosen sentence holds a gold
answer, on the tuning halves of SQuAD's and KorQuAD's even articles.

    .venv/bin/python bench/evidence.py [--limit 300] [--seed 1] [--split tuning]

For each question, the default retrieve → select path picks the passages; then each
weighting of `graphs.evidence.rank_sentences` picks a sentence. Reported: the share of
questions whose first (and first two) sentences hold a gold answer, and, among questions
whose selected passages hold no gold answer at all, nothing (they cannot be found).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.answer_metrics import gold_answers, normalize_answer  # noqa: E402
from app.benchmarks import (  # noqa: E402
    article_half,
    load_jsonl_benchmark,
    load_squad_benchmark,
    sample,
    with_unanswerable,
)
from app.eval import build_store  # noqa: E402
from core.settings import Settings  # noqa: E402
from graphs.context import Context  # noqa: E402
from graphs.evidence import (  # noqa: E402
    EVIDENCE_WEIGHTS,
    Similarity,
    cosine_similarity,
    rank_sentences,
)
from graphs.options import resolve  # noqa: E402
from graphs.retrieval import hybrid_search  # noqa: E402
from graphs.selection import select_passages  # noqa: E402

VARIANTS = {
    "coverage + rank": replace(EVIDENCE_WEIGHTS, cue=0.0, dense=0.0),
    "coverage + rank + cue 0.1": replace(EVIDENCE_WEIGHTS, dense=0.0, cue=0.1),
    "coverage + rank + dense 0.5": replace(EVIDENCE_WEIGHTS, cue=0.0, dense=0.5),
    "coverage + rank + cue 0.1 + dense 0.5": replace(EVIDENCE_WEIGHTS, cue=0.1, dense=0.5),
    "coverage + rank + cue 0.1 + dense 1.0": replace(EVIDENCE_WEIGHTS, cue=0.1, dense=1.0),
    "cue 0.1 + dense 0.5 on the 6 lexically best": replace(EVIDENCE_WEIGHTS, dense_candidates=6),
    "cue 0.1 + dense 0.5 on the 10 lexically best": replace(EVIDENCE_WEIGHTS,
                                                            dense_candidates=10),
}


def remembered(similarity: Similarity | None) -> Similarity | None:
    """The same cosines, each sentence embedded once across the variants."""
    if similarity is None:
        return None
    seen: dict[str, float] = {}

    def cached(texts: list[str]) -> list[float]:
        missing = [t for t in dict.fromkeys(texts) if t not in seen]
        if missing:
            seen.update(zip(missing, similarity(missing), strict=True))
        return [seen[t] for t in texts]

    return cached


def holds(text: str, golds: list[str]) -> bool:
    norm = normalize_answer(text)
    return any(normalize_answer(g) and normalize_answer(g) in norm for g in golds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--split", choices=["tuning", "reporting"], default="tuning")
    parser.add_argument("--unanswerable", type=int, default=100)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    squad = args.shared / "eval" / "squad-dev-even"
    korquad = args.shared / "eval" / "korquad" / "KorQuAD_v1.0_dev.json"
    sets = [(load_jsonl_benchmark(squad / "corpus.jsonl", squad / "queries.jsonl"),
             gold_answers(squad / "queries.jsonl")),
            (load_squad_benchmark(korquad, "even"), gold_answers(korquad))]
    settings = Settings()
    print("| dataset | weights | passages hold gold | 1st sentence | 1st or 2nd | first 3 |")
    print("|---|---|---|---|---|---|")
    for full, golds in sets:
        bench = sample(with_unanswerable(article_half(full, args.split), args.unanswerable,
                                         args.seed), args.limit, None, args.seed)
        resources = build_store(settings, bench)
        opts = resolve(resources.settings, Context())
        index = resources.keyword_index()
        rows, tops = [], []
        for query in bench.queries:
            gold = golds.get(query.id, [])
            candidates = hybrid_search(resources.store(), index, query.question, opts)
            kept, _ = select_passages(query.question, candidates, index, opts)
            dense = remembered(cosine_similarity(resources.embeddings(), query.question))
            ranked = rank_sentences(query.question, kept, index, dense)
            tops.append((bool(query.relevant_ids), ranked[0].coverage if ranked else 0.0))
            if query.relevant_ids:
                rows.append((gold, kept, dense, query.question))
        print(f"\n{bench.name}: first sentence's coverage, answerable vs unanswerable")
        print("| min coverage | answerable refused | unanswerable refused |\n|---|---|---|")
        for t in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
            answerable = [c for a, c in tops if a]
            unanswerable = [c for a, c in tops if not a]
            print(f"| {t} | {sum(c < t for c in answerable) / max(len(answerable), 1):.3f} | "
                  f"{sum(c < t for c in unanswerable) / max(len(unanswerable), 1):.3f} |")
        print()
        reachable = sum(any(holds(d.page_content, g) for d in kept) for g, kept, _, _ in rows)
        for name, weights in VARIANTS.items():
            first = second = third = 0
            for gold, kept, dense, question in rows:
                ranked = rank_sentences(question, kept, index, dense, weights)
                first += bool(ranked) and holds(ranked[0].text, gold)
                second += any(holds(s.text, gold) for s in ranked[:2])
                third += any(holds(s.text, gold) for s in ranked[:3])
            n = len(rows)
            print(f"| {bench.name} | {name} | {reachable / n:.3f} | {first / n:.3f} | "
                  f"{second / n:.3f} | {third / n:.3f} |", flush=True)


if __name__ == "__main__":
    main()
