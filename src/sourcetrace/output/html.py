"""A static HTML report for one article (`sourcetrace analyze ... --format html`).

The article text with every quote and attribution highlighted in its source's colour, speaker
mentions in bold, scare quotes and unattributed claims marked, a legend of sources with their
types, and a sidebar with the profile and red flags. Highlighting is computed here from
character offsets (JavaScript would index UTF-16 units and shift after any astral character);
the page has no scripts and loads nothing from the network.
"""

from __future__ import annotations

import html

from ..document import Document
from .text import _red_flags

PALETTE = ("#fde2a7", "#c7e9c0", "#c6dbef", "#f4c7d5", "#dadaeb", "#fdd0a2", "#c7eae5", "#e5d8bd",
           "#d9f0a3", "#fcc5c0", "#bfd3e6", "#f6e8c3")

CSS = """
body{font-family:Georgia,serif;margin:0;display:flex;color:#222}
main{flex:3;padding:2em 3em;line-height:1.7;max-width:52em}
aside{flex:1;padding:1.5em;background:#f6f6f4;border-left:1px solid #ddd;font-family:sans-serif;font-size:.9em;min-width:18em}
h1{font-size:1.4em} h2{font-size:1.05em;margin-top:1.4em}
p{margin:0 0 1em 0}
.quote{border-radius:3px;padding:0 1px}
.speaker{font-weight:bold}
.scare{text-decoration:underline wavy #c0392b;text-underline-offset:3px}
.name{font-style:italic}
.claim{border-bottom:2px dashed #e67e22}
.legend span.sw{display:inline-block;width:1em;height:1em;border-radius:2px;margin-right:.4em;vertical-align:middle}
table{border-collapse:collapse} td{padding:2px 6px;border-bottom:1px solid #e4e4e4;vertical-align:top}
.flag{color:#a03000}
"""


def _segments(doc: Document) -> list[tuple[int, int, list[tuple[str, dict[str, str]]]]]:
    """Cut the text at every annotation boundary; each piece lists the annotations covering it."""
    colours = {s.id: PALETTE[i % len(PALETTE)] for i, s in enumerate(doc.sources)}
    marks: list[tuple[int, int, str, dict[str, str]]] = []
    for c in doc.unattributed_claims:
        marks.append((c.span.start, c.span.end, "claim", {"title": f"unattributed claim: {c.reason}"}))
    for q in doc.quotes:
        colour = colours.get(q.source_id, "#eeeeee")
        marks.append((q.span.start, q.span.end, "quote",
                      {"style": f"background:{colour}", "data-quote": q.id, "data-source": q.source_id or "",
                       "title": f"{q.id} ({q.kind})"}))
    for s in doc.sources:
        for m in s.mentions:
            marks.append((m.start, m.end, "speaker", {"data-source": s.id, "title": f"{s.name}: {s.type}"}))
    for t in doc.quoted:
        if t.function in ("scare", "name", "mention"):
            marks.append((t.span.start, t.span.end, t.function if t.function != "mention" else "name",
                          {"title": t.function}))
    breaks = {i for i, ch in enumerate(doc.text) if ch == "\n"}
    points = sorted({0, len(doc.text)} | {m[0] for m in marks} | {m[1] for m in marks}
                    | breaks | {i + 1 for i in breaks})
    out = []
    for a, b in zip(points, points[1:]):
        active = [(cls, attrs) for s, e, cls, attrs in marks if s <= a and b <= e]
        out.append((a, b, active))
    return out


def _render_text(doc: Document) -> str:
    parts = []
    for a, b, active in _segments(doc):
        if doc.text[a:b] == "\n":
            parts.append("</p>\n<p>")  # highlights close at a paragraph end and reopen after it
            continue
        piece = html.escape(doc.text[a:b])
        for cls, attrs in sorted(active, key=lambda x: ("claim", "quote", "name", "scare", "speaker").index(x[0])
                                 if x[0] in ("claim", "quote", "name", "scare", "speaker") else 9, reverse=True):
            attr = "".join(f' {k}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
            piece = f'<span class="{cls}"{attr}>{piece}</span>'
        parts.append(piece)
    return "<p>" + "".join(parts) + "</p>"


def render(doc: Document) -> str:
    colours = {s.id: PALETTE[i % len(PALETTE)] for i, s in enumerate(doc.sources)}
    legend = "".join(
        f'<tr class="legend"><td><span class="sw" style="background:{colours[s.id]}"></span>{html.escape(s.name)}</td>'
        f"<td>{html.escape(s.type.replace('_', ' '))}</td><td>{len(s.quote_ids)}</td></tr>"
        for s in doc.sources)
    p = doc.profile or {}
    rows = "".join(f"<tr><td>{html.escape(k.replace('_', ' '))}</td><td>{html.escape(str(v))}</td></tr>"
                   for k, v in p.items() if not isinstance(v, dict))
    flags = "".join(f'<li class="flag">{html.escape(f)}</li>' for f in _red_flags(doc)) or "<li>none found</li>"
    title = html.escape(doc.title or "sourcetrace report")
    return f"""<!DOCTYPE html>
<html lang="{html.escape(doc.language or 'en')}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{CSS}</style></head>
<body><main><h1>{title}</h1>
<div id="article">{_render_text(doc)}</div></main>
<aside><h2>Sources</h2><table id="sources"><tr><th>source</th><th>type</th><th>quotes</th></tr>{legend}</table>
<h2>Red flags</h2><ul id="flags">{flags}</ul>
<h2>Profile</h2><table id="profile">{rows}</table>
<p><span class="claim">dashed</span>: claim with no source; <span class="scare">wavy</span>: scare quote;
<span class="name">italic</span>: a name in quote marks; <b>bold</b>: a source's mention.</p>
</aside></body></html>
"""
