"""The command line: `sourcetrace analyze | batch | evaluate`.

Data goes to stdout, logs and progress to stderr. Exit codes: 0 ok, 1 failure (including a batch
in which some articles failed), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Sequence

log = logging.getLogger("sourcetrace")

EXAMPLE = "example"  # `sourcetrace analyze example` reads the bundled example article


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sourcetrace",
        description="Who says what, on whose authority, and what is left unsourced in news articles.",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log debugging detail to stderr")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    a = sub.add_parser("analyze", help="analyse one article (text file, '-' for stdin, or 'example')")
    a.add_argument("path", help="a UTF-8 text file, '-' for stdin, or 'example' for the bundled article")
    a.add_argument("--published", metavar="YYYY-MM-DD", help="publication date (base of relative dates)")
    a.add_argument("--format", choices=("json", "text"), default="json", help="output format (default json)")
    a.add_argument("--title", help="article title")
    a.add_argument("--outlet", help="outlet (publisher) name")
    a.add_argument("--url", help="article URL (never fetched)")

    b = sub.add_parser("batch", help="analyse a JSONL file of articles, one result line per input line")
    b.add_argument("input", help="JSONL file, one {\"id\", \"text\", ...} object per line, or '-' for stdin")
    b.add_argument("-o", "--output", default="-", help="output JSONL file (default stdout)")

    e = sub.add_parser("evaluate", help="score against gold data (PolNeAR attributions or our own gold sets)")
    e.add_argument("gold", help="gold JSONL file")
    e.add_argument("--task", choices=sorted(EVALUATIONS), default="attribution",
                   help="what the gold file annotates (default: attribution, PolNeAR format)")
    e.add_argument("--limit", type=int, help="score only the first N articles")
    e.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    return p


def _read_input(path: str) -> str:
    from .stages.ingest import decode

    if path == "-":
        return decode(sys.stdin.buffer.read(), "<stdin>")
    if path == EXAMPLE:
        from importlib import resources

        return resources.files("sourcetrace").joinpath("examples/seed.txt").read_text(encoding="utf-8")
    from pathlib import Path

    p = Path(path)
    try:
        return decode(p.read_bytes(), str(p))
    except OSError as exc:
        from .stages.ingest import InputError

        raise InputError(f"{p}: cannot read ({exc.strerror or exc})") from None


def cmd_analyze(args: argparse.Namespace) -> int:
    from . import analyze_document
    from .output import schema, text
    from .stages.ingest import from_text

    raw = _read_input(args.path)
    doc = from_text(raw, where=args.path, published=args.published, title=args.title,
                    outlet=args.outlet, url=args.url)
    doc = analyze_document(doc)
    if args.format == "text":
        sys.stdout.write(text.render(doc))
    else:
        sys.stdout.write(schema.dumps(doc, indent=2) + "\n")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch import run_jsonl

    return run_jsonl(args.input, args.output)


# task -> (module, scoring function, text renderer); each scoring function takes the gold path.
EVALUATIONS = {
    "attribution": ("evaluate", "evaluate_path", "render_text"),
    "sources": ("evaluate_sources", "evaluate_sources", "render_sources"),
    "quoted": ("evaluate_quoted", "evaluate_quoted", "render_quoted"),
    "signals": ("evaluate_signals", "evaluate_signals", "render_signals"),
    "dates": ("evaluate_dates", "evaluate_dates", "render_dates"),
}


def cmd_evaluate(args: argparse.Namespace) -> int:
    import importlib

    module_name, score_name, render_name = EVALUATIONS[args.task]
    module = importlib.import_module(f"sourcetrace.{module_name}")
    if args.task == "attribution":
        result = module.evaluate_path(args.gold, limit=args.limit)
    else:
        result = getattr(module, score_name)(args.gold)
    if args.format == "json":
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        sys.stdout.write(getattr(module, render_name)(result))
    return 0


COMMANDS = {"analyze": cmd_analyze, "batch": cmd_batch, "evaluate": cmd_evaluate}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="sourcetrace: %(levelname)s: %(message)s", stream=sys.stderr)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    from .stages.ingest import InputError

    try:
        return COMMANDS[args.command](args)
    except BrokenPipeError:
        return 1
    except (InputError, OSError, ValueError) as exc:
        print(f"sourcetrace: error: {exc}", file=sys.stderr)
        return 1
