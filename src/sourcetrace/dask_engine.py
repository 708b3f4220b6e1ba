"""`sourcetrace batch --engine dask --scheduler ADDRESS`: analyse partitions of the input on a Dask cluster.

The client (this process) reads the input, makes the Documents (bad lines become error records
here, as in the local engine), skips articles already in the store, and sends partitions of
`partition_size` articles to the cluster. Each worker process loads the spaCy model once, in the
setup of a worker plugin (`ModelPlugin`), and analyses its partitions with the local engine's own
task; with `parquet`, it also writes the partition's articles and quotes as Parquet files. The
client takes the partitions back in input order and writes the JSONL output and the store exactly
as the local engine does (`batch.Results`), so the output and the store do not depend on the engine.

The task functions live here, in an importable module, so that workers import them (and keep the
module's state, the loaded model among it) instead of receiving them by value.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .batch import Item, Results, analyse_task, analysis_failed, warm_up
from .document import Document

try:
    from distributed import WorkerPlugin
except ImportError:  # `connect` says which package is missing
    WorkerPlugin = object  # type: ignore[misc,assignment]

log = logging.getLogger(__name__)

PLUGIN_NAME = "sourcetrace-model"
CONNECT_TIMEOUT = "20s"
# A partition is sent once it has `partition_size` articles to analyse, or once it carries this many
# times as many input lines (errors, stored articles), so that a long run of those is written as it goes.
LINES_PER_ARTICLE_SLOT = 4

# Worker-side state, read by `worker_state` (tests, diagnostics).
_plugin_setups = 0
_model_loads_after_setup: int | None = None


class DaskEngineError(ValueError):
    """The Dask engine cannot run (no `distributed` package, no scheduler at the address)."""


def _model_loads() -> int:
    from . import nlp

    return nlp.load.cache_info().misses


class ModelPlugin(WorkerPlugin):
    """Loads (and warms up) the spaCy pipeline once in every worker process, before its first task.
    Registered idempotently: a second run on the same cluster does not load it again."""

    name = PLUGIN_NAME
    idempotent = True

    async def setup(self, worker: Any) -> None:
        # Loading takes seconds: off the worker's event loop, which must keep answering the scheduler.
        await asyncio.to_thread(_load_model)


def _load_model() -> None:
    global _plugin_setups, _model_loads_after_setup
    warm_up()
    _plugin_setups += 1
    _model_loads_after_setup = _model_loads()


def worker_state() -> dict[str, Any]:
    """This worker's pid, how many times the plugin's setup ran, and the model loads then and now
    (equal when no task had to load the model again)."""
    return {"pid": os.getpid(), "plugin_setups": _plugin_setups,
            "model_loads_after_setup": _model_loads_after_setup, "model_loads": _model_loads()}


# ---------------------------------------------------------------------------------------------
# The task (runs on the workers).

@dataclass
class Article:
    """What a worker needs of one input article: where it came from (for Parquet) and the Document."""
    input: str
    line: int
    doc: Document


def analyse_partition(articles: list[Article], parquet: str | None, part: str) -> tuple[list, int, int]:
    """([(JSON line, None) or (None, "Type: message")] per article, worker pid, worker peak RSS in
    KiB); with `parquet`, the analysed articles and their quotes are written to
    `parquet`/articles/`part`.parquet and `parquet`/quotes/`part`.parquet."""
    out: list[tuple[str | None, str | None]] = []
    for article in articles:
        try:
            out.append((analyse_task(article.doc)[0], None))
        except Exception as exc:  # the pipeline never raises; this is a bug, kept to one article
            out.append((None, f"{type(exc).__name__}: {exc}"))
    if parquet:
        write_parquet(Path(parquet), part, [(a, line) for a, (line, _) in zip(articles, out) if line is not None])
    return out, os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# Parquet columns: one row per analysed article, one per quote; `key` joins them (and the store).
ARTICLE_COLUMNS = (("key", "string"), ("id", "string"), ("input", "string"), ("line", "int64"),
                   ("title", "string"), ("outlet", "string"), ("published", "string"), ("url", "string"),
                   ("language", "string"), ("words", "int64"), ("quotes", "int64"), ("sources", "int64"),
                   ("anonymous_sources", "int64"), ("state_media_sources", "int64"),
                   ("unattributed_claims", "int64"), ("json", "string"))
QUOTE_COLUMNS = (("key", "string"), ("id", "string"), ("quote_id", "string"), ("kind", "string"),
                 ("char_start", "int64"), ("char_end", "int64"), ("text", "string"), ("speaker", "string"),
                 ("source_id", "string"), ("source_type", "string"))


def article_row(where: str, line: int, json_line: str, data: dict) -> dict[str, Any]:
    from .store import store_key

    doc = data["document"]
    by_type = (data.get("profile") or {}).get("sources_by_type") or {}
    sources = data.get("sources") or []
    return {"key": store_key(doc["text"]), "id": None if doc.get("id") is None else str(doc["id"]),
            "input": where, "line": line, "title": doc.get("title"), "outlet": doc.get("outlet"),
            "published": doc.get("published"), "url": doc.get("url"), "language": doc.get("language"),
            "words": (data.get("profile") or {}).get("words", len(doc["text"].split())),
            "quotes": len(data.get("quotes") or []), "sources": len(sources),
            "anonymous_sources": by_type.get("anonymous", sum(s["type"] == "anonymous" for s in sources)),
            "state_media_sources": by_type.get("state_media", sum(s["type"] == "state_media" for s in sources)),
            "unattributed_claims": len(data.get("unattributed_claims") or []), "json": json_line}


def quote_rows(data: dict) -> list[dict[str, Any]]:
    from .store import store_key

    doc = data["document"]
    key = store_key(doc["text"])
    type_of = {s["id"]: s["type"] for s in data.get("sources") or []}
    return [{"key": key, "id": None if doc.get("id") is None else str(doc["id"]), "quote_id": q["id"],
             "kind": q.get("kind"), "char_start": q["start"], "char_end": q["end"], "text": q["text"],
             "speaker": (q.get("speaker") or {}).get("text"), "source_id": q.get("source_id"),
             "source_type": type_of.get(q.get("source_id"))} for q in data.get("quotes") or []]


def _table(pa, columns: tuple, rows: list[dict]):
    schema = pa.schema([(name, getattr(pa, kind)()) for name, kind in columns])
    return pa.Table.from_pylist(rows, schema=schema)


def write_parquet(folder: Path, part: str, analysed: list[tuple[Article, str]]) -> None:
    """The analysed articles (with their JSON lines) and their quotes, one file each per partition;
    written under a temporary name and renamed, so a reader never sees half a file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    analyses = [(a, line, json.loads(line)) for a, line in analysed]
    tables = {"articles": _table(pa, ARTICLE_COLUMNS, [article_row(a.input, a.line, line, data)
                                                       for a, line, data in analyses]),
              "quotes": _table(pa, QUOTE_COLUMNS, [r for _, _, data in analyses for r in quote_rows(data)])}
    for name, table in tables.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        path = folder / name / f"{part}.parquet"
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        pq.write_table(table, str(tmp))
        os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# The client side.

@dataclass
class Partition:
    """Input lines in order, each with what stands in for its analysis: a future's result (index into
    `articles`), a stored JSON line, a duplicate of an earlier line's text, or its error record."""
    entries: list[tuple[Item, str, Any]] = field(default_factory=list)  # (item, kind, payload)
    articles: list[Article] = field(default_factory=list)
    future: Any = None


def part_name(partition: Partition) -> str:
    """The file name of a partition: its first article's input line, so a rerun of the same input
    rewrites the same files instead of adding new ones."""
    return f"part-{partition.articles[0].line:09d}"


def connect(scheduler: str):
    try:
        from distributed import Client
    except ImportError:
        raise DaskEngineError("--engine dask needs the Python package 'distributed', which is not installed: "
                              "pip install \"sourcetrace[dask]\"") from None
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise DaskEngineError(f"cannot connect to the Dask scheduler at {scheduler} ({exc})") from None


def run_on_cluster(items: Iterator[Item], results: Results, scheduler: str, *, partition_size: int = 16,
                   parquet: str | None = None) -> int:
    """Analyse `items` on the cluster at `scheduler`; results go to `results` in input order. The
    exit code of the run (as the local engine's)."""
    if parquet:
        from .export import _pyarrow

        _pyarrow()  # fail before analysing anything
    client = connect(scheduler)
    t0 = time.perf_counter()
    interrupted = False
    try:
        client.register_plugin(ModelPlugin(), name=PLUGIN_NAME)
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        _stream(client, items, results, partition_size, parquet, in_flight=2 * workers)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        client.close()
    return results.summary(time.perf_counter() - t0, separate_workers=True, interrupted=interrupted)


def _stream(client, items: Iterator[Item], results: Results, partition_size: int, parquet: str | None,
            in_flight: int) -> None:
    from .store import store_key

    store = results.store
    pending: deque[Partition] = deque()
    keys_in_flight: set[str] = set()  # with a store: texts sent for analysis and not yet stored
    current = Partition()

    def send(partition: Partition) -> None:
        if partition.articles:
            partition.future = client.submit(analyse_partition, partition.articles, parquet,
                                             part_name(partition), pure=False)
        pending.append(partition)
        while len(pending) > in_flight or (pending and pending[0].future is None):
            _finish(pending.popleft(), results, keys_in_flight)

    try:
        for item in items:
            if item.error is not None:
                current.entries.append((item, "error", None))
            else:
                assert item.doc is not None
                key = store_key(item.doc.text)
                stored = store.get_json(key) if store is not None else None
                if stored is not None:
                    current.entries.append((item, "stored", stored))
                elif key in keys_in_flight:
                    item.duplicate = True
                    current.entries.append((item, "duplicate", key))
                else:
                    current.entries.append((item, "analyse", len(current.articles)))
                    current.articles.append(Article(item.input, item.line, item.doc))
                    if store is not None:
                        keys_in_flight.add(key)
            if (len(current.articles) >= partition_size
                    or len(current.entries) >= LINES_PER_ARTICLE_SLOT * partition_size):
                send(current)
                current = Partition()
        if current.entries:
            send(current)
        while pending:
            _finish(pending.popleft(), results, keys_in_flight)
    except BaseException:
        client.cancel([p.future for p in pending if p.future is not None])
        raise


def _finish(partition: Partition, results: Results, keys_in_flight: set[str]) -> None:
    """Wait for a partition's analyses and hand its lines, in order, to `results`."""
    from .store import store_key

    analyses: list[tuple[str | None, str | None]] = []
    pid = maxrss = 0
    if partition.future is not None:
        try:
            analyses, pid, maxrss = partition.future.result()
        except Exception as exc:  # a task that died with its worker (KilledWorker), a Parquet write error
            reason = f"{type(exc).__name__}: {exc}"
            log.error("partition %s failed (%s)", part_name(partition), reason)
            analyses = [(None, reason)] * len(partition.articles)
    for item, kind, payload in partition.entries:
        if kind == "error":
            results.failed(item)
        elif kind == "stored":
            results.stored(payload)
        elif kind == "duplicate":
            # the earlier line with this text was finished (and stored) before this one
            line = results.store.get_json(payload)
            if line is None:
                item.error = analysis_failed(item, "the analysis of the same text on an earlier line failed")
                results.failed(item)
            else:
                results.analysed(item, line)
        else:
            line, reason = analyses[payload]
            keys_in_flight.discard(store_key(item.doc.text))
            if line is None:
                item.error = analysis_failed(item, reason)
                results.failed(item)
            else:
                results.analysed(item, line, pid, maxrss)
