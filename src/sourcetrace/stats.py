"""Corpus figures from a store made by `sourcetrace batch --db`: `sourcetrace stats`.

One row per group (`by`: None for the whole corpus, "outlet", "month" or "source_type"), then a
row "(all)" for the whole corpus. Every figure is defined in docs/stats.md; ratios are None when
their denominator is 0.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import sys
from typing import Any

from .store import open_existing

GROUPINGS = (None, "outlet", "month", "source_type")
ALL = "(all)"
NO_OUTLET = "(no outlet)"
NO_DATE = "(no date)"

# The group of an article, for the groupings made over articles.
_ARTICLE_GROUP = {
    None: f"'{ALL}'",
    "outlet": f"COALESCE(NULLIF(a.outlet, ''), '{NO_OUTLET}')",
    "month": f"COALESCE(a.month, '{NO_DATE}')",
}

FIGURES = ("articles", "words", "quotes", "sources", "sources_per_article", "anonymous_sources",
           "anonymous_source_share", "quoted_words", "anonymous_word_share", "state_media_sources",
           "state_media_source_share", "state_media_word_share", "unattributed_claims",
           "unattributed_claims_per_1000_words")


def _ratio(num: float, den: float, digits: int = 4) -> float | None:
    return round(num / den, digits) if den else None


def _figures(row: tuple) -> dict[str, Any]:
    (articles, words, quotes, sources, anon, state, quoted_words, anon_words, state_words, claims) = row
    return {
        "articles": articles,
        "words": words,
        "quotes": quotes,
        "sources": sources,
        "sources_per_article": _ratio(sources, articles),
        "anonymous_sources": anon,
        "anonymous_source_share": _ratio(anon, sources),
        "quoted_words": quoted_words,
        "anonymous_word_share": _ratio(anon_words, quoted_words),
        "state_media_sources": state,
        "state_media_source_share": _ratio(state, sources),
        "state_media_word_share": _ratio(state_words, quoted_words),
        "unattributed_claims": claims,
        "unattributed_claims_per_1000_words": _ratio(1000 * claims, words, 2),
    }


# Article-level sums; `a` is the articles table. Profile figures missing (no profile) count as 0.
_ARTICLE_SUMS = """
    SUM(a.words), SUM(COALESCE(a.quoted_words, 0)),
    SUM(COALESCE(a.share_anonymous, 0) * COALESCE(a.quoted_words, 0)),
    SUM(COALESCE(a.share_state_media, 0) * COALESCE(a.quoted_words, 0)),
    SUM(COALESCE(a.unattributed_claims, 0))"""


def _group_rows(conn: sqlite3.Connection, by: str | None) -> list[tuple[str, tuple]]:
    """(group, (articles, words, quotes, sources, anonymous, state media, quoted words,
    anonymous quoted words, state-media quoted words, claims)) per group, in group order."""
    if by == "source_type":
        sql = f"""
            WITH g AS (SELECT type AS grp, article_key, COUNT(*) AS n, SUM(quotes) AS q
                       FROM sources GROUP BY type, article_key)
            SELECT g.grp, COUNT(*), SUM(g.q), SUM(g.n),
                   SUM(CASE WHEN g.grp = 'anonymous' THEN g.n ELSE 0 END),
                   SUM(CASE WHEN g.grp = 'state_media' THEN g.n ELSE 0 END), {_ARTICLE_SUMS}
            FROM g JOIN articles a ON a.key = g.article_key
            GROUP BY g.grp ORDER BY g.grp"""
    else:
        sql = f"""
            SELECT {_ARTICLE_GROUP[by]} AS grp, COUNT(*), SUM(COALESCE(a.quotes, 0)),
                   SUM(COALESCE(a.sources, 0)), SUM(COALESCE(a.sources_anonymous, 0)),
                   SUM(COALESCE(a.sources_state_media, 0)), {_ARTICLE_SUMS}
            FROM articles a GROUP BY grp ORDER BY grp"""
    out = []
    for grp, articles, quotes, sources, anon, state, words, qw, anon_w, state_w, claims in conn.execute(sql):
        out.append((grp, (articles, words or 0, quotes or 0, sources or 0, anon or 0, state or 0,
                          qw or 0, anon_w or 0.0, state_w or 0.0, claims or 0)))
    return out


def _tops(conn: sqlite3.Connection, by: str | None, top: int) -> tuple[dict, dict]:
    """Top quoted sources and top cited social-media channels per group."""
    grp = "s.type" if by == "source_type" else _ARTICLE_GROUP[by]
    sources: dict[str, list] = {}
    sql = f"""
        SELECT grp, name, type, q, n FROM (
            SELECT grp, name, type, q, n,
                   ROW_NUMBER() OVER (PARTITION BY grp ORDER BY q DESC, n DESC, name, type) AS rank
            FROM (SELECT {grp} AS grp, s.name AS name, s.type AS type, SUM(s.quotes) AS q,
                         COUNT(DISTINCT s.article_key) AS n
                  FROM sources s JOIN articles a ON a.key = s.article_key
                  WHERE s.quotes > 0 GROUP BY 1, 2, 3))
        WHERE rank <= ? ORDER BY grp, rank"""
    for g, name, type_, quotes, articles in conn.execute(sql, (top,)):
        sources.setdefault(g, []).append({"name": name, "type": type_, "quotes": quotes, "articles": articles})
    channels: dict[str, list] = {}
    sql = f"""
        SELECT grp, channel, platform, n, q FROM (
            SELECT grp, channel, platform, n, q,
                   ROW_NUMBER() OVER (PARTITION BY grp ORDER BY n DESC, q DESC, channel, platform) AS rank
            FROM (SELECT {grp} AS grp, s.channel AS channel, s.platform AS platform,
                         COUNT(DISTINCT s.article_key) AS n, SUM(s.quotes) AS q
                  FROM sources s JOIN articles a ON a.key = s.article_key
                  WHERE s.type = 'social_media' GROUP BY 1, 2, 3))
        WHERE rank <= ? ORDER BY grp, rank"""
    for g, channel, platform, articles, quotes in conn.execute(sql, (top,)):
        channels.setdefault(g, []).append({"channel": channel, "platform": platform, "articles": articles,
                                           "quotes": quotes})
    return sources, channels


def compute(conn: sqlite3.Connection, by: str | None = None, top: int = 5) -> list[dict[str, Any]]:
    """The figures per group, then the whole corpus as group "(all)" (when grouped)."""
    if by not in GROUPINGS:
        raise ValueError(f"cannot group by {by!r}; choose one of outlet, month, source_type")
    groups = []
    for by_now in ((by, None) if by else (None,)):
        sources, channels = _tops(conn, by_now, top)
        for grp, row in _group_rows(conn, by_now):
            groups.append({"group": grp, **_figures(row), "top_sources": sources.get(grp, []),
                           "top_channels": channels.get(grp, [])})
    return groups


def empty_group() -> dict[str, Any]:
    """The figures of a corpus with no articles."""
    return {"group": ALL, **_figures((0,) * 10), "top_sources": [], "top_channels": []}


# -- rendering ----------------------------------------------------------------------------------

def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _source_list(items: list[dict]) -> str:
    return "; ".join(f"{s['name']} ({s['type']}): {s['quotes']}" for s in items)


def _channel_list(items: list[dict]) -> str:
    return "; ".join(f"{c['channel']}{' (' + c['platform'] + ')' if c['platform'] else ''}: {c['articles']}"
                     for c in items)


def render_text(groups: list[dict], by: str | None) -> str:
    head = ("group", "articles", "words", "quotes", "src/art", "anon src", "anon words", "state src",
            "state words", "claims/1k w")
    rows = [(g["group"], str(g["articles"]), str(g["words"]), str(g["quotes"]), _num(g["sources_per_article"]),
             _pct(g["anonymous_source_share"]), _pct(g["anonymous_word_share"]),
             _pct(g["state_media_source_share"]), _pct(g["state_media_word_share"]),
             _num(g["unattributed_claims_per_1000_words"])) for g in groups]
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    lines = [f"sourcing statistics{' by ' + by if by else ''} (see docs/stats.md)", ""]
    for r in [head] + rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    for g in groups:
        lines += ["", f"{g['group']}:"]
        lines.append("  top quoted sources: " + (", ".join(
            f"{s['name']} ({s['type']}, {_n(s['quotes'], 'quote')} in {_n(s['articles'], 'article')})"
            for s in g["top_sources"])
            or "none"))
        lines.append("  top social-media channels: " + (", ".join(
            f"{c['channel']}{' (' + c['platform'] + ')' if c['platform'] else ''} in {_n(c['articles'], 'article')}"
            for c in g["top_channels"]) or "none"))
    return "\n".join(lines) + "\n"


def render_csv(groups: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(("group",) + FIGURES + ("top_sources", "top_channels"))
    for g in groups:
        writer.writerow([g["group"]] + ["" if g[f] is None else g[f] for f in FIGURES]
                        + [_source_list(g["top_sources"]), _channel_list(g["top_channels"])])
    return buf.getvalue()


def render_json(groups: list[dict], by: str | None) -> str:
    return json.dumps({"by": by, "groups": groups}, ensure_ascii=False, indent=2) + "\n"


def main(db: str, *, by: str | None = None, fmt: str = "text", top: int = 5) -> int:
    conn = open_existing(db)
    try:
        groups = compute(conn, by, top)
        if fmt == "html":
            from .stats_html import render_html

            whole = (compute(conn, None, top) or [empty_group()])[0]
            page = render_html(groups, by, whole=whole, by_outlet=compute(conn, "outlet", top),
                               by_month=compute(conn, "month", top))
    finally:
        conn.close()
    if fmt == "html":
        sys.stdout.write(page)
    elif fmt == "json":
        sys.stdout.write(render_json(groups, by))
    elif fmt == "csv":
        sys.stdout.write(render_csv(groups))
    else:
        sys.stdout.write(render_text(groups, by))
    return 0
