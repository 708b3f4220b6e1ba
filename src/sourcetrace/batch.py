"""Batch analysis: a JSONL file, a folder of .txt files, or stdin -> one result per article, in order.

A line or file that cannot be analysed (unreadable, not UTF-8, not JSON, not an object, no text,
larger than the ingest limit, a bad date) becomes an error record
`{"schema_version", "error": {"input", "line", "id", "message"}}` in its place; the run goes on,
and the summary on stderr counts it. For a folder, `line` is the file's 1-based position in name
order and `id` is the file name.

Articles are analysed in a pool of worker processes (`workers`; 1 analyses in this process), each
loading the spaCy model once; at most `window` articles are in flight, results are written in input
order, and the input is read as it goes (never all at once). With a store (`db`), every analysed
article is stored (see `sourcetrace.store`), and an article whose text is already stored is
skipped before analysis: a killed run, started again, resumes where its last commit left off.
With `engine="dask"` the articles are analysed on a Dask cluster instead (`sourcetrace.dask_engine`);
both engines hand finished articles to `Results`, so their output and store are the same.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterator

from .document import Document
from .output.schema import SCHEMA_VERSION
from .stages import ingest
from .stages.ingest import MAX_BYTES, InputError, from_record, from_text

log = logging.getLogger(__name__)

HTML_SUFFIXES = tuple(getattr(ingest, "HTML_SUFFIXES", (".html", ".htm")))
TEXT_SUFFIXES = (".txt",)
WARM_UP_TEXT = '"We will hold the line," the general said on Monday, according to state media.'


def error_record(where: str, line: int | None, record_id: Any, message: str) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION,
            "error": {"input": where, "line": line, "id": record_id, "message": message}}


# ---------------------------------------------------------------------------------------------
# Inputs: each yields Items in input order.

@dataclass
class Item:
    input: str                 # the JSONL file, the folder, or "<stdin>"
    line: int                  # line number (JSONL) or 1-based position in the folder
    record_id: Any = None      # the given id (JSONL "id", or the file name)
    doc: Document | None = None
    error: str | None = None   # why it cannot be analysed
    skip: bool = False         # an error that counts as skipped, not failed (unsupported input)
    duplicate: bool = False    # same text as an article still in flight: shares its analysis


def _record_item(raw: bytes | str, where: str, n: int) -> Item:
    """One JSONL line -> an Item holding its Document, or the reason it has none."""
    record_id = None
    try:
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"{where}:{n}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        else:
            line = raw
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}:{n}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if isinstance(record, dict):
            record_id = record.get("id")
        doc = from_record(record, where=f"{where}:{n}")
        if not doc.text.strip():
            raise InputError(f"{where}:{n}: 'text' is empty")
        return Item(where, n, record_id, doc=doc)
    except InputError as exc:
        return Item(where, n, record_id, error=str(exc))


def _read_line(buffer: IO[bytes]) -> tuple[bytes, bool]:
    """(line, too_long): a line of at most MAX_BYTES bytes; a longer one is read past, not kept."""
    line = buffer.readline(MAX_BYTES + 1)
    if len(line) <= MAX_BYTES or line.endswith(b"\n"):
        return line, False
    while line and not line.endswith(b"\n"):
        line = buffer.readline(1 << 20)
    return b"", True


def jsonl_items(src: IO[str] | IO[bytes], where: str) -> Iterator[Item]:
    """Items of a JSONL stream, read line by line; blank lines are skipped without a record."""
    buffer = src if "b" in getattr(src, "mode", "") else getattr(src, "buffer", None)
    n = 0
    if buffer is None:  # a text stream with no bytes underneath (io.StringIO)
        for n, line in enumerate(src, 1):
            if not line.strip():
                continue
            if len(line.encode("utf-8", "surrogatepass")) > MAX_BYTES:
                yield Item(where, n, error=f"{where}:{n}: line is larger than the {MAX_BYTES}-byte limit")
            else:
                yield _record_item(line, where, n)
        return
    while True:
        raw, too_long = _read_line(buffer)
        if not raw and not too_long:
            return
        n += 1
        if too_long:
            yield Item(where, n, error=f"{where}:{n}: line is larger than the {MAX_BYTES}-byte limit")
        elif raw.strip():
            yield _record_item(raw, where, n)


def folder_files(folder: Path) -> list[Path]:
    """The .txt (and .html) files directly in `folder`, in name order; other files are ignored."""
    return sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES + HTML_SUFFIXES),
                  key=lambda p: p.name)


def folder_items(folder: Path, files: list[Path] | None = None) -> Iterator[Item]:
    """Items of a folder: one per file, id = the file name."""
    where = str(folder)
    for n, path in enumerate(files if files is not None else folder_files(folder), 1):
        name = path.name
        try:
            try:
                size = path.stat().st_size
                if size > MAX_BYTES:
                    raise InputError(f"{path}: {size} bytes is larger than the {MAX_BYTES}-byte limit")
                data = path.read_bytes()
            except OSError as exc:
                raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
            text = ingest.decode(data, str(path))
            if path.suffix.lower() in HTML_SUFFIXES:
                from_html = getattr(ingest, "from_html", None)
                if from_html is None:
                    yield Item(where, n, name, error=f"{path}: HTML input not supported yet", skip=True)
                    continue
                try:
                    doc = from_html(text, where=str(path), id=name)
                except ImportError as exc:
                    raise InputError(f"{path}: HTML input needs the package {exc.name or exc}") from None
            else:
                doc = from_text(text, where=str(path), id=name)
            if not doc.text.strip():
                raise InputError(f"{path}: no text (empty file)")
            yield Item(where, n, name, doc=doc)
        except InputError as exc:
            yield Item(where, n, name, error=str(exc))


def count_lines(path: Path) -> int:
    """Lines of a file, counted in chunks without keeping them (the progress line's total)."""
    count, last = 0, b"\n"
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


# ---------------------------------------------------------------------------------------------
# Work done in the worker processes (module-level, so a pool can import and pickle it).

def init_worker() -> None:
    """Pool initializer: Ctrl-C is the parent's business; a worker whose parent died (killed, even
    with SIGKILL) exits instead of waiting forever for work; load the spaCy model once and warm up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch_parent() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch_parent, name="watch-parent", daemon=True).start()
    warm_up()


def warm_up() -> None:
    from . import analyze_document, nlp, quote_function

    nlp.load()
    analyze_document(from_text(WARM_UP_TEXT, published="2025-05-02"))
    quote_function.preload()  # the warm-up text has no pair the feature model is unsure of


def analyse_task(doc: Document) -> tuple[str, int, int]:
    """(the analysis as a JSON line, worker pid, worker peak RSS in KiB) for one Document."""
    from . import analyze_document
    from .output.schema import to_dict

    text = json.dumps(to_dict(analyze_document(doc)), ensure_ascii=False)
    return text, os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class InlineExecutor:
    """`--workers 1`: the same tasks, run in this process when submitted (warmed up on first use)."""

    def __init__(self) -> None:
        self._warm = False

    def submit(self, fn, *args) -> Future:
        if not self._warm:
            warm_up()
            self._warm = True
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # surfaces at .result(), as with a pool
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        pass


# ---------------------------------------------------------------------------------------------
# Progress and summary.

def _duration(secs: float) -> str:
    secs = int(secs + 0.5)
    h, rest = divmod(secs, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s" if m else f"{s}s"


class Progress:
    """A one-line progress report on stderr (articles done, rate, ETA when the total is known)."""

    def __init__(self, enabled: bool, total: int | None, stream: IO[str] | None = None, every: float = 0.5):
        self.enabled = enabled
        self.total = total
        self.stream = stream or sys.stderr
        self.every = every
        self.t0 = time.perf_counter()
        self._last = 0.0
        self._width = 0  # length of the line on screen, 0 when none

    def update(self, done: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last < self.every:
            return
        self._last = now
        elapsed = max(now - self.t0, 1e-9)
        rate = done / elapsed
        line = f"{done}/{self.total} articles" if self.total else f"{done} articles"
        line += f", {rate:.1f}/s"
        if self.total and rate > 0 and done < self.total:
            line += f", ETA {_duration((self.total - done) / rate)}"
        print(f"\r{line:<{self._width}}", end="", file=self.stream, flush=True)
        self._width = max(self._width, len(line))

    def clear(self) -> str:
        """What erases the progress line, to print before the summary."""
        return f"\r{' ' * self._width}\r" if self._width else ""


@dataclass
class Counts:
    analysed: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def done(self) -> int:
        return self.analysed + self.failed + self.skipped


# ---------------------------------------------------------------------------------------------
# Where finished articles go (both engines).

class Results:
    """The finished articles, taken in input order: written to the JSONL output and the store,
    counted, shown on the progress line; then the summary. Shared by the local and Dask engines."""

    def __init__(self, dst: IO[str] | None, store, progress: Progress) -> None:
        self.dst = dst
        self.store = store
        self.progress = progress
        self.counts = Counts()
        self.rss: dict[int, int] = {}   # worker pid -> peak RSS (KiB)

    def failed(self, item: Item) -> None:
        """An article that has an error record instead of an analysis (`item.error`)."""
        assert item.error is not None
        line = json.dumps(error_record(item.input, item.line, item.record_id, item.error), ensure_ascii=False)
        if item.skip:
            self.counts.skipped += 1
        else:
            self.counts.failed += 1
        log.warning("%s", item.error)
        if self.store is not None:
            self.store.add_error(item.input, item.line, item.record_id, item.error)
        self._write(line)

    def analysed(self, item: Item, line: str, pid: int | None = None, maxrss: int = 0) -> None:
        """An article analysed in this run (by worker `pid`, whose peak RSS is `maxrss` KiB); a
        duplicate (its text analysed for an earlier line) is counted as skipped and not stored again."""
        if pid is not None:
            self.rss[pid] = max(self.rss.get(pid, 0), maxrss)
        if item.duplicate:
            self.counts.skipped += 1
        else:
            self.counts.analysed += 1
            if self.store is not None:
                self.store.add(json.loads(line), json_text=line, input=item.input, line=item.line)
        self._write(line)

    def stored(self, line: str) -> None:
        """An article already in the store: its stored analysis stands in for it."""
        self.counts.skipped += 1
        self._write(line)

    def _write(self, line: str) -> None:
        if self.dst is not None:
            self.dst.write(line + "\n")
        self.progress.update(self.counts.done)

    def summary(self, secs: float, *, separate_workers: bool, interrupted: bool = False,
                broken: bool = False) -> int:
        """Print the summary on stderr (with this process's peak RSS when the articles were analysed
        in other processes); the exit code of the run."""
        if self.dst is not None:
            self.dst.flush()
        counts = self.counts
        rate = counts.done / secs if secs > 0 else 0.0
        summary = (f"{self.progress.clear()}done: {counts.analysed} analysed, {counts.failed} failed, "
                   f"{counts.skipped} skipped, in {secs:.1f} s ({rate:.1f} articles/s)")
        if self.rss:
            peaks = ", ".join(f"{kib / 1024:.0f}" for _, kib in sorted(self.rss.items()))
            summary += f"; peak RSS per worker (MiB): {peaks}"
            if separate_workers:
                summary += f", main process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
        print(summary, file=sys.stderr)
        if interrupted or broken:
            stored = f"; {self.store.added} articles stored, run again to resume" if self.store is not None else ""
            print(f"sourcetrace: batch {'interrupted' if interrupted else 'stopped'}{stored}", file=sys.stderr)
            return 130 if interrupted else 1
        return 0 if counts.failed == 0 else 1


def analysis_failed(item: Item, reason: str) -> str:
    """The error message of an article whose analysis raised (a bug, kept to that article)."""
    return f"{item.input}:{item.line}: analysis failed ({reason})"


# ---------------------------------------------------------------------------------------------
# The run.

ENGINES = ("local", "dask")


def run_batch(input_path: str, output_path: str | None = "-", *, db: str | None = None, workers: int = 1,
              progress: bool | None = None, commit_every: int = 100, window: int | None = None,
              engine: str = "local", scheduler: str | None = None, partition_size: int = 16,
              parquet: str | None = None) -> int:
    """Analyse every article of `input_path` (JSONL file, folder, or '-' for stdin); write JSONL to
    `output_path` ('-' stdout, None none) and/or store into `db`. Exit code: 1 if any article failed.

    engine "local": `workers` processes on this machine. engine "dask": partitions of
    `partition_size` articles analysed on the Dask cluster at `scheduler` (see
    `sourcetrace.dask_engine`), which may also write Parquet files into `parquet`."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose local or dask")
    if (engine == "dask") != (scheduler is not None):
        raise ValueError("--engine dask needs --scheduler ADDRESS, and --scheduler needs --engine dask")
    if parquet is not None and engine != "dask":
        raise ValueError("--parquet is written by the Dask workers: it needs --engine dask")
    if workers < 1:
        raise ValueError("--workers must be at least 1")
    if partition_size < 1:
        raise ValueError("--partition-size must be at least 1")
    window = window or max(4, 4 * workers)
    show = sys.stderr.isatty() if progress is None else progress
    with ExitStack() as stack:
        items, total = _open_input(input_path, show, stack)
        dst: IO[str] | None = None
        if output_path == "-":
            dst = sys.stdout
        elif output_path:
            dst = stack.enter_context(open(output_path, "w", encoding="utf-8"))
        store = None
        if db:
            from .store import Store

            store = stack.enter_context(Store(db, commit_every=commit_every))
        results = Results(dst, store, Progress(show, total))
        if engine == "dask":
            from .dask_engine import run_on_cluster

            return run_on_cluster(items, results, scheduler, partition_size=partition_size, parquet=parquet)
        return _run(items, results, workers, window)


def _open_input(input_path: str, show: bool, stack: ExitStack) -> tuple[Iterator[Item], int | None]:
    """(the Items of the input, their number when known cheaply)."""
    if input_path == "-":
        return jsonl_items(sys.stdin, "<stdin>"), None
    path = Path(input_path)
    if path.is_dir():
        files = folder_files(path)
        return folder_items(path, files), len(files)
    try:
        src = stack.enter_context(open(path, "rb"))
    except OSError as exc:
        raise InputError(f"{input_path}: cannot read ({exc.strerror or exc})") from None
    total = count_lines(path) if show and path.is_file() else None
    return jsonl_items(src, input_path), total


def _run(items: Iterator[Item], results: Results, workers: int, window: int) -> int:
    from .store import store_key

    store = results.store
    if workers == 1:
        executor: Any = InlineExecutor()
    else:
        executor = ProcessPoolExecutor(max_workers=workers, initializer=init_worker)
    t0 = time.perf_counter()
    pending: deque[tuple[Item, Any]] = deque()  # (item, Future | ready output line | None)
    in_flight: dict[str, Future] = {}           # store key -> its analysis, while pending

    def finish(item: Item, result: Any) -> None:
        if item.error is not None:
            results.failed(item)
        elif isinstance(result, Future):
            if in_flight and not item.duplicate and item.doc is not None:
                in_flight.pop(store_key(item.doc.text), None)
            try:
                line, pid, maxrss = result.result()
            except BrokenProcessPool:
                raise
            except Exception as exc:  # the pipeline never raises; this is a bug, kept to one article
                item.error = analysis_failed(item, f"{type(exc).__name__}: {exc}")
                results.failed(item)
                return
            results.analysed(item, line, pid, maxrss)
        else:  # already stored: the stored analysis stands in for it
            results.stored(result)

    def drain() -> None:
        """Finish the articles at the head of the queue that are done, and wait for the head while
        the window is full."""
        while pending:
            item, result = pending[0]
            if isinstance(result, Future) and not result.done() and len(pending) < window:
                return
            pending.popleft()
            finish(item, result)

    interrupted = broken = False
    try:
        for item in items:
            result: Any = None
            if item.error is None:
                assert item.doc is not None
                key = store_key(item.doc.text)
                stored = store.get_json(key) if store is not None else None
                if stored is not None:
                    result = stored
                elif key in in_flight:   # with a store: the same text earlier in the input, in flight
                    item.duplicate = True
                    result = in_flight[key]
                else:
                    result = executor.submit(analyse_task, item.doc)
                    if store is not None:
                        in_flight[key] = result
            pending.append((item, result))
            drain()
        while pending:
            item, result = pending.popleft()
            finish(item, result)
    except KeyboardInterrupt:
        interrupted = True
    except BrokenProcessPool as exc:
        broken = True
        log.error("a worker process died (%s)", exc)
    finally:
        executor.shutdown(wait=not (interrupted or broken), cancel_futures=True)
    return results.summary(time.perf_counter() - t0, separate_workers=workers > 1, interrupted=interrupted,
                           broken=broken)


def run_jsonl(input_path: str, output_path: str) -> int:
    """The original entry point: JSONL (or '-') in, JSONL out, one process."""
    return run_batch(input_path, output_path)
