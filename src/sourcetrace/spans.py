"""Small helpers over sorted spans: non-overlapping ones (paragraphs, sentences) and ones that
may overlap (quotes, cues)."""

from __future__ import annotations

import bisect
import itertools
from typing import Iterable, Iterator, Sequence

from .document import Span


class SpanIndex:
    """Finds which of a sorted run of non-overlapping spans holds a character position."""

    def __init__(self, spans: Sequence[Span]):
        self.spans = list(spans)
        self._starts = [s.start for s in self.spans]

    def index_at(self, pos: int) -> int | None:
        """Index of the span containing `pos`, or of the last span starting before it."""
        i = bisect.bisect_right(self._starts, pos) - 1
        return i if i >= 0 else None

    def at(self, pos: int) -> Span | None:
        i = self.index_at(pos)
        if i is None:
            return None
        span = self.spans[i]
        return span if span.start <= pos < max(span.end, span.start + 1) else None

    def __len__(self) -> int:
        return len(self.spans)

    def __getitem__(self, i: int) -> Span:
        return self.spans[i]


class Intervals:
    """(start, end) pairs that may overlap, searched by bisect: which cover a position, which
    overlap a range, whether one starts in a range. A scan of every pair per token or sentence made
    long articles quadratic."""

    def __init__(self, pairs: Iterable[tuple[int, int]]):
        self.pairs = sorted(pairs)
        self._starts = [s for s, _ in self.pairs]
        # the furthest end among the pairs up to each index: a backward walk stops once it is passed
        self._reach = list(itertools.accumulate((e for _, e in self.pairs), max))

    def covers(self, pos: int) -> bool:
        k = bisect.bisect_right(self._starts, pos) - 1
        return k >= 0 and pos < self._reach[k]

    def overlapping(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        i = bisect.bisect_left(self._starts, end) - 1
        while i >= 0 and self._reach[i] > start:
            if self.pairs[i][1] > start:
                yield self.pairs[i]
            i -= 1

    def first_start_from(self, pos: int) -> int | None:
        i = bisect.bisect_left(self._starts, pos)
        return self._starts[i] if i < len(self._starts) else None

    def any_starting_in(self, start: int, end: int) -> bool:
        first = self.first_start_from(start)
        return first is not None and first < end
