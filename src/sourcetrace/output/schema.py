"""The one serializer: Document -> the JSON contract (see schema.json beside this file).

Keys are always present (null or []), lists are sorted by start, spans are
{"start", "end", "text"} in character offsets into document.text.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from ..document import Document, Span

SCHEMA_VERSION = "1.3"


def span_json(span: Span | None) -> dict[str, Any] | None:
    if span is None:
        return None
    return {"start": span.start, "end": span.end, "text": span.text}


def to_dict(doc: Document) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "document": {
            "id": doc.id,
            "title": doc.title,
            "author": doc.author,
            "published": doc.published,
            "url": doc.url,
            "outlet": doc.outlet,
            "language": doc.language,
            "text": doc.text,
        },
        "quotes": [
            {
                "id": q.id,
                "kind": q.kind,
                "start": q.span.start,
                "end": q.span.end,
                "text": q.span.text,
                "speaker": span_json(q.speaker),
                "cue": span_json(q.cue),
                "source_id": q.source_id,
            }
            for q in sorted(doc.quotes, key=lambda q: (q.span.start, q.span.end))
        ],
        "sources": [
            {
                "id": s.id,
                "name": s.name,
                "type": s.type,
                "mentions": [span_json(m) for m in s.mentions],
                "quote_ids": list(s.quote_ids),
                "evidence": s.evidence,
                "anonymity": None
                if s.anonymity is None
                else {"reason_given": s.anonymity.reason_given, "reason": span_json(s.anonymity.reason)},
            }
            for s in doc.sources
        ],
        "quoted_terms": [
            {"start": q.span.start, "end": q.span.end, "text": q.span.text, "function": q.function,
             "confidence": q.confidence}
            for q in doc.quoted
        ],
        "entities": [
            {"start": e.span.start, "end": e.span.end, "text": e.span.text, "label": e.label,
             "category": e.category, "source_id": e.source_id}
            for e in sorted(doc.entities, key=lambda e: (e.span.start, e.span.end))
        ],
        "dates": [
            {"start": d.span.start, "end": d.span.end, "text": d.span.text, "value": d.value,
             "year_resolved": d.year_resolved, "granularity": d.granularity}
            for d in sorted(doc.dates, key=lambda d: (d.span.start, d.span.end))
        ],
        "vague_attributions": [
            {"start": v.span.start, "end": v.span.end, "text": v.span.text, "cue": span_json(v.cue),
             "source_id": v.source_id}
            for v in sorted(doc.vague_attributions, key=lambda v: v.span.start)
        ],
        "unattributed_claims": [
            {"start": c.span.start, "end": c.span.end, "text": c.span.text, "reason": c.reason,
             "carried_from": c.carried_from}
            for c in sorted(doc.unattributed_claims, key=lambda c: c.span.start)
        ],
        "profile": doc.profile or None,
        "warnings": [
            {"stage": w.stage, "code": w.code, "message": w.message, "span": span_json(w.span)}
            for w in doc.warnings
        ],
    }


def dumps(doc: Document, *, indent: int | None = None) -> str:
    return json.dumps(to_dict(doc), ensure_ascii=False, indent=indent)


@functools.lru_cache(maxsize=None)
def schema() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8"))


def validate(data: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when `data` breaks the contract."""
    import jsonschema

    jsonschema.validate(data, schema())


def dumps_schema() -> str:
    return json.dumps(schema(), indent=2)
