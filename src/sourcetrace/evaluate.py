"""Scoring against gold attributions in the PolNeAR JSONL format.

Gold: one article per line, {"id", "text", "quotes": [{"start", "end", "kind", "speaker",
"speaker_start", "speaker_end", ...}]} (see shared/data/polnear/README.md). Each gold record is
one contiguous content fragment; our quotes are compared fragment to fragment.

Metrics, overall and per kind (gold kind vs predicted kind). PolNeAR derives "direct" as "the whole
content is inside quotation marks", which is what our `partial` quotes are too, so they count as
direct; "mixed" is content partly inside marks:
- exact: the same character offsets (after trimming whitespace);
- overlap: the words both spans share are at least half the words of the longer span; pairs
  are matched one-to-one, best overlap first;
- speaker accuracy on overlap-matched quotes, strict (speaker spans overlap) and lenient (also
  when the predicted source has a mention overlapping the gold speaker, or shares a name word
  with it);
- end to end: overlap match and lenient speaker right, as P/R/F1.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from .document import Document, Quote

KIND_OF_PREDICTION = {"direct": "direct", "partial": "mixed", "indirect": "indirect", "mixed": "mixed"}
KINDS = ("all", "direct", "indirect", "mixed")
_WORD = re.compile(r"\w+")
_STOP = {"the", "a", "an", "of", "he", "she", "they", "it", "we", "i", "his", "her", "their", "mr", "ms",
         "mrs", "dr", "said", "and", "to", "in", "for", "on", "at", "who", "that", "this"}


@dataclass(frozen=True)
class PRF:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: "PRF") -> "PRF":
        return PRF(tp=self.tp + other.tp, fp=self.fp + other.fp, fn=self.fn + other.fn)

    def as_dict(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass(frozen=True)
class GoldQuote:
    start: int
    end: int
    kind: str
    speaker: tuple[int, int] | None
    speaker_text: str | None


def read_gold(path: str | Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not valid JSON ({exc.msg})") from None


def gold_quotes(record: dict[str, Any]) -> list[GoldQuote]:
    out = []
    for q in record.get("quotes", []):
        spk = None
        if q.get("speaker_start") is not None and q.get("speaker_end") is not None:
            spk = (q["speaker_start"], q["speaker_end"])
        out.append(GoldQuote(q["start"], q["end"], q["kind"], spk, q.get("speaker")))
    return out


def _words(text: str, start: int, end: int) -> set[int]:
    return {m.start() for m in _WORD.finditer(text, start, end)}


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def match_overlap(text: str, gold: list[GoldQuote], pred: list[Quote]) -> list[tuple[int, int]]:
    """One-to-one (gold index, pred index) pairs whose shared words are >= 50% of the longer."""
    gw = [_words(text, g.start, g.end) for g in gold]
    pw = [_words(text, p.span.start, p.span.end) for p in pred]
    cands = []
    for i, g in enumerate(gw):
        for j, p in enumerate(pw):
            if pred[j].span.start >= gold[i].end or pred[j].span.end <= gold[i].start:
                continue
            shared = len(g & p)
            longer = max(len(g), len(p)) or 1
            if shared and shared / longer >= 0.5:
                cands.append((shared / longer, i, j))
    cands.sort(reverse=True)
    used_g, used_p, pairs = set(), set(), []
    for _, i, j in cands:
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            pairs.append((i, j))
    return pairs


def _name_words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text or "")} - _STOP


def speaker_right(doc: Document, g: GoldQuote, q: Quote, *, lenient: bool) -> bool:
    if g.speaker is None:
        return q.speaker is None
    if q.speaker is None:
        return False
    gs, ge = g.speaker
    if q.speaker.start < ge and gs < q.speaker.end:
        return True
    if not lenient:
        return False
    source = next((s for s in doc.sources if s.id == q.source_id), None)
    if source is not None:
        if any(m.start < ge and gs < m.end for m in source.mentions):
            return True
        if _name_words(source.name) & _name_words(g.speaker_text):
            return True
    return bool(_name_words(q.speaker.text) & _name_words(g.speaker_text))


@dataclass
class Tally:
    exact: PRF = PRF(tp=0, fp=0, fn=0)
    overlap: PRF = PRF(tp=0, fp=0, fn=0)
    end_to_end: PRF = PRF(tp=0, fp=0, fn=0)
    matched: int = 0
    speaker_strict: int = 0
    speaker_lenient: int = 0

    def as_dict(self) -> dict[str, Any]:
        m = self.matched or 1
        return {
            "exact": self.exact.as_dict(),
            "overlap": self.overlap.as_dict(),
            "speaker_accuracy_strict": round(self.speaker_strict / m, 4),
            "speaker_accuracy_lenient": round(self.speaker_lenient / m, 4),
            "end_to_end": self.end_to_end.as_dict(),
            "matched": self.matched,
        }


def score_article(doc: Document, gold: list[GoldQuote], tallies: dict[str, Tally]) -> None:
    text = doc.text
    for kind in KINDS:
        g = [x for x in gold if kind == "all" or x.kind == kind]
        p = [q for q in doc.quotes if kind == "all" or KIND_OF_PREDICTION[q.kind] == kind]
        t = tallies[kind]
        gset = {_trim(text, x.start, x.end) for x in g}
        pset = {_trim(text, q.span.start, q.span.end) for q in p}
        tp = len(gset & pset)
        t.exact += PRF(tp=tp, fp=len(pset) - tp, fn=len(gset) - tp)
        pairs = match_overlap(text, g, p)
        t.overlap += PRF(tp=len(pairs), fp=len(p) - len(pairs), fn=len(g) - len(pairs))
        right = 0
        for i, j in pairs:
            t.matched += 1
            t.speaker_strict += speaker_right(doc, g[i], p[j], lenient=False)
            ok = speaker_right(doc, g[i], p[j], lenient=True)
            t.speaker_lenient += ok
            right += ok
        t.end_to_end += PRF(tp=right, fp=len(p) - right, fn=len(g) - right)


def evaluate(records: Iterable[dict[str, Any]], *, limit: int | None = None) -> dict[str, Any]:
    from . import analyze_document
    from .stages.ingest import from_record

    tallies = {k: Tally() for k in KINDS}
    n_docs = n_words = 0
    seconds = 0.0
    for n, record in enumerate(records):
        if limit is not None and n >= limit:
            break
        doc = from_record({"text": record["text"], "id": record.get("id")})
        t0 = time.perf_counter()
        doc = analyze_document(doc)
        seconds += time.perf_counter() - t0
        n_docs += 1
        n_words += len(doc.text.split())
        score_article(doc, gold_quotes(record), tallies)
    return {
        "articles": n_docs,
        "words": n_words,
        "words_per_second": round(n_words / seconds, 1) if seconds else None,
        "by_kind": {k: t.as_dict() for k, t in tallies.items()},
    }


def evaluate_path(path: str | Path, *, limit: int | None = None) -> dict[str, Any]:
    return evaluate(read_gold(path), limit=limit)


def render_text(result: dict[str, Any]) -> str:
    lines = [f"{result['articles']} articles, {result['words']} words, "
             f"{result['words_per_second']} words/s (analysis only, one process)", ""]
    header = f"{'kind':9} {'exact P/R/F1':>20} {'overlap P/R/F1':>20} {'spk strict':>10} {'spk lenient':>11} {'end-to-end P/R/F1':>20}"
    lines.append(header)
    for kind, r in result["by_kind"].items():
        def prf(d):
            return f"{d['precision']:.3f}/{d['recall']:.3f}/{d['f1']:.3f}"
        lines.append(f"{kind:9} {prf(r['exact']):>20} {prf(r['overlap']):>20} "
                     f"{r['speaker_accuracy_strict']:>10.3f} {r['speaker_accuracy_lenient']:>11.3f} "
                     f"{prf(r['end_to_end']):>20}")
    return "\n".join(lines) + "\n"
