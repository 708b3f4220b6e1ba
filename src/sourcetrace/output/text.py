"""A readable sourcing report for one analysed article (the `--format text` output)."""

from __future__ import annotations

import textwrap
from collections import Counter

from ..document import Document


def _clip(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def render(doc: Document) -> str:
    lines: list[str] = []
    title = doc.title or doc.id
    lines.append(f"sourcetrace report: {title}")
    meta = [f"{k}: {v}" for k, v in (("outlet", doc.outlet), ("published", doc.published), ("url", doc.url)) if v]
    if meta:
        lines.append("  " + " | ".join(meta))
    n_words = len(doc.text.split())
    lines.append(f"  {n_words} words, {len(doc.quotes)} quotes, {len(doc.sources)} sources")
    lines.append("")
    by_source: dict[str | None, list] = {}
    for q in doc.quotes:
        by_source.setdefault(q.source_id, []).append(q)
    lines.append("Sources")
    if not doc.sources:
        lines.append("  (none found)")
    for s in doc.sources:
        flag = ""
        if s.anonymity is not None:
            flag = "  [anonymous: reason given]" if s.anonymity.reason_given else "  [anonymous: no reason given]"
        lines.append(f"  {s.id}  {s.name}  ({s.type.replace('_', ' ')}; evidence: {s.evidence or '-'}){flag}")
        for q in by_source.get(s.id, []):
            lines.append(f"      [{q.span.start}:{q.span.end}] {q.kind:8} {_clip(q.span.text)}")
    orphans = by_source.get(None, [])
    if orphans:
        lines.append("")
        lines.append("Quotes with no speaker found")
        for q in orphans:
            lines.append(f"      [{q.span.start}:{q.span.end}] {q.kind:8} {_clip(q.span.text)}")
    others = [t for t in doc.quoted if t.function != "quotation"]
    if others:
        lines.append("")
        lines.append("Quote marks that are not quotations")
        for t in others:
            lines.append(f"  [{t.span.start}:{t.span.end}] {t.function:9} {_clip(t.span.text, 60)}")
    types = Counter(s.type for s in doc.sources)
    flags = []
    for kind, label in (("anonymous", "anonymous"), ("vague", "vague"), ("state_media", "state-media"),
                        ("social_media", "social-media")):
        if types.get(kind):
            flags.append(f"{types[kind]} {label} source(s)")
    if orphans:
        flags.append(f"{len(orphans)} quote(s) without a speaker")
    lines.append("")
    lines.append("Red flags")
    lines.append("  " + ("; ".join(flags) if flags else "none found"))
    if doc.warnings:
        lines.append("")
        lines.append("Warnings")
        for w in doc.warnings:
            where = f" at [{w.span.start}:{w.span.end}]" if w.span else ""
            lines.append(textwrap.fill(f"{w.stage}/{w.code}{where}: {w.message}", 100,
                                       initial_indent="  ", subsequent_indent="    "))
    return "\n".join(lines) + "\n"
