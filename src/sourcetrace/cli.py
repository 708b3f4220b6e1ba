"""The command line: `sourcetrace analyze | batch | stats | export | evaluate | serve`.

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
    a.add_argument("path", help="a UTF-8 text or HTML file, '-' for stdin, or 'example' for the bundled article")
    a.add_argument("--published", metavar="YYYY-MM-DD", help="publication date (base of relative dates)")
    a.add_argument("--format", choices=("json", "text", "html"), default="json",
                   help="output format: json (default), text (a sourcing audit) or html (a static page)")
    a.add_argument("--title", help="article title")
    a.add_argument("--outlet", help="outlet (publisher) name")
    a.add_argument("--url", help="article URL (never fetched)")
    a.add_argument("--equipment-file", metavar="PATH",
                   help="extra equipment gazetteer rows (TSV surface/category/origin, see docs/equipment.md)")

    b = sub.add_parser("batch", help="analyse a JSONL file of articles, one result line per input line")
    b.add_argument("input", help="JSONL file, one {\"id\", \"text\", ...} object per line, a folder of "
                   ".txt/.html files (id = file name), or '-' for stdin")
    b.add_argument("-o", "--output", default=None,
                   help="output JSONL file, '-' for stdout (default stdout, or none when --db is given)")
    b.add_argument("--workers", type=int, default=1, metavar="N",
                   help="worker processes, each loading the model once (default 1: this process)")
    b.add_argument("--db", metavar="CORPUS.sqlite",
                   help="store results in this SQLite corpus store; articles already in it are skipped")
    b.add_argument("--commit-every", type=int, default=100, metavar="N",
                   help="commit the store every N articles (default 100)")
    b.add_argument("--progress", action="store_true", default=None,
                   help="show a progress line on stderr (default: only when stderr is a terminal)")
    b.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local (default): --workers processes here; dask: the Dask cluster at --scheduler")
    b.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --engine dask: the scheduler's address, e.g. tcp://10.0.0.5:8786")
    b.add_argument("--partition-size", type=int, default=16, metavar="N",
                   help="with --engine dask: articles per task (default 16)")
    b.add_argument("--parquet", metavar="DIR",
                   help="with --engine dask: the workers also write DIR/articles/*.parquet and "
                   "DIR/quotes/*.parquet, one file per partition")

    e = sub.add_parser("evaluate", help="score against gold data (PolNeAR attributions or our own gold sets)")
    e.add_argument("gold", help="gold JSONL file")
    e.add_argument("--task", choices=sorted(EVALUATIONS), default="attribution",
                   help="what the gold file annotates (default: attribution, PolNeAR format)")
    e.add_argument("--limit", type=int, help="score only the first N articles")
    e.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    e.add_argument("--annotator", metavar="OTHER.jsonl",
                   help="with --task quoted: score a second annotator's labels of the same records "
                   "instead of sourcetrace's (human agreement)")

    st = sub.add_parser("stats", help="corpus figures from a store made by `batch --db` (see docs/stats.md)")
    st.add_argument("--db", required=True, metavar="CORPUS.sqlite", help="the corpus store")
    st.add_argument("--by", choices=("outlet", "month", "source_type"), help="one row per group (default: whole corpus)")
    st.add_argument("--format", choices=("text", "csv", "json", "html"), default="text",
                    help="output format: text (default), csv, json, or html (a static page with charts)")
    st.add_argument("--top", type=int, default=5, metavar="N", help="top quoted sources and channels listed (default 5)")

    x = sub.add_parser("export", help="export every table of a corpus store, one file per table")
    x.add_argument("--db", required=True, metavar="CORPUS.sqlite", help="the corpus store")
    x.add_argument("--format", choices=("csv", "parquet"), default="csv", help="file format (default csv; parquet needs pyarrow)")
    x.add_argument("--out", required=True, metavar="DIR", help="output folder (made if missing)")

    sv = sub.add_parser("serve", help="the web page and JSON API (see docs/serve.md)")
    sv.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1: this machine only)")
    sv.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    sv.add_argument("--db", metavar="CORPUS.sqlite", help="a corpus store to serve at /api/articles and /api/stats")
    sv.add_argument("--max-bytes", type=int, metavar="N",
                    help="largest request body accepted, in bytes (default 4 MiB)")
    sv.add_argument("--time-limit", type=float, metavar="SECONDS",
                    help="longest a request waits for its analysis (default 30)")
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

    from .stages.ingest import HTML_SUFFIXES, from_html, looks_like_html

    raw = _read_input(args.path)
    meta = dict(published=args.published, title=args.title, outlet=args.outlet, url=args.url)
    if args.path.lower().endswith(HTML_SUFFIXES) or looks_like_html(raw):
        doc = from_html(raw, where=args.path, **{k: v for k, v in meta.items() if v is not None})
    else:
        doc = from_text(raw, where=args.path, **meta)
    doc = analyze_document(doc)
    if args.format == "text":
        sys.stdout.write(text.render(doc))
    elif args.format == "html":
        from .output import html

        sys.stdout.write(html.render(doc))
    else:
        sys.stdout.write(schema.dumps(doc, indent=2) + "\n")
    return 0


def _batch_usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with a batch command line's engine options, or None."""
    if args.engine == "dask" and not args.scheduler:
        return "--engine dask needs --scheduler ADDRESS (a running Dask scheduler, see docs/batch.md)"
    if args.scheduler and args.engine != "dask":
        return "--scheduler is only for --engine dask"
    if args.parquet and args.engine != "dask":
        return "--parquet is written by the Dask workers: it needs --engine dask"
    if args.engine == "dask" and args.workers != 1:
        return "--workers is for --engine local; the Dask cluster has its own workers"
    return None


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch import run_batch

    output = args.output if args.output is not None else (None if args.db or args.parquet else "-")
    return run_batch(args.input, output, db=args.db, workers=args.workers, progress=args.progress,
                     commit_every=args.commit_every, engine=args.engine, scheduler=args.scheduler,
                     partition_size=args.partition_size, parquet=args.parquet)


# task -> (module, scoring function, text renderer); each scoring function takes the gold path.
EVALUATIONS = {
    "attribution": ("evaluate", "evaluate_path", "render_text"),
    "sources": ("evaluate_sources", "evaluate_sources", "render_sources"),
    "quoted": ("evaluate_quoted", "evaluate_quoted", "render_quoted"),
    "signals": ("evaluate_signals", "evaluate_signals", "render_signals"),
    "dates": ("evaluate_dates", "evaluate_dates", "render_dates"),
    "equipment": ("evaluate_equipment", "evaluate_equipment", "render_equipment"),
}


def cmd_evaluate(args: argparse.Namespace) -> int:
    import importlib

    module_name, score_name, render_name = EVALUATIONS[args.task]
    module = importlib.import_module(f"sourcetrace.{module_name}")
    if args.annotator and args.task != "quoted":
        print("sourcetrace evaluate: --annotator works only with --task quoted", file=sys.stderr)
        return 2
    if args.task == "attribution":
        result = module.evaluate_path(args.gold, limit=args.limit)
    elif args.annotator:
        try:
            result = module.evaluate_quoted(args.gold, annotator=args.annotator)
        except (OSError, ValueError) as exc:
            print(f"sourcetrace evaluate: {exc}", file=sys.stderr)
            return 2
    else:
        result = getattr(module, score_name)(args.gold)
    if args.format == "json":
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        sys.stdout.write(getattr(module, render_name)(result))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from .stats import main as stats_main

    return stats_main(args.db, by=args.by, fmt=args.format, top=args.top)


def cmd_export(args: argparse.Namespace) -> int:
    from .export import export

    for path in export(args.db, args.format, args.out):
        print(path, file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .web import serve  # FastAPI and uvicorn are imported only for this command

    limits = {k: v for k, v in (("max_bytes", args.max_bytes), ("time_limit", args.time_limit)) if v is not None}
    return serve(args.host, args.port, db=args.db, **limits)


COMMANDS = {"analyze": cmd_analyze, "batch": cmd_batch, "evaluate": cmd_evaluate,
            "stats": cmd_stats, "export": cmd_export, "serve": cmd_serve}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "batch" and (problem := _batch_usage_problem(args)):
            parser.error(problem)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="sourcetrace: %(levelname)s: %(message)s", stream=sys.stderr)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    from .stages.ingest import InputError

    try:
        if getattr(args, "equipment_file", None):
            from .stages import entities

            entities.configure(args.equipment_file)
        return COMMANDS[args.command](args)
    except BrokenPipeError:
        return 1
    except (InputError, OSError, ValueError) as exc:
        print(f"sourcetrace: error: {exc}", file=sys.stderr)
        return 1
