"""Vague attributions and unattributed claims against our gold set (eval/gold/signals.jsonl).

Matching is one-to-one: a vague attribution matches a gold one when their spans overlap; a
claim matches a gold claim (a whole sentence) when they share at least half the characters of
the longer. Precision, recall and F1 for each, over all articles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .evaluate import PRF, read_gold


def _match(gold: list[tuple[int, int]], pred: list[tuple[int, int]], min_share: float) -> int:
    used: set[int] = set()
    tp = 0
    for gs, ge in gold:
        for j, (ps, pe) in enumerate(pred):
            if j in used:
                continue
            shared = min(ge, pe) - max(gs, ps)
            if shared > 0 and shared >= min_share * max(ge - gs, pe - ps):
                used.add(j)
                tp += 1
                break
    return tp


def evaluate_signals(path: str | Path) -> dict[str, Any]:
    from . import analyze_document
    from .stages.ingest import from_record

    vague = PRF(tp=0, fp=0, fn=0)
    claims = PRF(tp=0, fp=0, fn=0)
    articles = 0
    for record in read_gold(path):
        doc = analyze_document(from_record({"text": record["text"], "id": record.get("id"),
                                            "published": record.get("published")}))
        articles += 1
        gv = [(v["start"], v["end"]) for v in record["vague_attributions"]]
        pv = [(v.span.start, v.span.end) for v in doc.vague_attributions]
        tp = _match(gv, pv, 0.0)
        vague += PRF(tp=tp, fp=len(pv) - tp, fn=len(gv) - tp)
        gc = [(c["start"], c["end"]) for c in record["unattributed_claims"]]
        pc = [(c.span.start, c.span.end) for c in doc.unattributed_claims]
        tp = _match(gc, pc, 0.5)
        claims += PRF(tp=tp, fp=len(pc) - tp, fn=len(gc) - tp)
    return {"articles": articles, "vague_attributions": vague.as_dict(), "unattributed_claims": claims.as_dict()}


def render_signals(result: dict[str, Any]) -> str:
    lines = [f"{result['articles']} articles"]
    for key in ("vague_attributions", "unattributed_claims"):
        d = result[key]
        lines.append(f"  {key:20} P {d['precision']:.3f}  R {d['recall']:.3f}  F1 {d['f1']:.3f}  "
                     f"(tp {d['tp']}, fp {d['fp']}, fn {d['fn']})")
    return "\n".join(lines) + "\n"
