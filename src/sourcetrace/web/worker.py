"""Analysis off the event loop, with a time limit and a bound on waiting work.

Articles are analysed in one worker thread: the spaCy pipeline is loaded once per process and is
not documented as safe to call from several threads at once, and the analysis is mostly Python
code holding the GIL, so more threads would not go faster. The event loop only waits, so /healthz and the store endpoints
answer while an article is being analysed.

A request that waits longer than `time_limit` seconds is answered 504. Python cannot stop a
running thread, so the analysis is told to stop and gives up at the next stage boundary (an
article still queued is dropped before it starts): a timed-out article does not hold the worker
for its whole run. At most `max_pending` analyses wait or run; more are refused at once (503).
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Mapping, TypeVar

from .. import pipeline, quote_function
from ..document import Document
from ..stages.ingest import from_html, from_text

WARM_UP_TEXT = '"We will hold the line," the general said on Monday, according to state media.'
META_FIELDS = ("published", "url", "outlet", "title")
T = TypeVar("T")


class Cancelled(Exception):
    """The request gave up waiting; the analysis stops at the next stage boundary."""


class TimeLimitExceeded(Exception):
    """The analysis did not finish within the time limit (answered 504)."""


class Busy(Exception):
    """Too many analyses waiting already (answered 503)."""


def make_document(article: Mapping[str, Any]) -> Document:
    """The Document for a request body: `html` goes through the same extraction as `analyze` does
    for a web page, `text` is kept exactly as given (offsets refer to it)."""
    meta = {k: article.get(k) for k in META_FIELDS}
    if article.get("html") is not None:
        return from_html(article["html"], where="html", **{k: v for k, v in meta.items() if v is not None})
    return from_text(article["text"], where="text", **meta)


def analyse(article: Mapping[str, Any], stages: list[pipeline.Stage], stop: threading.Event) -> Document:
    """The analysed Document; raises Cancelled at a stage boundary once `stop` is set."""
    return run_stages(make_document(article), stages, stop)


def job(article: Mapping[str, Any], stages: list[pipeline.Stage], stop: threading.Event,
        finish: Callable[[Document], T]) -> T:
    return finish(analyse(article, stages, stop))


def run_stages(doc: Document, stages: list[pipeline.Stage], stop: threading.Event) -> Document:
    for stage in stages:
        if stop.is_set():
            raise Cancelled()
        doc = pipeline.run(doc, [stage])
    return doc


class Analyser:
    def __init__(self, *, time_limit: float, max_pending: int) -> None:
        self.time_limit = time_limit
        self.max_pending = max_pending
        self.pending = 0  # analyses waiting or running; only touched on the event loop
        self.stops: set[threading.Event] = set()  # one per analysis waited for
        self.stages = pipeline.build_pipeline(pipeline.DEFAULT_STAGES)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sourcetrace-analyse")

    def warm_up(self) -> None:
        """Load the language model, lexicons and the quote-mark encoder now rather than on the first request."""
        run_stages(from_text(WARM_UP_TEXT), self.stages, threading.Event())
        quote_function.preload()  # the warm-up text has no pair the feature model is unsure of

    async def start(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self.executor, self.warm_up)

    def close(self) -> None:
        """Drop queued analyses and stop the running one at its next stage, so shutdown is quick."""
        for stop in self.stops:
            stop.set()
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def run(self, article: Mapping[str, Any], finish: Callable[[Document], T]) -> T:
        """`finish` of the analysed Document (serialising and rendering run in the worker too, so a
        long article never holds the event loop), or Busy / TimeLimitExceeded / the ingest's InputError."""
        if self.pending >= self.max_pending:
            raise Busy()
        self.pending += 1
        stop = threading.Event()
        self.stops.add(stop)
        future = asyncio.get_running_loop().run_in_executor(self.executor, job, article, self.stages, stop, finish)
        try:
            return await asyncio.wait_for(future, self.time_limit)
        except TimeoutError:
            stop.set()
            raise TimeLimitExceeded() from None
        finally:
            self.pending -= 1
            self.stops.discard(stop)
