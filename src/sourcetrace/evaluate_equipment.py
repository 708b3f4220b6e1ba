"""Scoring equipment mentions against the gold set eval/gold/equipment.jsonl.

Gold: one record per line, {"id", "text", "equipment": [{"start", "end", "text", "category"}]} (see
eval/gold/equipment.md). Each text is segmented and run through the entities stage (spaCy NER
included, as in the pipeline); its EQUIPMENT entities are compared with the gold mentions:
- exact: the same character offsets;
- overlap: the spans share at least one character; pairs are matched one to one, largest
  overlap first;
- category accuracy: the share of matched mentions (exact, and overlap) whose category is right;
- per category (gold category): gold and predicted counts, exact matches, right categories.
Every miss, false alarm, boundary difference and wrong category is listed under `errors`.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from .document import Document
from .evaluate import PRF
from .stages import entities as entities_stage
from .stages import segment


def read_equipment_gold(path: str | Path) -> list[dict[str, Any]]:
    records = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
                raise ValueError(f"{path}:{n}: expected an object with a \"text\" string")
            for m in rec.get("equipment", []):
                if rec["text"][m["start"]:m["end"]] != m["text"]:
                    raise ValueError(f"{path}:{n}: span {m['start']}-{m['end']} is not {m['text']!r}")
            records.append(rec)
    return records


def _match_overlap(gold: list[tuple[int, int]], pred: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """One-to-one (gold index, predicted index) pairs of overlapping spans, largest overlap first."""
    pairs = []
    for gi, (gs, ge) in enumerate(gold):
        for pi, (ps, pe) in enumerate(pred):
            ov = min(ge, pe) - max(gs, ps)
            if ov > 0:
                pairs.append((ov, gi, pi))
    used_g, used_p, out = set(), set(), []
    for _ov, gi, pi in sorted(pairs, key=lambda x: (-x[0], x[1], x[2])):
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            out.append((gi, pi))
    return out


def predict(text: str, gazetteer: entities_stage.Gazetteer | None = None) -> list[tuple[int, int, str, str]]:
    """(start, end, text, category) of the equipment the entities stage finds in `text`."""
    doc = segment.run(Document(text))
    ents = entities_stage.find_entities(doc, gazetteer)
    return [(e.span.start, e.span.end, e.span.text, e.category or "") for e in ents if e.label == entities_stage.EQUIPMENT]


def evaluate_equipment(path: str | Path, extra_gazetteer: str | Path | None = None,
                       records: Iterable[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Scores of the entities stage's equipment mentions against the gold file at `path`."""
    gazetteer = entities_stage.load_gazetteer(extra_gazetteer)
    recs = list(records) if records is not None else read_equipment_gold(path)
    exact = PRF(0, 0, 0)
    overlap = PRF(0, 0, 0)
    cat_exact = cat_overlap = 0
    per_cat: dict[str, Counter] = {}
    errors: list[dict[str, Any]] = []
    n_words = 0
    t0 = time.perf_counter()
    for rec in recs:
        text = rec["text"]
        n_words += len(text.split())
        gold = [(m["start"], m["end"], m["text"], m["category"]) for m in rec.get("equipment", [])]
        pred = predict(text, gazetteer)
        gold_spans = {(g[0], g[1]): g for g in gold}
        pred_spans = {(p[0], p[1]): p for p in pred}
        tp = len(gold_spans.keys() & pred_spans.keys())
        exact += PRF(tp, len(pred_spans) - tp, len(gold_spans) - tp)
        for g in gold:
            per_cat.setdefault(g[3], Counter())["gold"] += 1
        for p in pred:
            per_cat.setdefault(p[3], Counter())["predicted"] += 1
        for key in gold_spans.keys() & pred_spans.keys():
            g, p = gold_spans[key], pred_spans[key]
            per_cat[g[3]]["exact"] += 1
            if g[3] == p[3]:
                cat_exact += 1
                per_cat[g[3]]["category_right"] += 1
        pairs = _match_overlap([(g[0], g[1]) for g in gold], [(p[0], p[1]) for p in pred])
        overlap += PRF(len(pairs), len(pred) - len(pairs), len(gold) - len(pairs))
        matched_g = {gi for gi, _ in pairs}
        matched_p = {pi for _, pi in pairs}
        for gi, pi in pairs:
            g, p = gold[gi], pred[pi]
            if g[3] == p[3]:
                cat_overlap += 1
            if (g[0], g[1]) != (p[0], p[1]):
                errors.append({"id": rec.get("id"), "error": "boundary", "gold": g[2], "predicted": p[2],
                               "start": g[0]})
            if g[3] != p[3]:
                errors.append({"id": rec.get("id"), "error": "category", "gold": f"{g[2]} ({g[3]})",
                               "predicted": f"{p[2]} ({p[3]})", "start": g[0]})
        for gi, g in enumerate(gold):
            if gi not in matched_g:
                errors.append({"id": rec.get("id"), "error": "missed", "gold": f"{g[2]} ({g[3]})",
                               "predicted": None, "start": g[0]})
        for pi, p in enumerate(pred):
            if pi not in matched_p:
                errors.append({"id": rec.get("id"), "error": "spurious", "gold": None,
                               "predicted": f"{p[2]} ({p[3]})", "start": p[0]})
    secs = time.perf_counter() - t0
    return {
        "gold": str(path),
        "extra_gazetteer": None if extra_gazetteer is None else str(extra_gazetteer),
        "records": len(recs),
        "gold_mentions": exact.tp + exact.fn,
        "predicted_mentions": exact.tp + exact.fp,
        "exact": exact.as_dict(),
        "overlap": overlap.as_dict(),
        "category_accuracy": {
            "exact_matched": round(cat_exact / exact.tp, 4) if exact.tp else 0.0,
            "overlap_matched": round(cat_overlap / overlap.tp, 4) if overlap.tp else 0.0,
            "right_exact": cat_exact,
            "right_overlap": cat_overlap,
        },
        "per_category": {cat: {"gold": c["gold"], "predicted": c["predicted"], "exact": c["exact"],
                               "category_right": c["category_right"]}
                         for cat, c in sorted(per_cat.items())},
        "errors": sorted(errors, key=lambda e: (str(e["id"]), e["start"])),
        "seconds": round(secs, 3),
        "words": n_words,
    }


def render_equipment(result: dict[str, Any]) -> str:
    ex, ov, ca = result["exact"], result["overlap"], result["category_accuracy"]
    lines = [
        f"equipment gold: {result['gold']} ({result['records']} records, {result['gold_mentions']} mentions; "
        f"{result['predicted_mentions']} predicted)"
        + (f", extra gazetteer {result['extra_gazetteer']}" if result.get("extra_gazetteer") else ""),
        "",
        f"{'match':<10} {'P':>6} {'R':>6} {'F1':>6} {'tp':>5} {'fp':>5} {'fn':>5}",
    ]
    for name, m in (("exact", ex), ("overlap", ov)):
        lines.append(f"{name:<10} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} "
                     f"{m['tp']:5d} {m['fp']:5d} {m['fn']:5d}")
    lines += [
        "",
        f"category accuracy: {ca['exact_matched']:.3f} on exact matches ({ca['right_exact']}/{ex['tp']}), "
        f"{ca['overlap_matched']:.3f} on overlap matches ({ca['right_overlap']}/{ov['tp']})",
        "",
        f"{'category':<28} {'gold':>5} {'pred':>5} {'exact':>6} {'cat ok':>7}",
    ]
    for cat, c in result["per_category"].items():
        lines.append(f"{cat:<28} {c['gold']:5d} {c['predicted']:5d} {c['exact']:6d} {c['category_right']:7d}")
    if result["errors"]:
        lines += ["", "errors:"]
        for e in result["errors"]:
            lines.append(f"  {e['id']}  {e['error']:<9} gold={e['gold']!s}  predicted={e['predicted']!s}")
    lines += ["", f"time: {result['seconds']:.2f} s for {result['words']} words"]
    return "\n".join(lines) + "\n"
