"""The `docent` / `python -m app` command line. Heavy libraries load only inside commands."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from app.errors import DocentError

log = logging.getLogger("docent")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docent", description="Ask questions of your own documents, fully offline."
    )
    parser.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING, ERROR")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = commands.add_parser("ingest", help="load, split, embed and store documents")
    ingest.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")
    ingest.add_argument("--prune", action="store_true",
                        help="remove chunks of files that no longer exist under PATH")
    ingest.add_argument("--reindex", action="store_true",
                        help="rebuild the collection (after changing model or chunking)")
    ingest.add_argument("--include", action="append", default=[], metavar="GLOB",
                        help="only files matching GLOB (repeatable)")
    ingest.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="skip files matching GLOB (repeatable)")

    ask = commands.add_parser("ask", help="answer a question from the ingested documents")
    ask.add_argument("question", help="the question, in any language")
    ask.add_argument("--json", action="store_true", help="print answer and sources as JSON")
    ask.add_argument("-k", type=int, default=None, help="passages handed to the model")
    ask.add_argument("--search-type", choices=["similarity", "mmr", "similarity_score_threshold"])
    ask.add_argument("--filter", metavar="KEY=VALUE", action="append", default=[],
                     help="only passages whose metadata KEY equals VALUE (repeatable)")
    commands.add_parser("models", help="locate (and assemble) the configured models")
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


def run_ingest(args: argparse.Namespace) -> int:
    from app.settings import get_settings
    from ingest.pipeline import ingest_paths

    report = ingest_paths(args.paths, get_settings(), prune=args.prune, reindex=args.reindex,
                          include=args.include, exclude=args.exclude)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print(report.table())
    return report.exit_code


def run_ask(args: argparse.Namespace) -> int:
    from app.ask import ask, print_report
    from graphs.context import Context

    context = Context(k=args.k, search_type=args.search_type, filter=_filter(args.filter))
    stream = None if args.json else sys.stdout
    result = ask(args.question, context, stream=stream)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print_report(result, sys.stdout)
    return 0


def run_models(args: argparse.Namespace) -> int:
    from app.model_files import resolve_gguf, resolve_sentence_transformer
    from app.settings import get_settings

    settings = get_settings()
    print(f"embeddings: {resolve_sentence_transformer(settings.embedding_model)}")
    if settings.llm_backend == "llamacpp":
        gguf = resolve_gguf(settings.llm_model)
        print(f"llm: {gguf.path} ({gguf.style} prompt)")
    else:
        print(f"llm: {settings.llm_model} served by {settings.llm_backend}")
    return 0


COMMANDS = {"ingest": run_ingest, "ask": run_ask, "models": run_models}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        return COMMANDS[args.command](args)
    except DocentError as exc:
        print(f"docent: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("docent: interrupted", file=sys.stderr)
        return 130
