"""`sourcetrace stats` and `sourcetrace export`: the figures equal a recomputation from the batch
JSONL output, and every table exports with its rows."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import sys
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sourcetrace import export as export_mod
from sourcetrace.batch import run_batch
from sourcetrace.cli import main
from sourcetrace.stats import compute
from sourcetrace.store import channel_of, table_counts

TOP = 3


@pytest.fixture(scope="module")
def run(corpus_file) -> tuple[Path, Path]:
    """(batch JSONL output, store) of one batch run over 30 synthetic articles (several outlets and
    months, every source type we count, some with no outlet, no date or no sources) and one bad line."""
    src = corpus_file(30, "stats", gaps=True, bad_lines={30: '{"id": "bad"}'})
    out, db = src.with_name("out.jsonl"), src.with_name("corpus.sqlite")
    assert run_batch(str(src), str(out), db=str(db), progress=False) == 1   # the bad line failed
    return out, db


# -- an independent recomputation from the batch JSONL output ------------------------------------

def recompute(jsonl: Path, by: str | None, top: int) -> list[dict]:
    analysed = []
    seen = set()
    for line in jsonl.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if "error" in r or r["document"]["text"] in seen:
            continue
        seen.add(r["document"]["text"])
        analysed.append(r)

    def group_of(r: dict) -> str:
        d = r["document"]
        if by == "outlet":
            return d["outlet"] or "(no outlet)"
        if by == "month":
            return d["published"][:7] if d["published"] else "(no date)"
        return "(all)"

    def figures(members: list[tuple[dict, list[dict], bool]]) -> dict:
        # members: (article, the sources counted, whether the article's own quote count is used)
        articles = len(members)
        words = sum(r["profile"]["words"] for r, _, _ in members)
        quotes = sum(len(r["quotes"]) if whole else sum(len(s["quote_ids"]) for s in srcs)
                     for r, srcs, whole in members)
        sources = sum(len(srcs) for _, srcs, _ in members)
        anon = sum(1 for _, srcs, _ in members for s in srcs if s["type"] == "anonymous")
        state = sum(1 for _, srcs, _ in members for s in srcs if s["type"] == "state_media")
        qw = sum(r["profile"]["quoted_words"] for r, _, _ in members)
        anon_w = sum(r["profile"]["quoted_word_share"]["anonymous"] * r["profile"]["quoted_words"] for r, _, _ in members)
        state_w = sum(r["profile"]["quoted_word_share"]["state_media"] * r["profile"]["quoted_words"] for r, _, _ in members)
        claims = sum(len(r["unattributed_claims"]) for r, _, _ in members)
        quoted: dict = defaultdict(lambda: [0, set()])
        channels: dict = defaultdict(lambda: [set(), 0])
        for r, srcs, _ in members:
            for s in srcs:
                if s["quote_ids"]:
                    quoted[(s["name"], s["type"])][0] += len(s["quote_ids"])
                    quoted[(s["name"], s["type"])][1].add(r["document"]["text"])
                if s["type"] == "social_media":
                    ch = channels[channel_of(s, r["quoted_terms"])]
                    ch[0].add(r["document"]["text"])
                    ch[1] += len(s["quote_ids"])
        top_sources = sorted(((-q, -len(a), name, t) for (name, t), (q, a) in quoted.items()))[:top]
        top_channels = sorted(((-len(a), -q, c, (p is not None, p or "")) for (c, p), (a, q) in channels.items()))[:top]
        ratio = lambda n, d: n / d if d else None  # noqa: E731
        return {
            "articles": articles, "words": words, "quotes": quotes, "sources": sources,
            "sources_per_article": ratio(sources, articles), "anonymous_sources": anon,
            "anonymous_source_share": ratio(anon, sources), "quoted_words": qw,
            "anonymous_word_share": ratio(anon_w, qw), "state_media_sources": state,
            "state_media_source_share": ratio(state, sources), "state_media_word_share": ratio(state_w, qw),
            "unattributed_claims": claims, "unattributed_claims_per_1000_words": ratio(1000 * claims, words),
            "top_sources": [{"name": n, "type": t, "quotes": -q, "articles": -a} for q, a, n, t in top_sources],
            "top_channels": [{"channel": c, "platform": p[1] or None, "articles": -a, "quotes": -q}
                             for a, q, c, p in top_channels],
        }

    groups: dict[str, list] = defaultdict(list)
    for r in analysed:
        if by == "source_type":
            for t in sorted({s["type"] for s in r["sources"]}):
                groups[t].append((r, [s for s in r["sources"] if s["type"] == t], False))
        else:
            groups[group_of(r)].append((r, r["sources"], True))
    result = [{"group": g, **figures(groups[g])} for g in sorted(groups)]
    if by:
        result.append({"group": "(all)", **figures([(r, r["sources"], True) for r in analysed])})
    return result


def assert_same(got: list[dict], want: list[dict]) -> None:
    assert [g["group"] for g in got] == [w["group"] for w in want]
    for g, w in zip(got, want):
        assert set(g) == set(w)
        for key, value in w.items():
            if isinstance(value, float):
                tolerance = 0.006 if key.endswith("per_1000_words") else 1e-4
                assert g[key] == pytest.approx(value, abs=tolerance), (g["group"], key)
            else:
                assert g[key] == value, (g["group"], key)


@pytest.mark.parametrize("by", [None, "outlet", "month", "source_type"])
def test_stats_equal_a_recomputation_from_the_batch_jsonl(run, by):
    out, db = run
    conn = sqlite3.connect(db)
    got = compute(conn, by, TOP)
    want = recompute(out, by, TOP)
    assert_same(got, want)
    assert len(got) > (1 if by else 0)
    if by == "source_type":
        assert {"anonymous", "named_person", "state_media", "social_media"} <= {g["group"] for g in got}
    if by == "outlet":
        assert "(no outlet)" in {g["group"] for g in got}


def test_stats_figures_are_sensible(run):
    _, db = run
    (whole,) = compute(sqlite3.connect(db), None, TOP)
    assert whole["articles"] == 30
    assert 0 < whole["anonymous_source_share"] < 1 and 0 < whole["anonymous_word_share"] < 1
    assert 0 < whole["state_media_source_share"] < 1
    assert whole["top_sources"][0]["name"] == "Mayor Anna Kowalski"
    assert whole["top_channels"][0]["channel"] == "Rybar" and whole["top_channels"][0]["platform"] == "telegram"


def test_stats_command_formats(run, capsys):
    out, db = run
    assert main(["stats", "--db", str(db), "--by", "outlet", "--format", "json", "--top", str(TOP)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["by"] == "outlet"
    assert_same(data["groups"], recompute(out, "outlet", TOP))
    assert main(["stats", "--db", str(db), "--by", "month", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[-1]["group"] == "(all)" and rows[-1]["articles"] == "30"
    assert "Mayor Anna Kowalski (named_person)" in rows[-1]["top_sources"]
    assert main(["stats", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "(all)" in text and "Mayor Anna Kowalski" in text and "Rybar (telegram)" in text


def test_stats_on_a_missing_store_is_an_error(tmp_path, capsys):
    assert main(["stats", "--db", str(tmp_path / "nope.sqlite")]) == 1
    assert "no such store" in capsys.readouterr().err
    assert not (tmp_path / "nope.sqlite").exists()


# -- export ---------------------------------------------------------------------------------------

def test_export_csv_one_file_per_table_with_every_row(run, tmp_path, capsys):
    _, db = run
    out = tmp_path / "csv"
    assert main(["export", "--db", str(db), "--format", "csv", "--out", str(out)]) == 0
    counts = table_counts(sqlite3.connect(db))
    for table, n in counts.items():
        with open(out / f"{table}.csv", encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        assert len(rows) == n + 1, table      # header + rows
    assert (out / "schema_migrations.csv").exists()
    assert counts["errors"] == 1 and counts["articles"] == 30


def test_export_parquet_one_file_per_table_with_every_row(run, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    _, db = run
    paths = export_mod.export(str(db), "parquet", str(tmp_path / "pq"))
    counts = table_counts(sqlite3.connect(db))
    names = {p.stem for p in paths}
    assert names >= set(counts)
    for table, n in counts.items():
        assert pq.read_metadata(tmp_path / "pq" / f"{table}.parquet").num_rows == n, table
    articles = pq.read_table(tmp_path / "pq" / "articles.parquet")
    assert str(articles.schema.field("words").type) == "int64"
    assert str(articles.schema.field("share_anonymous").type) == "double"


def test_parquet_without_pyarrow_names_the_missing_package(run, tmp_path, monkeypatch, capsys):
    _, db = run
    for name in list(sys.modules):
        if name == "pyarrow" or name.startswith("pyarrow."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyarrow", None)    # import pyarrow -> ImportError
    assert main(["export", "--db", str(db), "--format", "parquet", "--out", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert "pyarrow" in err and "not installed" in err
    assert not (tmp_path / "x").exists()


# -- the HTML report --------------------------------------------------------------------------------

class _Page(HTMLParser):
    """The figures a stats page shows: table cells and chart values by (group, figure), tags, URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], str] = {}
        self.bars: dict[str, list[tuple[str, str]]] = defaultdict(list)   # figure -> [(group, shown)]
        self.tags: set[str] = set()
        self.urls: list[str] = []
        self._row = self._cell = self._bar = None
        self._in_value = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        self.urls += [v for k, v in attrs if k in ("src", "href", "xlink:href", "srcset", "data")]
        if tag == "tr":
            self._row = a.get("data-group")
        elif tag == "td" and "data-figure" in a:
            self._cell = (self._row, a["data-figure"])
            self.cells[self._cell] = ""
        elif tag == "g" and "data-figure" in a:
            self._bar = (a["data-figure"], a["data-group"])
        elif tag == "text" and a.get("class") == "value":
            self._in_value = True
            self.bars[self._bar[0]].append((self._bar[1], ""))

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None
        elif tag == "text":
            self._in_value = False

    def handle_data(self, data):
        if self._cell:
            self.cells[self._cell] += data
        if self._in_value:
            figure = self._bar[0]
            group, shown = self.bars[figure][-1]
            self.bars[figure][-1] = (group, shown + data)


def _shown(value, figure: str) -> str:
    if value is None:
        return "n/a"
    if figure.endswith("_share"):
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _stats_json(db: Path, by: str | None, capsys) -> list[dict]:
    assert main(["stats", "--db", str(db), "--format", "json", "--top", str(TOP)] + (["--by", by] if by else [])) == 0
    return json.loads(capsys.readouterr().out)["groups"]


def test_html_report_shows_the_figures_of_the_json_and_fetches_nothing(run, capsys):
    _, db = run
    assert main(["stats", "--db", str(db), "--by", "outlet", "--format", "html", "--top", str(TOP)]) == 0
    html = capsys.readouterr().out
    page = _Page()
    page.feed(html)
    by_outlet, by_month = _stats_json(db, "outlet", capsys), _stats_json(db, "month", capsys)
    (whole,) = _stats_json(db, None, capsys)

    # the table: every figure of every group, as the JSON has it
    assert {g for g, _ in page.cells} == {g["group"] for g in by_outlet}
    for g in by_outlet:
        for figure in ("articles", "words", "quotes", "sources_per_article", "anonymous_source_share",
                       "anonymous_word_share", "state_media_source_share", "state_media_word_share",
                       "unattributed_claims", "unattributed_claims_per_1000_words"):
            assert page.cells[(g["group"], figure)] == _shown(g[figure], figure), (g["group"], figure)

    # the charts: one bar per outlet / month (not the whole corpus), top sources and channels
    outlets = [g for g in by_outlet if g["group"] != "(all)"]
    months = [g for g in by_month if g["group"] != "(all)"]
    assert page.bars["anonymous_source_share"] == [(g["group"], _shown(g["anonymous_source_share"],
                                                   "anonymous_source_share")) for g in outlets]
    assert page.bars["articles"] == [(g["group"], str(g["articles"])) for g in months]
    assert page.bars["unattributed_claims"] == [(g["group"], str(g["unattributed_claims"])) for g in months]
    assert [shown for _, shown in page.bars["top_sources"]] == [
        f"{s['quotes']} quotes, {s['articles']} articles" for s in whole["top_sources"]]
    assert [shown for _, shown in page.bars["top_channels"]] == [
        f"{c['articles']} articles" for c in whole["top_channels"]]
    assert len(page.bars["top_sources"]) == TOP and whole["top_channels"]
    assert f"{whole['articles']} articles, {whole['words']} words" in html

    # a page that stands alone: no script, no stylesheet or image to fetch
    assert not page.tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert page.urls == []
    assert "url(" not in html and "@import" not in html
    assert "svg" in page.tags


def test_html_report_of_an_empty_store(tmp_path, capsys):
    from sourcetrace.store import Store

    db = tmp_path / "empty.sqlite"
    Store(db).close()
    assert main(["stats", "--db", str(db), "--format", "html"]) == 0
    html = capsys.readouterr().out
    assert "0 articles, 0 words" in html and html.count("No data.") == 6
