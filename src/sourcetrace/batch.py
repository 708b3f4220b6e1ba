"""Batch analysis of JSONL input: one result line per input line, in input order.

A line that cannot be analysed (not JSON, no text, a bad date) becomes an error record
`{"schema_version", "error": {"input", "line", "id", "message"}}` in its place; the run goes on,
and the summary on stderr counts it.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from contextlib import ExitStack
from typing import IO, Any, Iterator

from .output.schema import SCHEMA_VERSION, to_dict
from .stages.ingest import InputError, from_record

log = logging.getLogger(__name__)


def error_record(where: str, line: int, record_id: Any, message: str) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION,
            "error": {"input": where, "line": line, "id": record_id, "message": message}}


def analyse_lines(lines: Iterator[str], where: str) -> Iterator[tuple[dict[str, Any], bool]]:
    """(output record, ok) for every non-blank input line."""
    from . import analyze_document

    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        record_id = None
        try:
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{where}:{n}: not valid JSON ({exc.msg} at column {exc.colno})") from None
            if isinstance(record, dict):
                record_id = record.get("id")
            doc = from_record(record, where=f"{where}:{n}")
            yield to_dict(analyze_document(doc)), True
        except InputError as exc:
            yield error_record(where, n, record_id, str(exc)), False


def run_jsonl(input_path: str, output_path: str) -> int:
    with ExitStack() as stack:
        if input_path == "-":
            src: IO[str] = sys.stdin
        else:
            try:
                src = stack.enter_context(open(input_path, encoding="utf-8", errors="strict"))
            except OSError as exc:
                raise InputError(f"{input_path}: cannot read ({exc.strerror or exc})") from None
        dst: IO[str] = sys.stdout if output_path == "-" else stack.enter_context(
            open(output_path, "w", encoding="utf-8"))
        ok = failed = 0
        t0 = time.perf_counter()
        where = "<stdin>" if input_path == "-" else input_path
        for record, good in analyse_lines(_safe_lines(src, where), where):
            dst.write(json.dumps(record, ensure_ascii=False) + "\n")
            if good:
                ok += 1
            else:
                failed += 1
                log.warning("%s", record["error"]["message"])
            if (ok + failed) % 50 == 0:
                rate = (ok + failed) / (time.perf_counter() - t0)
                print(f"\r{ok + failed} articles, {rate:.1f}/s", end="", file=sys.stderr, flush=True)
        secs = time.perf_counter() - t0
        print(f"\rdone: {ok} analysed, {failed} failed, in {secs:.1f} s", file=sys.stderr)
    return 0 if failed == 0 else 1


def _safe_lines(src: IO[str], where: str) -> Iterator[str]:
    """Lines of `src`; a line that is not UTF-8 becomes a line that fails JSON parsing by name."""
    buffer = getattr(src, "buffer", None)
    if buffer is None:
        yield from src
        return
    for raw in buffer:
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            yield "\x00not utf-8\n"
