"""Source-typing accuracy against our gold set (eval/gold/source_types.jsonl).

Each gold record is a snippet with source mentions typed by hand. Two figures:
- typing accuracy: our typer (`stages.sources.type_of`) applied to each gold mention span, with
  the rest of its sentence as context — how well types are decided once the mention is known;
- end to end: the snippet analysed in full; a gold mention counts as found when one of our
  sources has a mention overlapping it, and as right when that source's type matches.
Both come with a confusion table (gold type -> predicted type).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from .evaluate import read_gold

TYPES = ("named_person", "unnamed_person", "anonymous", "unnamed_official", "unnamed_expert", "vague",
         "organization", "media_outlet", "state_media", "social_media", "document", "unknown")


def evaluate_sources(path: str | Path) -> dict[str, Any]:
    from . import analyze_document
    from .stages.ingest import from_record
    from .stages.sources import context_after, type_of

    confusion: dict[str, Counter] = defaultdict(Counter)
    e2e_confusion: dict[str, Counter] = defaultdict(Counter)
    n = right = found = right_e2e = 0
    for record in read_gold(path):
        doc = analyze_document(from_record({"text": record["text"], "id": record.get("id")}))
        for m in record["mentions"]:
            gold = m["type"]
            span = doc.span(m["start"], m["end"])
            predicted, _, _ = type_of(doc, span, span, context_after(doc, span))
            confusion[gold][predicted] += 1
            n += 1
            right += predicted == gold
            source = next((s for s in doc.sources if any(x.overlaps(span) for x in s.mentions)), None)
            got = source.type if source is not None else "(not found)"
            e2e_confusion[gold][got] += 1
            found += source is not None
            right_e2e += got == gold
    return {
        "mentions": n,
        "typing_accuracy": round(right / n, 4) if n else None,
        "end_to_end": {"found": found, "found_share": round(found / n, 4) if n else None,
                       "accuracy": round(right_e2e / n, 4) if n else None,
                       "accuracy_on_found": round(right_e2e / found, 4) if found else None},
        "per_type": {t: {"gold": sum(confusion[t].values()), "right": confusion[t][t]} for t in TYPES},
        "confusion": {g: dict(c) for g, c in confusion.items()},
        "end_to_end_confusion": {g: dict(c) for g, c in e2e_confusion.items()},
    }


def render_sources(result: dict[str, Any]) -> str:
    lines = [f"{result['mentions']} gold source mentions",
             f"typing accuracy (gold mention spans): {result['typing_accuracy']:.3f}",
             f"end to end: {result['end_to_end']['found']} found "
             f"({result['end_to_end']['found_share']:.3f}), type right {result['end_to_end']['accuracy']:.3f} "
             f"of all, {result['end_to_end']['accuracy_on_found'] or 0:.3f} of found", "",
             "confusion (typing on gold spans): gold -> predicted counts"]
    for gold in TYPES:
        row = result["confusion"].get(gold)
        if not row:
            continue
        cells = ", ".join(f"{p} {c}" for p, c in sorted(row.items(), key=lambda x: -x[1]))
        lines.append(f"  {gold:17} ({result['per_type'][gold]['right']}/{result['per_type'][gold]['gold']}): {cells}")
    return "\n".join(lines) + "\n"
