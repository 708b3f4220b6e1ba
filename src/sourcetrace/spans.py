"""Small helpers over sorted, non-overlapping spans (paragraphs, sentences)."""

from __future__ import annotations

import bisect
from typing import Sequence

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
