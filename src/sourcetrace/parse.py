"""Parse only the parts of a document that attribution needs.

Attribution needs the dependency parse around quotes and cue words, not of the whole article.
`parse_windows` runs spaCy over a few character windows (merged where they touch) and returns a
`Parsed` view that answers "which tokens lie in [start, end)" in document offsets.
"""

from __future__ import annotations

import bisect
from typing import Iterable, NamedTuple

from . import nlp as nlp_module
from .lexicons import lemma_of

# Penn Treebank tag -> Universal POS. The pipeline skips spaCy's attribute ruler (which sets
# `pos_` from the tag) because only these coarse classes are needed.
_TAG_TO_POS = {
    "NN": "NOUN", "NNS": "NOUN", "NNP": "PROPN", "NNPS": "PROPN", "PRP": "PRON", "PRP$": "PRON",
    "WP": "PRON", "WP$": "PRON", "EX": "PRON", "DT": "DET", "PDT": "DET", "WDT": "DET",
    "JJ": "ADJ", "JJR": "ADJ", "JJS": "ADJ", "AFX": "ADJ", "RB": "ADV", "RBR": "ADV", "RBS": "ADV",
    "WRB": "ADV", "IN": "ADP", "CC": "CCONJ", "CD": "NUM", "MD": "AUX", "POS": "PART", "TO": "PART",
    "RP": "ADP", "UH": "INTJ", "SYM": "SYM", "$": "SYM", "_SP": "SPACE", "ADD": "X", "FW": "X",
    "GW": "X", "LS": "X", "NIL": "X", "XX": "X", "HYPH": "PUNCT", "NFP": "PUNCT",
}
_AUX_WORDS = {"be", "is", "am", "are", "was", "were", "been", "being", "'s", "’s", "'re", "’re", "'m", "’m",
              "have", "has", "had", "having", "'ve", "’ve", "'d", "’d", "do", "does", "did"}


def coarse_pos(tag: str, lower: str) -> str:
    if tag.startswith("VB"):
        return "AUX" if lower in _AUX_WORDS else "VERB"
    return _TAG_TO_POS.get(tag, "PUNCT" if not any(c.isalnum() for c in tag) else "X")

MAX_WINDOW = 6000  # characters; longer windows are cut (spaCy's cost grows with length)


class Tok(NamedTuple):
    """A parsed token in document offsets. `head` and `children` are indexes into Parsed.toks.

    A named tuple rather than a frozen dataclass: a parse makes one per token, and a frozen
    dataclass took twice as long to build (docs/speed.md)."""

    i: int
    start: int
    end: int
    text: str
    lower: str
    lemma: str
    pos: str
    tag: str
    dep: str
    head: int
    children: tuple[int, ...]
    sent_start: bool


class Parsed:
    def __init__(self, toks: list[Tok]):
        self.toks = toks
        self._starts = [t.start for t in toks]

    def in_range(self, start: int, end: int) -> list[Tok]:
        lo = bisect.bisect_left(self._starts, start)
        hi = bisect.bisect_left(self._starts, end)
        return [t for t in self.toks[lo:hi] if t.end <= end]

    def head(self, tok: Tok) -> Tok:
        return self.toks[tok.head]

    def children(self, tok: Tok) -> list[Tok]:
        return [self.toks[c] for c in tok.children]

    def subtree(self, tok: Tok) -> list[Tok]:
        out, todo = [], [tok.i]
        while todo:
            i = todo.pop()
            out.append(self.toks[i])
            todo.extend(self.toks[i].children)
        return sorted(out, key=lambda t: t.i)


def _snap(text: str, pos: int, direction: int) -> int:
    """Move a window edge outward to whitespace so no word is cut."""
    n = len(text)
    steps = 0
    while 0 < pos < n and not text[pos - 1].isspace() and not text[pos].isspace() and steps < 50:
        pos += direction
        steps += 1
    return max(0, min(n, pos))


def merge_windows(text: str, windows: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    spans = sorted((_snap(text, s, -1), _snap(text, e, 1)) for s, e in windows if e > s)
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1] and e - merged[-1][0] <= MAX_WINDOW:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, min(e, s + MAX_WINDOW)])
    out = []
    for s, e in merged:
        if out and s < out[-1][1]:
            s = out[-1][1]
        out.extend(_split_at_line_breaks(text, s, e))
    return out


def _split_at_line_breaks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A window cut into its paragraphs: the parser must not attach words across a break."""
    pieces = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl == -1 else nl
        if text[pos:stop].strip():
            pieces.append((pos, stop))
        pos = stop + 1
    return pieces


def parse_windows(text: str, windows: Iterable[tuple[int, int]]) -> Parsed:
    merged = merge_windows(text, windows)
    nlp = nlp_module.load()
    toks: list[Tok] = []
    for (start, _end), sdoc in zip(merged, nlp.pipe(text[s:e] for s, e in merged)):
        toks.extend(_toks_of(sdoc, start, len(toks)))
    return Parsed(toks)


def _toks_of(sdoc, start: int, base: int) -> list[Tok]:
    """The tokens of a parsed spaCy doc of the text from `start`, numbered from `base`. Children are
    collected from the heads in one pass, in token order (as spaCy's `Token.children` gives them)."""
    rows = [(t.idx, t.text, t.lower_, t.tag_, t.dep_, t.head.i, t.is_sent_start) for t in sdoc]
    children: list[list[int]] = [[] for _ in rows]
    for i, row in enumerate(rows):
        if row[5] != i:
            children[row[5]].append(base + i)
    return [
        Tok(base + i, start + idx, start + idx + len(word), word, lower, lemma_of(word), coarse_pos(tag, lower),
            tag, dep, base + head, tuple(children[i]), bool(sent_start))
        for i, (idx, word, lower, tag, dep, head, sent_start) in enumerate(rows)
    ]
