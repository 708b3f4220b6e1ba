"""The sourcing audit for one article (the `--format text` output).

Written to be pasted into a fact-checker's note: who is quoted and how they are typed, the red
flags, the claims made with no source, and [start:end] offsets to check every item.
"""

from __future__ import annotations

import textwrap

from ..document import Document


def _clip(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _at(span) -> str:
    return f"[{span.start}:{span.end}]"


def _red_flags(doc: Document) -> list[str]:
    p = doc.profile or {}
    types = p.get("sources_by_type", {})
    share = p.get("quoted_word_share", {})
    flags = []
    if types.get("anonymous"):
        flags.append(f"{types['anonymous']} anonymous source(s), {p.get('anonymous_without_reason', 0)} with no "
                     f"reason given for anonymity ({share.get('anonymous', 0):.0%} of attributed words)")
    if doc.vague_attributions:
        flags.append(f"{len(doc.vague_attributions)} vague attribution(s): "
                     + ", ".join(f"'{v.span.text}'" for v in doc.vague_attributions[:6]))
    if types.get("state_media"):
        flags.append(f"{types['state_media']} state-media source(s) ({share.get('state_media', 0):.0%} of attributed words)")
    if types.get("social_media"):
        flags.append(f"{types['social_media']} social-media source(s) ({share.get('social_media', 0):.0%} of attributed words)")
    if doc.unattributed_claims:
        flags.append(f"{len(doc.unattributed_claims)} claim(s) in the author's own voice with no source")
    scare = [t for t in doc.quoted if t.function == "scare"]
    if scare:
        flags.append(f"{len(scare)} scare quote(s): " + ", ".join(t.span.text for t in scare[:6]))
    orphans = [q for q in doc.quotes if q.source_id is None]
    if orphans:
        flags.append(f"{len(orphans)} quote(s) or attribution(s) with no source found")
    if not p.get("named_sources") and doc.sources:
        flags.append("no named person is quoted")
    return flags


def render(doc: Document) -> str:
    lines: list[str] = []
    lines.append(f"SOURCING AUDIT: {doc.title or doc.id}")
    meta = [f"{k}: {v}" for k, v in (("outlet", doc.outlet), ("published", doc.published), ("url", doc.url)) if v]
    if meta:
        lines.append("  " + " | ".join(meta))
    p = doc.profile or {}
    lines.append(f"  {len(doc.text.split())} words, {len(doc.quotes)} quotes and attributions, "
                 f"{len(doc.sources)} sources ({p.get('named_sources', 0)} named), "
                 f"{len(doc.unattributed_claims)} unattributed claims")
    lines.append("")
    lines.append("RED FLAGS")
    flags = _red_flags(doc)
    lines.extend(f"  - {f}" for f in flags) if flags else lines.append("  none found")
    lines.append("")
    lines.append("SOURCES AND WHAT THEY SAY")
    by_source: dict[str | None, list] = {}
    for q in doc.quotes:
        by_source.setdefault(q.source_id, []).append(q)
    if not doc.sources:
        lines.append("  (none found)")
    for s in doc.sources:
        flag = ""
        if s.anonymity is not None:
            flag = (f"; anonymous, reason given: '{_clip(s.anonymity.reason.text, 50)}'" if s.anonymity.reason_given
                    else "; anonymous, no reason given")
        mentions = ", ".join(f"'{m.text}' {_at(m)}" for m in s.mentions[:4])
        lines.append(f"  {s.id} {s.name} — {s.type.replace('_', ' ')} (evidence: {s.evidence or '-'}{flag})")
        lines.append(f"      mentions: {mentions}")
        for q in by_source.get(s.id, []):
            lines.append(f"      {_at(q.span):13} {q.kind:8} {_clip(q.span.text)}")
    orphans = by_source.get(None, [])
    if orphans:
        lines.append("  (no source found)")
        for q in orphans:
            lines.append(f"      {_at(q.span):13} {q.kind:8} {_clip(q.span.text)}")
    lines.append("")
    lines.append("CLAIMS WITH NO SOURCE (author's own voice)")
    if not doc.unattributed_claims:
        lines.append("  none found")
    quote_source = {q.id: q.source_id for q in doc.quotes}
    names = {s.id: s.name for s in doc.sources}
    for c in doc.unattributed_claims:
        lean = ""
        if c.carried_from:
            lean = f" — may lean on {names.get(quote_source.get(c.carried_from), 'an earlier attribution')}"
        lines.append(f"  {_at(c.span):13} {_clip(c.span.text, 100)}")
        lines.append(f"      ({c.reason}{lean})")
    others = [t for t in doc.quoted if t.function != "quotation"]
    if others:
        lines.append("")
        lines.append("QUOTE MARKS THAT ARE NOT QUOTATIONS")
        for t in others:
            lines.append(f"  {_at(t.span):13} {t.function:8} {_clip(t.span.text, 60)}{_unsure(t)}")
    if doc.entities:
        lines.append("")
        lines.append("WHO, WHERE, WHAT")
        for label in ("PERSON", "ORG", "GPE", "LOC", "NORP", "EQUIPMENT"):
            ents = [e for e in doc.entities if e.label == label]
            if ents:
                seen = []
                for e in ents:
                    item = e.span.text + (f" ({e.category})" if e.category else "")
                    if item not in seen:
                        seen.append(item)
                lines.append(textwrap.fill(f"{label}: " + "; ".join(seen), 100, initial_indent="  ",
                                           subsequent_indent="      "))
    if doc.dates:
        lines.append("")
        lines.append("DATES")
        for d in doc.dates:
            lines.append(f"  {_at(d.span):13} {d.span.text} -> {d.value}"
                         + ("" if d.year_resolved else " (year unknown)"))
    if doc.warnings:
        lines.append("")
        lines.append("WARNINGS")
        for w in doc.warnings:
            where = f" at {_at(w.span)}" if w.span else ""
            lines.append(textwrap.fill(f"{w.stage}/{w.code}{where}: {w.message}", 100,
                                       initial_indent="  ", subsequent_indent="    "))
    return "\n".join(lines) + "\n"


UNSURE_BELOW = 0.6  # the classifier's probability under which a quote-mark function is flagged


def _unsure(term) -> str:
    """' (unsure: 0.48)' when the quote-mark classifier was not confident (held-out macro-F1 0.79)."""
    if term.confidence is None or term.confidence >= UNSURE_BELOW:
        return ""
    return f" (unsure: {term.confidence:.2f})"
