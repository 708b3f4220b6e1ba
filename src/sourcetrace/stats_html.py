"""`sourcetrace stats --format html`: the corpus figures as one static page, charts as inline SVG.

The page needs nothing else: no script, no stylesheet or image to fetch, so it opens offline and can
be mailed as one file. Every number in it is a figure of `stats.compute` (docs/stats.md), shown as
the text format shows it; each table cell and chart bar carries the figure's name (`data-figure`)
and group (`data-group`), so the page can be checked against `stats --format json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from .stats import ALL, _num, _pct

LABEL_CHARS = 40  # a longer bar label is cut (the bar's title keeps it whole)

# (figure, column heading, how it is shown) for the table of figures.
TABLE = (("articles", "articles", "count"), ("words", "words", "count"), ("quotes", "quotes", "count"),
         ("sources_per_article", "sources per article", "ratio"),
         ("anonymous_source_share", "anonymous sources", "share"),
         ("anonymous_word_share", "anonymous quoted words", "share"),
         ("state_media_source_share", "state-media sources", "share"),
         ("state_media_word_share", "state-media quoted words", "share"),
         ("unattributed_claims", "unattributed claims", "count"),
         ("unattributed_claims_per_1000_words", "claims per 1,000 words", "ratio"))

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; color: #222; max-width: 980px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0; } caption { text-align: left; color: #555; }
th, td { padding: .25em .6em; border-bottom: 1px solid #ddd; } td.n, th.n { text-align: right; }
tr > th:first-child { text-align: left; white-space: nowrap; }
svg text { font: 12px system-ui, sans-serif; fill: #222; } .bar { fill: #4a78b5; } .muted { color: #666; }
"""


def show(value: Any, kind: str) -> str:
    """A figure as the page (and `stats --format text`) shows it."""
    if kind == "share":
        return _pct(value)
    if kind == "ratio":
        return _num(value)
    return "n/a" if value is None else str(value)


@dataclass
class Bar:
    label: str
    value: float          # the bar's length, in the chart's unit
    shown: str            # the figure as written beside the bar
    group: str
    figure: str


def bar_chart(title: str, bars: list[Bar], *, label_width: int = 290, bar_width: int = 400) -> str:
    """A horizontal bar chart as inline SVG (each bar titled with its label and figure)."""
    if not bars:
        return f"<h2>{escape(title)}</h2>\n<p class=\"muted\">No data.</p>\n"
    row, top = 24, 6
    height = top * 2 + row * len(bars)
    longest = max((b.value for b in bars), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_width + bar_width + 180}" '
             f'height="{height}" aria-label="{escape(title)}">']
    for i, bar in enumerate(bars):
        y = top + i * row
        length = round(bar_width * max(bar.value, 0) / longest, 1)
        parts.append(
            f'<g data-group="{escape(bar.group)}" data-figure="{bar.figure}">'
            f'<title>{escape(bar.label)}: {escape(bar.shown)}</title>'
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end">{escape(_clip(bar.label, LABEL_CHARS))}</text>'
            f'<rect class="bar" x="{label_width}" y="{y + 4}" width="{length}" height="{row - 8}"/>'
            f'<text class="value" x="{label_width + length + 6}" y="{y + 16}">{escape(bar.shown)}</text></g>')
    parts.append("</svg>")
    return f"<h2>{escape(title)}</h2>\n" + "\n".join(parts) + "\n"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "\u2026"


def figures_table(groups: list[dict], by: str | None) -> str:
    head = "".join(f'<th class="n">{escape(h)}</th>' for _, h, _ in TABLE)
    rows = []
    for g in groups:
        cells = "".join(f'<td class="n" data-figure="{f}">{escape(show(g[f], kind))}</td>' for f, _, kind in TABLE)
        rows.append(f'<tr data-group="{escape(g["group"])}"><th>{escape(g["group"])}</th>{cells}</tr>')
    caption = f"Figures by {by}" if by else "Figures for the whole corpus"
    return (f'<table id="figures"><caption>{escape(caption)} (definitions: docs/stats.md)</caption>\n'
            f"<tr><th>{escape(by or 'group')}</th>{head}</tr>\n" + "\n".join(rows) + "\n</table>\n")


def _without_all(groups: list[dict]) -> list[dict]:
    return [g for g in groups if g["group"] != ALL]


def share_bars(groups: list[dict], figure: str) -> list[Bar]:
    return [Bar(g["group"], g[figure] or 0, show(g[figure], "share"), g["group"], figure)
            for g in _without_all(groups)]


def count_bars(groups: list[dict], figure: str) -> list[Bar]:
    return [Bar(g["group"], g[figure] or 0, show(g[figure], "count"), g["group"], figure)
            for g in _without_all(groups)]


def source_bars(whole: dict) -> list[Bar]:
    return [Bar(f"{s['name']} ({s['type']})", s["quotes"], f"{s['quotes']} quotes, {s['articles']} articles",
                whole["group"], "top_sources") for s in whole["top_sources"]]


def channel_bars(whole: dict) -> list[Bar]:
    return [Bar(c["channel"] + (f" ({c['platform']})" if c["platform"] else ""), c["articles"],
                f"{c['articles']} articles", whole["group"], "top_channels") for c in whole["top_channels"]]


def render_html(groups: list[dict], by: str | None, *, whole: dict, by_outlet: list[dict],
                by_month: list[dict], title: str = "Corpus sourcing report") -> str:
    """The page: the figures of `groups` (grouped `by`), then charts of the whole corpus (`whole`),
    per outlet and per month."""
    summary = (f"{whole['articles']} articles, {whole['words']} words, {whole['quotes']} quotes, "
               f"{whole['sources']} sources, {whole['unattributed_claims']} unattributed claims.")
    body = [f"<h1>{escape(title)}</h1>", f'<p id="summary">{escape(summary)}</p>', figures_table(groups, by),
            bar_chart("Anonymous share of sources, by outlet", share_bars(by_outlet, "anonymous_source_share")),
            bar_chart("State-media share of sources, by outlet", share_bars(by_outlet, "state_media_source_share")),
            bar_chart("Articles per month", count_bars(by_month, "articles")),
            bar_chart("Unattributed claims per month", count_bars(by_month, "unattributed_claims")),
            bar_chart("Top quoted sources", source_bars(whole)),
            bar_chart("Top cited social-media channels", channel_bars(whole))]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "</body>\n</html>\n")
