"""Scoring the dates stage against eval/gold/dates.jsonl (see eval/gold/dates.md).

Gold: one record per line, {"id", "published", "text", "dates": [{"start", "end", "text",
"value", "granularity"}]}. Each record becomes a Document (`stages.ingest.from_record`) and runs
through `segment` and `dates` only.

Metrics:
- span, overlap: a predicted and a gold expression match when their spans overlap; pairs are
  matched one to one, largest overlap first. P/R/F1 over matched pairs.
- span, exact: the same start and end. P/R/F1.
- value accuracy (the headline): gold expressions whose matched prediction has the gold value,
  over all gold expressions, so a missed expression counts as wrong. Value accuracy on matched
  pairs is reported beside it, and granularity accuracy on matched pairs.
- per gold granularity: count, overlap recall, value accuracy (and on matched); predicted
  expressions by predicted granularity: count and overlap precision.
Every miss, false hit and wrong value is listed in `errors`.

    .venv/bin/python -m sourcetrace.evaluate_dates eval/gold/dates.jsonl [--format text|json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from .document import DateMention
from .evaluate import PRF, read_gold

GRANULARITIES = ("day", "week", "month", "year")


def match_dates(gold: list[dict[str, Any]], pred: list[DateMention]) -> list[tuple[int, int]]:
    """One-to-one (gold index, predicted index) pairs of overlapping spans, largest overlap first."""
    scored = []
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            ov = min(g["end"], p.span.end) - max(g["start"], p.span.start)
            if ov > 0:
                scored.append((-ov, i, j))
    scored.sort()
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for _, i, j in scored:
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            pairs.append((i, j))
    return sorted(pairs)


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def evaluate_dates(path: str | Path, *, limit: int | None = None) -> dict[str, Any]:
    from .pipeline import build_pipeline, run
    from .stages.ingest import from_record

    stages = build_pipeline(["segment", "dates"])
    overlap = exact = PRF(0, 0, 0)
    n_gold = matched = value_ok = gran_ok = 0
    by_gran = {g: {"gold": 0, "matched": 0, "value_correct": 0, "predicted": 0, "predicted_matched": 0}
               for g in GRANULARITIES}
    errors: list[dict[str, Any]] = []
    n_docs = 0
    seconds = 0.0
    for n, record in enumerate(read_gold(path)):
        if limit is not None and n >= limit:
            break
        n_docs += 1
        doc = from_record(record, where=f"{path}:{n + 1}")
        t0 = time.perf_counter()
        doc = run(doc, stages)
        seconds += time.perf_counter() - t0
        gold = sorted(record.get("dates", []), key=lambda d: (d["start"], d["end"]))
        pred = sorted(doc.dates, key=lambda d: (d.span.start, d.span.end))
        for w in doc.warnings:
            errors.append({"id": record.get("id"), "error": "warning", "message": f"{w.stage}: {w.message}"})
        gset = {(g["start"], g["end"]) for g in gold}
        pset = {(p.span.start, p.span.end) for p in pred}
        tp = len(gset & pset)
        exact += PRF(tp=tp, fp=len(pset) - tp, fn=len(gset) - tp)
        pairs = match_dates(gold, pred)
        overlap += PRF(tp=len(pairs), fp=len(pred) - len(pairs), fn=len(gold) - len(pairs))
        n_gold += len(gold)
        for g in gold:
            by_gran[g["granularity"]]["gold"] += 1
        for p in pred:
            by_gran[p.granularity]["predicted"] += 1
        gi = {i for i, _ in pairs}
        pj = {j for _, j in pairs}
        for i, j in pairs:
            g, p = gold[i], pred[j]
            matched += 1
            by_gran[g["granularity"]]["matched"] += 1
            by_gran[p.granularity]["predicted_matched"] += 1
            gran_ok += p.granularity == g["granularity"]
            if p.value == g["value"]:
                value_ok += 1
                by_gran[g["granularity"]]["value_correct"] += 1
            else:
                errors.append({"id": record.get("id"), "error": "wrong value", "text": g["text"],
                               "start": g["start"], "gold": g["value"], "predicted": p.value,
                               "predicted_text": p.span.text})
            if (p.span.start, p.span.end) != (g["start"], g["end"]) and p.value == g["value"]:
                errors.append({"id": record.get("id"), "error": "span differs", "text": g["text"],
                               "start": g["start"], "predicted_text": p.span.text})
        for i, g in enumerate(gold):
            if i not in gi:
                errors.append({"id": record.get("id"), "error": "missed", "text": g["text"],
                               "start": g["start"], "gold": g["value"]})
        for j, p in enumerate(pred):
            if j not in pj:
                errors.append({"id": record.get("id"), "error": "false hit", "text": p.span.text,
                               "start": p.span.start, "predicted": p.value})
    return {
        "articles": n_docs,
        "gold_expressions": n_gold,
        "seconds": round(seconds, 3),
        "value_accuracy": _ratio(value_ok, n_gold),
        "value_accuracy_on_matched": _ratio(value_ok, matched),
        "granularity_accuracy_on_matched": _ratio(gran_ok, matched),
        "overlap": overlap.as_dict(),
        "exact": exact.as_dict(),
        "by_granularity": {
            g: {
                "gold": t["gold"],
                "recall": _ratio(t["matched"], t["gold"]),
                "value_accuracy": _ratio(t["value_correct"], t["gold"]),
                "value_accuracy_on_matched": _ratio(t["value_correct"], t["matched"]),
                "predicted": t["predicted"],
                "precision": _ratio(t["predicted_matched"], t["predicted"]),
            }
            for g, t in by_gran.items()
        },
        "errors": errors,
    }


def render_dates(result: dict[str, Any]) -> str:
    def prf(d: dict[str, Any]) -> str:
        return f"{d['precision']:.3f} / {d['recall']:.3f} / {d['f1']:.3f}"

    lines = [
        f"{result['articles']} articles, {result['gold_expressions']} gold expressions "
        f"({result['seconds']} s for segment+dates)",
        "",
        f"value accuracy (all gold):      {result['value_accuracy']:.3f}",
        f"value accuracy (matched spans): {result['value_accuracy_on_matched']:.3f}",
        f"granularity acc. (matched):     {result['granularity_accuracy_on_matched']:.3f}",
        f"span overlap P / R / F1:        {prf(result['overlap'])}",
        f"span exact   P / R / F1:        {prf(result['exact'])}",
        "",
        f"{'granularity':12} {'gold':>5} {'recall':>7} {'value acc':>10} {'on matched':>11} {'pred':>5} {'precision':>10}",
    ]
    for g, t in result["by_granularity"].items():
        lines.append(f"{g:12} {t['gold']:>5} {t['recall']:>7.3f} {t['value_accuracy']:>10.3f} "
                     f"{t['value_accuracy_on_matched']:>11.3f} {t['predicted']:>5} {t['precision']:>10.3f}")
    if result["errors"]:
        lines += ["", f"errors ({len(result['errors'])}):"]
        for e in result["errors"]:
            if e["error"] == "warning":
                lines.append(f"  {e['id']}: warning {e['message']}")
                continue
            detail = ""
            if "gold" in e:
                detail += f" gold {e['gold']}"
            if "predicted" in e:
                detail += f" predicted {e['predicted']}"
            if e.get("predicted_text") and e["predicted_text"] != e["text"]:
                detail += f" (predicted span {e['predicted_text']!r})"
            lines.append(f"  {e['id']} @{e['start']}: {e['error']} {e['text']!r}{detail}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sourcetrace.evaluate_dates",
                                 description="Score the dates stage against a dates gold JSONL file.")
    ap.add_argument("gold", help="gold JSONL, e.g. eval/gold/dates.jsonl")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--format", choices=("text", "json"), default="text")
    args = ap.parse_args(argv)
    result = evaluate_dates(args.gold, limit=args.limit)
    if args.format == "json":
        sys.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_dates(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
