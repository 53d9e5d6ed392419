"""Evidence by query likelihood: does the packaged LM (Gemma 3 270M) pick the sentence that
holds the answer better than today's ranking? (UPR, Sachan et al. 2022: score a passage by
the log-probability of the question given it.)

    .venv/bin/python bench/evidence_lm.py [--limit 300] [--unanswerable 100] [--seed 1]
                                          [--datasets squad korquad] [--records FILE]
    .venv/bin/python bench/evidence_lm.py --tables FILE...   # the tables of saved records

The default retrieve → select → `rank_sentences` path (bench/evidence.py's setup, tuning
halves only) gives each question its ranked sentences; the top 6 are each scored by the LM:
the log-probabilities of the question's tokens after "Text: {sentence}\\nQuestion about
this text:" (for Korean questions also a Korean frame, on the top 3), and once after an
empty text (the question's prior: score − prior is the pointwise mutual information, which
only moves the refusal table, not the order). Reported (docs/benchmarks.md has the
figures): first / first-or-second sentence holds gold for the default, the LM score alone
re-ranking the top K, and default + w × LM score, paired against the default; the refusal
table on the top candidate's LM score; the LM's time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.eval import build_store, ranked_chunks  # noqa: E402
from bench.evidence import holds, questions  # noqa: E402
from core.index.tokens import mostly_hangul  # noqa: E402
from core.model_files import load_llama_cpp, resolve_gguf  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.tuning import EVIDENCE_MIN_COSINE  # noqa: E402
from graphs.context import Context  # noqa: E402
from graphs.evidence import (  # noqa: E402
    MIN_EVIDENCE_COVERAGE,
    cosine_similarity,
    rank_sentences,
    ranking_similarity,
)

CANDIDATES = 6  # the default ranking's best sentences the LM scores (K = 3 reads the first 3)
FRAMES = {
    "en": ("Text: {text}\nQuestion about this text:", " {question}"),
    "ko": ("본문: {text}\n이 본문에 대한 질문:", " {question}"),
}
# the Korean frame reads only the first 3 (for time: the machine was shared, load 7-9)
KOREAN_FRAME_CANDIDATES = 3
MAX_TEXT_TOKENS = 400  # of n_ctx 512: the frame and question fit after it


class QueryLikelihood:
    """Log-probabilities of a question's tokens after a frame holding a text, from a loaded
    `llama_cpp.Llama`: logits are asked for the question's positions only (the llama_batch
    flags), so a model loaded with logits_all=False serves as well."""

    def __init__(self, llm: Any) -> None:
        self.llm = llm

    def logprobs(self, text: str, question: str, frame: str) -> list[float]:
        import numpy as np

        llama_cpp = load_llama_cpp()
        before, after = FRAMES[frame]
        llm = self.llm
        text_tokens = llm.tokenize(text.encode(), add_bos=False, special=False)
        if len(text_tokens) > MAX_TEXT_TOKENS:
            text = llm.detokenize(text_tokens[:MAX_TEXT_TOKENS]).decode(errors="ignore")
        # the frame is tokenized whole: "Text: " alone ends in a space token " In" would take
        prefix = llm.tokenize(before.format(text=text).encode(), add_bos=True, special=True)
        asked = llm.tokenize(after.format(question=question).encode(), add_bos=False,
                             special=False)
        tokens = prefix + asked
        llm.reset()
        llm._ctx.kv_cache_clear()
        batch = llm._batch
        batch.set_batch(batch=tokens, n_past=0, logits_all=False)
        first = len(prefix) - 1  # the logits at position i predict token i + 1
        for i in range(first, len(tokens)):
            batch.batch.logits[i] = True
        llm._ctx.decode(batch)
        rows = np.ctypeslib.as_array(llama_cpp.llama_get_logits(llm._ctx.ctx),
                                     shape=(len(asked) * llm.n_vocab(),))
        logits = rows.reshape(len(asked), llm.n_vocab()).astype(np.float64)
        top = logits.max(axis=1)
        norm = top + np.log(np.exp(logits - top[:, None]).sum(axis=1))
        return (logits[np.arange(len(asked)), asked] - norm).tolist()


def load_gemma(threads: int) -> Any:
    load_llama_cpp()
    from llama_cpp import Llama
    from llama_cpp._utils import suppress_stdout_stderr

    with suppress_stdout_stderr(disable=False):
        return Llama(model_path=str(resolve_gguf("packaged:gemma3-270m").path),
                     logits_all=False, n_ctx=512, n_threads=threads, verbose=False)


def load_average() -> str:
    return "load " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def score_questions(dataset: str, args: argparse.Namespace, lm: QueryLikelihood,
                    out: Path) -> None:
    """One record a question: its default top sentences, their scores and LM log-probs."""
    bench, golds = questions(dataset, args.shared, "tuning", args.limit, args.unanswerable,
                             args.seed)
    resources = build_store(Settings(), bench)
    index = resources.keyword_index()
    print(f"{bench.name} seed {args.seed}: {len(bench.queries)} questions, {load_average()}",
          flush=True)
    done = {(r["dataset"], r["seed"], r["id"]) for r in read_records([out])} if out.exists() \
        else set()
    with out.open("a", encoding="utf-8") as records:
        for number, query in enumerate(interleaved(bench.queries)):
            if (dataset, args.seed, query.id) in done:  # a resumed run
                continue
            kept = ranked_chunks(resources, query.question, Context(), select=True)
            similarity = ranking_similarity(query.question, cosine_similarity(
                resources.evidence_embeddings(), query.question))
            ranked = rank_sentences(query.question, kept, index, similarity)
            answerable = bool(query.relevant_ids)
            # unanswerable questions: the default's first sentence only (the refusal table)
            top = ranked[:CANDIDATES if answerable else 1]
            frames = ["en", "ko"] if mostly_hangul(query.question) else ["en"]
            started = time.perf_counter()
            lm_scores = {frame: [lm.logprobs(s.text, query.question, frame) for s in top]
                         for frame in frames[:1]}
            seconds = time.perf_counter() - started
            lm_scores.update({frame: [lm.logprobs(s.text, query.question, frame)
                                      for s in top[:KOREAN_FRAME_CANDIDATES]]
                              for frame in frames[1:]})
            prior = {frame: lm.logprobs("", query.question, frame) for frame in frames}
            record = {
                "dataset": dataset, "seed": args.seed, "id": query.id, "answerable": answerable,
                "gold": golds.get(query.id, []) if answerable else [],
                "passages_hold": any(holds(d.page_content, golds.get(query.id, []))
                                     for d in kept) if answerable else False,
                "rest_holds": [holds(s.text, golds.get(query.id, []))
                               for s in ranked[CANDIDATES:CANDIDATES + 3]] if answerable else [],
                "top": [{"text": s.text, "score": s.score, "coverage": s.coverage}
                        for s in top],
                "lm": lm_scores, "prior": prior, "lm_seconds": seconds,
                "load": os.getloadavg()[0], "threads": args.threads,
            }
            records.write(json.dumps(record, ensure_ascii=False) + "\n")
            records.flush()
            if number % 50 == 0:
                print(f"  {number} questions, LM {seconds:.2f} s, {load_average()}", flush=True)


def interleaved(queries: list[Any]) -> list[Any]:
    """Answerable and unanswerable questions spread evenly, so that a run stopped early
    leaves a sample of both."""
    answerable = [q for q in queries if q.relevant_ids]
    unanswerable = [q for q in queries if not q.relevant_ids]
    placed = [((i + 0.5) / len(answerable), q) for i, q in enumerate(answerable)]
    placed += [((i + 0.5) / len(unanswerable), q) for i, q in enumerate(unanswerable)]
    return [q for _, q in sorted(placed, key=lambda pair: pair[0])]


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def ordering(record: dict[str, Any], key: str, k: int, w: float | None) -> list[int]:
    """The order of the default's top sentences under one variant: `key` names the LM
    score (frame:mean or frame:sum); w None: the LM score alone re-ranks the top k; w: the
    default score + w × LM score."""
    frame, pooled = key.split(":")
    top = record["top"]
    lm = [mean(v) if pooled == "mean" else sum(v) for v in record["lm"][frame]]
    first = range(min(k, len(lm)))
    if w is None:
        head = sorted(first, key=lambda i: lm[i], reverse=True)
    else:
        head = sorted(first, key=lambda i: top[i]["score"] + w * lm[i], reverse=True)
    return head + list(range(len(head), len(top)))


def print_tables(records: list[dict[str, Any]], cosines: dict[str, float]) -> None:
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault((record["dataset"], record["seed"]), []).append(record)
    for (dataset, seed), group in groups.items():
        rows = [r for r in group if r["answerable"]]
        korean = "ko" in rows[0]["lm"] if rows else False
        n = len(rows)
        print(f"\n{dataset} seed {seed}: {n} answerable questions, passages hold gold "
              f"{sum(r['passages_hold'] for r in rows) / max(n, 1):.3f}")
        print("| sentence order | 1st | 1st or 2nd | 1st vs default |\n|---|---|---|---|")
        variants: list[tuple[str, str, int, float | None]] = [("default", "en:mean", 1, None)]
        for frame in ["en", "ko"] if korean else ["en"]:
            ks = (3,) if frame == "ko" else (3, 6)
            for k in ks:
                variants.append((f"LM alone ({frame} frame) on top {k}", f"{frame}:mean", k,
                                 None))
            for pooled, weights in (("mean", (0.25, 0.5, 1.0, 2.0, 4.0)),
                                    ("sum", (0.025, 0.05, 0.1, 0.2))):
                for k in ks:
                    variants += [(f"default + {w} × LM {pooled} ({frame}) on top {k}",
                                  f"{frame}:{pooled}", k, w) for w in weights]
        baseline: list[bool] = []
        for name, key, k, w in variants:
            firsts, seconds = [], []
            for r in rows:
                order = ordering(r, key, k, w)
                hit = [holds(r["top"][i]["text"], r["gold"]) for i in order]
                firsts.append(bool(hit) and hit[0])
                seconds.append(any(hit[:2]))
            baseline = baseline or firsts
            gained = sum(f and not b for f, b in zip(firsts, baseline, strict=True))
            lost = sum(b and not f for f, b in zip(firsts, baseline, strict=True))
            print(f"| {name} | {sum(firsts) / n:.3f} | {sum(seconds) / n:.3f} | "
                  f"+{gained} −{lost} |")
        refusal_table(group, dataset, cosines)
        times = [r["lm_seconds"] for r in rows]
        loads = [r["load"] for r in rows]
        print(f"\nLM scoring of the top {CANDIDATES} (one frame): median "
              f"{statistics.median(times):.2f} s, p90 "
              f"{sorted(times)[int(0.9 * len(times))]:.2f} s a question, "
              f"load {min(loads):.1f}–{max(loads):.1f}")


def refusal_table(group: list[dict[str, Any]], dataset: str, cosines: dict[str, float]
                  ) -> None:
    """Refused at the default coverage floor and a floor on the first sentence's LM score
    (English: also with today's e5 cosine floor)."""
    floor = MIN_EVIDENCE_COVERAGE["ko" if dataset == "korquad" else "en"]
    frame = "en"

    def first(r: dict[str, Any], pmi: bool) -> float:
        if not r["top"]:
            return float("-inf")
        score = mean(r["lm"][frame][0])
        return score - mean(r["prior"][frame]) if pmi else score

    answerable = [r for r in group if r["answerable"]]
    unanswerable = [r for r in group if not r["answerable"]]

    def refused(rows: list[dict[str, Any]], t: float, pmi: bool, cosine: float) -> str:
        out = sum(not r["top"] or r["top"][0]["coverage"] < floor or first(r, pmi) < t
                  or cosines.get(r["id"], 1.0) < cosine for r in rows)
        return f"{out / max(len(rows), 1):.3f}"

    tables = [(False, (-99.0, -5.0, -4.5, -4.0, -3.5, -3.0, -2.5), 0.0),
              (True, (-99.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5), 0.0)]
    if dataset == "squad" and cosines:
        tables.append((True, (-99.0, 0.0, 0.25, 0.5, 0.75, 1.0), EVIDENCE_MIN_COSINE))
    for pmi, thresholds, cosine in tables:
        label = "mean log-prob − prior (PMI)" if pmi else "mean log-prob"
        also = f" and e5 cosine floor {cosine}" if cosine else ""
        print(f"\n{dataset}: first sentence's {label} ({frame} frame), coverage floor "
              f"{floor}{also}")
        print(f"| min {label} | answerable refused ({len(answerable)}) | unanswerable "
              f"refused ({len(unanswerable)}) |\n|---|---|---|")
        for t in thresholds:
            print(f"| {'none' if t == -99.0 else t} | {refused(answerable, t, pmi, cosine)} | "
                  f"{refused(unanswerable, t, pmi, cosine)} |")


def first_cosines(records: list[dict[str, Any]], shared: Path) -> dict[str, float]:
    """e5's cosine of each SQuAD question with its first evidence sentence (what today's
    cosine floor reads), by question id."""
    from app.benchmarks import load_jsonl_benchmark
    from core.embeddings import load_embeddings
    from core.tuning import EVIDENCE_MODEL, TUNING

    squad = [r for r in records if r["dataset"] == "squad" and r["top"]]
    if not squad:
        return {}
    folder = shared / "eval" / "squad-dev-even"
    asked = {q.id: q.question for q in load_jsonl_benchmark(
        folder / "corpus.jsonl", folder / "queries.jsonl").queries}
    embeddings = load_embeddings(EVIDENCE_MODEL, TUNING.embedding_batch)
    cosines = {}
    for r in squad:
        scorer = cosine_similarity(embeddings, asked[r["id"]])
        assert scorer is not None, "e5 reads every question"
        cosines[r["id"]] = scorer([r["top"][0]["text"]])[0]
    return cosines


def read_records(paths: Iterable[Path]) -> list[dict[str, Any]]:
    return [json.loads(line) for path in paths for line in path.open(encoding="utf-8")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--unanswerable", type=int, default=100)
    parser.add_argument("--datasets", nargs="+", choices=["squad", "korquad"],
                        default=["squad", "korquad"])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--records", type=Path, default=Path("evidence_lm.jsonl"),
                        help="one JSON line a question is appended here")
    parser.add_argument("--threads", type=int, default=2,
                        help="llama.cpp threads (1 when other jobs hold the cores: two threads "
                             "then wait on each other)")
    parser.add_argument("--tables", type=Path, nargs="+",
                        help="print the tables of saved records, score nothing")
    parser.add_argument("--e5", action="store_true",
                        help="with --tables: also refuse at today's e5 cosine floor (SQuAD)")
    args = parser.parse_args()
    if args.tables:
        records = read_records(args.tables)
        print_tables(records, first_cosines(records, args.shared) if args.e5 else {})
        return
    lm = QueryLikelihood(load_gemma(args.threads))
    for dataset in args.datasets:
        score_questions(dataset, args, lm, args.records)
    print_tables([r for r in read_records([args.records]) if r["seed"] == args.seed], {})


if __name__ == "__main__":
    main()
