"""The `docent` / `python -m app` command line. Heavy libraries load only inside commands."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from app import arguments, settings_check
from core.errors import DocentError
from core.settings import SearchType, Settings

if TYPE_CHECKING:
    from app.answer_eval import AnswerScores
    from app.benchmarks import Benchmark
    from core.resources import Resources
    from graphs.ask_options import Question
    from ingest.report import IngestReport

log = logging.getLogger("docent")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docent", description="Ask questions of your own documents, fully offline."
    )
    parser.add_argument("--log-level", default="WARNING", type=str.upper,
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--debug", action="store_true",
                        help="print every LangChain step's raw inputs and outputs")
    parser.add_argument("--verbose", action="store_true", help="LangChain's verbose mode")
    parser.add_argument("--stats", action="store_true",
                        help="after the answer, print per-node latency and token usage")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = commands.add_parser("ingest", help="load, split, embed and store documents")
    ingest.add_argument("paths", nargs="+", metavar="PATH",
                        help="files, folders or http(s) URLs")
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")
    ingest.add_argument("--prune", action="store_true",
                        help="remove chunks of files that no longer exist under PATH")
    ingest.add_argument("--reindex", action="store_true",
                        help="rebuild the collection (after changing model or chunking)")
    ingest.add_argument("--include", action="append", default=[], metavar="GLOB",
                        help="only files matching GLOB (repeatable)")
    ingest.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="skip files matching GLOB (repeatable)")
    ingest.add_argument("--follow-links", action="store_true",
                        help="also read symlinks in folders that point outside them")
    ingest.add_argument("--wait", type=arguments.seconds, default=None, metavar="SECONDS",
                        help="how long to wait for another ingest of the same data dir, "
                        "or with DOCENT_DATABASE_URL for a --reindex (default 600)")
    ingest.add_argument("--watch", action="store_true",
                        help="then keep watching PATH… and apply every change (Ctrl-C stops)")
    ingest.add_argument("--poll", action="store_true",
                        help="with --watch: scan the folders instead of file events "
                        "(network drives)")

    ask = commands.add_parser("ask", help="answer a question from the ingested documents")
    ask.add_argument("question", help="the question, in English or Korean")
    ask.add_argument("--json", action="store_true", help="print answer and sources as JSON")
    ask.add_argument("-k", type=arguments.passages, default=None,
                     help=f"passages handed to the model (1-{arguments.MAX_K})")
    ask.add_argument("--search-type", choices=get_args(SearchType))
    ask.add_argument("--filter", metavar="KEY=VALUE", action="append", default=[],
                     help="only passages whose metadata KEY equals VALUE (repeatable)")
    ask.add_argument("--no-cache", action="store_true", help="do not reuse cached answers")

    chat = commands.add_parser(
        "chat", help="a conversation: one question per line (stdin or a prompt), with memory")
    chat.add_argument("--thread", metavar="ID", help="continue this conversation (default: new)")
    chat.add_argument("--json", action="store_true", help="one JSON object per answer")
    chat.add_argument("-k", type=arguments.passages, default=None,
                      help=f"passages handed to the model (1-{arguments.MAX_K})")
    chat.add_argument("--no-cache", action="store_true", help="do not reuse cached answers")
    ask.add_argument("--fetch-k", type=arguments.candidates, default=None,
                     help=f"candidates before rerank (1-{arguments.MAX_FETCH_K})")
    ask.add_argument("--dense-weight", type=arguments.weight, default=None,
                     help="weight of the dense ranking in the fusion (0 = BM25 only)")
    ask.add_argument("--keyword-weight", type=arguments.weight, default=None,
                     help="weight of the BM25 ranking in the fusion (0 = dense only)")
    ask.add_argument("--no-rerank", action="store_true",
                     help="skip the cross-encoder even when DOCENT_RERANK_MODEL is set")
    commands.add_parser("models", help="locate (and assemble) the configured models")

    evaluate = commands.add_parser("eval", help="measure retrieval on a benchmark with gold "
                                   "passages (recall@k, MRR@10, nDCG@10, latency)")
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--corpus", type=Path, help="corpus.jsonl {id, title, text}")
    source.add_argument("--squad-json", type=Path, help="SQuAD-format JSON (e.g. KorQuAD)")
    evaluate.add_argument("--queries", type=Path,
                          help="queries.jsonl {id, question, relevant_ids} (with --corpus)")
    evaluate.add_argument("--articles", choices=["even", "all"], default="even",
                          help="which articles of --squad-json (by index in data[]); "
                          "KorQuAD's odd ones are reserved")
    evaluate.add_argument("--half", choices=["tuning", "reporting"],
                          help="only the questions of every other article: the 1st, 3rd, … "
                          "(tuning) or the 2nd, 4th, … (reporting); the corpus stays whole")
    evaluate.add_argument("--limit", type=arguments.count, default=None,
                          help="sample this many questions")
    evaluate.add_argument("--max-passages", type=arguments.count, default=None,
                          help="shrink the corpus to the gold passages plus random others")
    evaluate.add_argument("--seed", type=arguments.non_negative, default=0,
                          help="seed of the samples")
    evaluate.add_argument("--search-type", choices=get_args(SearchType))
    evaluate.add_argument("--dense-weight", type=arguments.weight, default=None)
    evaluate.add_argument("--keyword-weight", type=arguments.weight, default=None)
    evaluate.add_argument("--no-rerank", action="store_true",
                          help="score the fused ranking, before passage selection")
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluate.add_argument("--answers", action="store_true",
                          help="also answer every question through the full graph and score "
                          "the answers (contains gold, exact match, F1, refusals, latency)")
    evaluate.add_argument("--unanswerable", type=arguments.non_negative, default=0,
                          metavar="N",
                          help="with --answers: add N questions of articles taken out of the "
                          "corpus, which must be refused")
    evaluate.add_argument("--details", type=Path, metavar="FILE",
                          help="with --answers: one JSON line per question")
    evaluate.add_argument("--oracle", action="store_true",
                          help="with --answers: a fake model that gives each gold answer; "
                          "reports how many docent rejected")
    commands.add_parser("doctor", help="check the setup offline; a fix for each failure")
    # `serve` and `mcp`: docs/serving.md
    serve = commands.add_parser("serve", help="the web app and an OpenAI-compatible API")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=arguments.port, default=8000)
    serve.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                       help="also answer requests for this Host name (e.g. "
                       "host.docker.internal); repeatable")
    commands.add_parser("mcp", help="an MCP server on stdio (search_documents, ask_documents)")
    return parser


def _filter(pairs: list[str]) -> dict | None:
    if not pairs:
        return None
    items = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise DocentError(f"--filter needs KEY=VALUE, got {pair!r}")
        items.append({key: value})
    return items[0] if len(items) == 1 else {"$and": items}


def run_ingest(args: argparse.Namespace, resources: Resources) -> int:
    from langchain_core.runnables import RunnableLambda

    from core.tracing import run_config
    from ingest.lock import LOCK_WAIT_S
    from ingest.pipeline import ingest_paths

    settings = resources.settings
    wait_s = LOCK_WAIT_S if args.wait is None else args.wait
    if args.watch or args.poll:
        from ingest.watch import WatchOptions, watch

        if not args.watch:
            raise DocentError("--poll needs --watch")
        return watch(args.paths, settings, WatchOptions(
            poll=args.poll, include=args.include, exclude=args.exclude,
            follow_links=args.follow_links, reindex=args.reindex, as_json=args.json,
            wait_s=wait_s))

    def ingest(paths: list[Path]) -> IngestReport:
        if settings.database_url and not args.reindex:
            from ingest.workers import ingest_shared

            # every `ingest` of the database is a worker of its job queue
            return ingest_shared(paths, settings, prune=args.prune, include=args.include,
                                 exclude=args.exclude, follow_links=args.follow_links,
                                 wait_s=wait_s)
        return ingest_paths(paths, settings, prune=args.prune, reindex=args.reindex,
                            include=args.include, exclude=args.exclude,
                            follow_links=args.follow_links, wait_s=wait_s)

    # a runnable, so that with Langfuse configured the ingest is one trace too
    report = RunnableLambda(ingest, name="ingest").invoke(
        args.paths, config=run_config(settings, "ingest"))
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print(report.table())
    return report.exit_code


def _question(args: argparse.Namespace) -> Question:
    """The question and its options, checked before anything loads."""
    from graphs.ask_options import Question

    return Question(question=args.question, k=args.k, search_type=args.search_type,
                    filter=_filter(args.filter), fetch_k=args.fetch_k,
                    dense_weight=args.dense_weight, keyword_weight=args.keyword_weight,
                    rerank=False if args.no_rerank else None)


def run_ask(args: argparse.Namespace, resources: Resources) -> int:
    from app.ask import print_answer

    question = _question(args)
    result = _ask_running_server(args, resources, question)
    stats = None
    if result is None:
        from core.run_stats import RunStats
        from graphs.runner import answer

        stats = RunStats()
        with _model_loading_meanwhile(args, resources):
            result = answer(question.question, question.context(resources),
                            callbacks=[stats] if args.stats else []).model_dump()
    if args.json:
        if args.stats and stats is not None:
            result["stats"] = {node: vars(node_stats) for node, node_stats in stats.nodes.items()}
        print(json.dumps(result, ensure_ascii=False))
    else:
        print_answer(result, sys.stdout)
        if args.stats and stats is not None:
            stats.write_table(sys.stdout)
    return 0


def _model_loading_meanwhile(args: argparse.Namespace, resources: Resources
                             ) -> contextlib.AbstractContextManager[None]:
    """A new process loads the model while it imports and retrieves; not before anything
    was ingested, nor with LangChain's debug output on (it prints during the load, which
    silences the process)."""
    from core.index.store import nothing_stored

    if args.debug or args.verbose or nothing_stored(resources.settings):
        return contextlib.nullcontext()
    return resources.model_loading_meanwhile()


def _ask_running_server(args: argparse.Namespace, resources: Resources, question: Question
                        ) -> dict[str, Any] | None:
    """The answer of a `docent serve` running on this data directory (its model and store
    are loaded: app/remote_ask.py), or None when there is none, it cannot be used, or the
    question needs what only an in-process run has (filters, retrieval weights, stats,
    debug output)."""
    from app.remote_ask import ask_remote, running_server

    in_process_only = (args.filter, args.fetch_k, args.dense_weight, args.keyword_weight,
                       args.no_rerank, args.no_cache, args.stats, args.debug, args.verbose)
    if any(option not in (None, False, []) for option in in_process_only):
        return None
    settings = resources.settings
    url = running_server(settings.data_dir)
    if url is None:
        return None
    log.info("asking the docent server at %s", url)
    return ask_remote(url, question, api_key=settings.api_key)


def run_doctor(args: argparse.Namespace, resources: Resources) -> int:
    from app.doctor import doctor

    return doctor(resources.settings, sys.stdout)


def run_chat(args: argparse.Namespace, resources: Resources) -> int:
    from app.chat import run_chat
    from graphs.context import Context

    return run_chat(args.thread, Context(k=args.k, resources=resources), as_json=args.json)


def run_models(args: argparse.Namespace, resources: Resources) -> int:
    from core.model_files import resolve_gguf, resolve_sentence_transformer

    settings = resources.settings
    print(f"embeddings: {resolve_sentence_transformer(settings.embedding_model)}")
    if settings.llm_backend == "llamacpp":
        gguf = resolve_gguf(settings.llm_model)
        print(f"llm: {gguf.path} ({gguf.style} prompt)")
    else:
        print(f"llm: {settings.llm_model} served by {settings.llm_backend}")
    return 0


def run_eval(args: argparse.Namespace, resources: Resources) -> int:
    from dataclasses import replace

    from app.benchmarks import (
        article_half,
        load_jsonl_benchmark,
        load_squad_benchmark,
        sample,
        with_unanswerable,
    )
    from app.eval import build_store, evaluate
    from graphs.context import Context

    if args.corpus and not args.queries:
        raise DocentError("--corpus needs --queries")
    bench = (load_jsonl_benchmark(args.corpus, args.queries) if args.corpus
             else load_squad_benchmark(args.squad_json, args.articles))
    if args.half:
        bench = article_half(bench, args.half)
    bench = with_unanswerable(bench, args.unanswerable if args.answers else 0, args.seed)
    bench = sample(bench, args.limit, args.max_passages, args.seed)
    store = build_store(resources.settings, bench)
    context = Context(search_type=args.search_type, dense_weight=args.dense_weight,
                      keyword_weight=args.keyword_weight)
    answerable = replace(bench, queries=[q for q in bench.queries if q.relevant_ids])
    scores = evaluate(store, answerable, context, select=not args.no_rerank)
    figures: dict[str, object] = dict(scores.to_dict())
    answers = _answer_figures(args, store, bench) if args.answers else None
    if answers is not None:
        figures["answers"] = answers.to_dict()
    print(json.dumps(figures) if args.json else scores.table())
    if answers is not None and not args.json:
        print(answers.table())
    return 0


def _answer_figures(args: argparse.Namespace, store: Resources, bench: Benchmark
                    ) -> AnswerScores:
    from app.answer_eval import evaluate_answers
    from app.answer_metrics import gold_answers

    golds = gold_answers(args.squad_json or args.queries)
    if args.details is None:
        return evaluate_answers(store, bench, golds, oracle_model=args.oracle)
    try:
        with args.details.open("w", encoding="utf-8") as details:
            return evaluate_answers(store, bench, golds, details=details, oracle_model=args.oracle)
    except OSError as exc:
        raise DocentError(f"{args.details}: cannot write ({exc.strerror or exc})") from None


def run_serve(args: argparse.Namespace, resources: Resources) -> int:
    from app.server.run import serve

    return serve(resources, args.host, args.port, args.allowed_host)


def run_mcp(args: argparse.Namespace, resources: Resources) -> int:
    from app.mcp_server import serve_stdio

    return serve_stdio(resources)


COMMANDS: dict[str, Callable[[argparse.Namespace, Resources], int]] = {
            "doctor": run_doctor,
            "ingest": run_ingest, "ask": run_ask, "chat": run_chat, "models": run_models,
            "eval": run_eval, "serve": run_serve, "mcp": run_mcp}


def _langchain_debug_modes(args: argparse.Namespace) -> None:
    if args.debug or args.verbose:
        from langchain_core.globals import set_debug, set_verbose

        set_debug(args.debug)
        set_verbose(args.verbose)


def load_settings(no_cache: bool) -> Settings:
    """The settings from the environment and `.env`; a bad value is one clear error."""
    from pydantic import ValidationError

    try:
        settings = Settings()
    except ValidationError as exc:
        raise DocentError(settings_check.settings_problems(exc)) from None
    for warning in settings_check.unknown_settings(os.environ, Settings.model_fields):
        print(f"docent: warning: {warning}", file=sys.stderr)
    return settings.model_copy(update={"answer_cache": False}) if no_cache else settings


def main(argv: Sequence[str] | None = None) -> int:
    from core import tracing
    from core.resources import Resources

    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    _langchain_debug_modes(args)
    try:
        resources = Resources(load_settings(getattr(args, "no_cache", False)))
        return COMMANDS[args.command](args, resources)
    except DocentError as exc:
        print(f"docent: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("docent: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback (only at DEBUG): see app/failures.py
        from app.failures import describe_failure

        log.debug("the failure's traceback", exc_info=True)
        print(f"docent: error: {describe_failure(exc)}", file=sys.stderr)
        return 1
    finally:
        tracing.flush()
