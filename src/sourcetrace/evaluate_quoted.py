"""Quote-mark function against our gold sets (eval/gold/quoted_terms*.jsonl).

Every pair of quote marks in each gold snippet is annotated with its function (quotation, name,
scare, mention). A predicted quoted term matches a gold term when both spans are the same after
trimming surrounding whitespace; unmatched gold terms count as missed (recall) and unmatched
predictions as spurious (precision), per class. The headline is the macro-F1 over the four
classes. The same scoring compares a second human annotator's labels with the gold file
(`sourcetrace evaluate GOLD --task quoted --annotator OTHER.jsonl`), which says how high a score
the task allows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from .evaluate import PRF, read_gold

FUNCTIONS = ("quotation", "name", "scare", "mention")


def evaluate_quoted(path: str | Path, annotator: str | Path | None = None) -> dict[str, Any]:
    """Score sourcetrace's quote-mark functions against the gold file, or, with `annotator`, a second
    annotator's labels of the same records (matched by id) — how far humans agree on the task."""
    if annotator is None:
        predict = _functions_found_by_sourcetrace
    else:
        predict = _functions_labelled_in(annotator)
    return _score(read_gold(path), predict)


def _functions_found_by_sourcetrace(record: dict[str, Any]) -> dict[tuple[int, int], str]:
    from . import analyze_document
    from .stages.ingest import from_record

    doc = analyze_document(from_record({"text": record["text"], "id": record.get("id")}))
    return {(t.span.start, t.span.end): t.function for t in doc.quoted if not t.nested}


def _functions_labelled_in(path: str | Path):
    by_id = {r["id"]: r for r in read_gold(path)}

    def labelled(record: dict[str, Any]) -> dict[tuple[int, int], str]:
        other = by_id.get(record["id"])
        if other is None:
            raise ValueError(f"{path}: no record with id {record['id']!r}")
        if other["text"] != record["text"]:
            raise ValueError(f"{path}: record {record['id']!r} has a different text from the gold file")
        return {(t["start"], t["end"]): t["function"] for t in other["terms"]}

    return labelled


def _score(records, predict) -> dict[str, Any]:
    tallies = {f: PRF(tp=0, fp=0, fn=0) for f in FUNCTIONS}
    confusion: dict[str, Counter] = defaultdict(Counter)
    n_gold = 0
    for record in records:
        predicted = predict(record)
        gold = {(g["start"], g["end"]): g["function"] for g in record["terms"]}
        n_gold += len(gold)
        for key, g in gold.items():
            p = predicted.get(key, "(missed)")
            confusion[g][p] += 1
            if p == g:
                tallies[g] += PRF(tp=1, fp=0, fn=0)
            else:
                tallies[g] += PRF(tp=0, fp=0, fn=1)
                if p in tallies:
                    tallies[p] += PRF(tp=0, fp=1, fn=0)
        for key, p in predicted.items():
            if key not in gold:
                tallies[p] += PRF(tp=0, fp=1, fn=0)
                confusion["(not a pair)"][p] += 1
    macro = sum(t.f1 for t in tallies.values()) / len(tallies)
    right = sum(confusion[f][f] for f in FUNCTIONS)
    return {
        "terms": n_gold,
        "macro_f1": round(macro, 4),
        "accuracy": round(right / n_gold, 4) if n_gold else None,
        "per_class": {f: tallies[f].as_dict() for f in FUNCTIONS},
        "confusion": {g: dict(c) for g, c in confusion.items()},
    }


def render_quoted(result: dict[str, Any]) -> str:
    lines = [f"{result['terms']} gold quoted terms; macro-F1 {result['macro_f1']:.3f}; "
             f"accuracy {result['accuracy']:.3f}", ""]
    for f, d in result["per_class"].items():
        lines.append(f"  {f:10} P {d['precision']:.3f}  R {d['recall']:.3f}  F1 {d['f1']:.3f}  "
                     f"(tp {d['tp']}, fp {d['fp']}, fn {d['fn']})")
    lines.append("")
    lines.append("confusion: gold -> predicted")
    for g, row in result["confusion"].items():
        lines.append(f"  {g:12} " + ", ".join(f"{p} {c}" for p, c in sorted(row.items(), key=lambda x: -x[1])))
    return "\n".join(lines) + "\n"
