"""The SQLite corpus store: tables, migrations, idempotent inserts, batched commits, Datasette."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import sourcetrace
from sourcetrace import store as store_mod
from sourcetrace.document import content_id
from sourcetrace.store import MIGRATIONS, TABLES, Store, channel_of, connect, migrate, applied_versions

ARTICLES = [
    dict(text="\u201cWe will rebuild the bridge,\u201d Mayor Anna Kowalski said on Monday. "
              "\u201cThe money is not there,\u201d said a senior official who spoke on condition of anonymity. "
              "The bridge carries 20,000 vehicles a day.",
         id="given-1", outlet="Daily Planet", published="2025-03-04", title="Bridge"),
    dict(text="According to the Telegram channel \u2018Rybar\u2019, the bridge was damaged by a drone. "
              "The state news agency TASS reported that repairs would cost millions.",
         outlet="Metro Times", published="2025-04-01"),
]


@pytest.fixture(scope="module")
def analysed() -> list[dict]:
    return [sourcetrace.to_dict(sourcetrace.analyze(a.pop("text"), **a)) for a in [dict(x) for x in ARTICLES]]


@pytest.fixture
def filled_store(tmp_path, analysed) -> Path:
    """A store holding the analysed ARTICLES."""
    path = tmp_path / "corpus.sqlite"
    with Store(path) as st:
        for d in analysed:
            st.add(d)
    return path


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_store_opens_with_sqlite3_and_has_the_tables(tmp_path):
    path = tmp_path / "corpus.sqlite"
    Store(path).close()
    conn = sqlite3.connect(path)
    assert _tables(conn) >= set(TABLES) | {"schema_migrations"}
    # every record table points at its article (Datasette shows these as links)
    for table in set(TABLES) - {"articles", "errors"}:
        fks = conn.execute(f"PRAGMA foreign_key_list({table})").fetchall()
        assert [(fk[2], fk[3], fk[4]) for fk in fks] == [("articles", "article_key", "key")], table
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_migrations_are_ordered_recorded_and_safe_to_rerun(tmp_path, monkeypatch):
    path = tmp_path / "corpus.sqlite"
    versions = [v for v, _ in MIGRATIONS]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    # an old store that has only the first migration gets the rest, in order
    monkeypatch.setattr(store_mod, "MIGRATIONS", MIGRATIONS[:1])
    conn = connect(path)
    assert store_mod.migrate(conn) == [1]
    conn.close()
    monkeypatch.setattr(store_mod, "MIGRATIONS", MIGRATIONS)
    conn = connect(path)
    assert migrate(conn) == versions[1:]
    assert migrate(conn) == []           # re-run: nothing to do, nothing fails
    assert applied_versions(conn) == versions
    rows = conn.execute("SELECT version, applied_at FROM schema_migrations ORDER BY version").fetchall()
    assert [v for v, _ in rows] == versions and all(at for _, at in rows)
    conn.close()
    Store(path).close()                  # opening again is a no-op too
    assert applied_versions(sqlite3.connect(path)) == versions


def test_insert_is_idempotent_and_keyed_by_the_content_hash(tmp_path, analysed):
    path = tmp_path / "corpus.sqlite"
    with Store(path) as st:
        assert [st.add(d) for d in analysed] == [True, True]
        counts = store_mod.table_counts(st.conn)
        assert [st.add(d) for d in analysed] == [False, False]   # same texts: no-op
        assert store_mod.table_counts(st.conn) == counts
    with Store(path) as st:                                      # and across runs
        assert not st.add(analysed[0])
        assert store_mod.table_counts(st.conn) == counts
    first = analysed[0]
    key = content_id(first["document"]["text"])
    conn = sqlite3.connect(path)
    row = conn.execute("SELECT key, doc_id, outlet, month, words, quotes, sources, json FROM articles WHERE key = ?",
                       (key,)).fetchone()
    assert row[:5] == (key, "given-1", "Daily Planet", "2025-03", first["profile"]["words"])
    assert row[5:7] == (first["profile"]["quotes"], first["profile"]["sources"])
    assert json.loads(row[7]) == first
    assert counts["articles"] == 2
    assert counts["quotes"] == sum(len(d["quotes"]) for d in analysed)
    assert counts["sources"] == sum(len(d["sources"]) for d in analysed)
    assert counts["mentions"] == sum(len(s["mentions"]) for d in analysed for s in d["sources"])
    assert counts["quoted_terms"] == sum(len(d["quoted_terms"]) for d in analysed)
    assert counts["claims"] == sum(len(d["unattributed_claims"]) for d in analysed)
    assert counts["vague"] == sum(len(d["vague_attributions"]) for d in analysed)
    assert counts["dates"] == sum(len(d["dates"]) for d in analysed)


def test_offsets_point_into_the_article_text(filled_store):
    conn = sqlite3.connect(filled_store)
    texts = {k: json.loads(j)["document"]["text"] for k, j in conn.execute("SELECT key, json FROM articles")}
    checked = 0
    for table in ("quotes", "mentions", "entities", "dates", "quoted_terms", "claims", "vague"):
        for key, start, end, text in conn.execute(f"SELECT article_key, char_start, char_end, text FROM {table}"):
            assert texts[key][start:end] == text, table
            checked += 1
    for key, start, end, text in conn.execute(
            "SELECT article_key, speaker_start, speaker_end, speaker_text FROM quotes WHERE speaker_start IS NOT NULL"):
        assert texts[key][start:end] == text
    assert checked > 10


def test_types_channels_and_anonymity_are_columns(filled_store):
    conn = sqlite3.connect(filled_store)
    types = dict(conn.execute("SELECT type, COUNT(*) FROM sources GROUP BY type"))
    assert types.get("anonymous") == 1 and types.get("named_person") == 1
    anon = conn.execute("SELECT anonymous_reason_given FROM sources WHERE type = 'anonymous'").fetchone()
    assert anon == (0,)
    channels = conn.execute("SELECT channel, platform FROM sources WHERE type = 'social_media'").fetchall()
    assert channels == [("Rybar", "telegram")]
    row = conn.execute("SELECT sources_anonymous, sources_named_person, share_anonymous FROM articles "
                       "WHERE doc_id = 'given-1'").fetchone()
    assert row[0] == 1 and row[1] == 1 and 0 < row[2] < 1


def test_channel_label_falls_back_to_the_source_name():
    source = {"name": "a pro-war channel,", "evidence": "channel", "mentions": [{"start": 0, "end": 17}]}
    assert channel_of(source, []) == ("a pro-war channel", None)
    source = {"name": "reports from the Telegram channel ‘Military Review,’",
              "evidence": "reports from the Telegram channel ‘Military Review,’ (telegram)",
              "mentions": [{"start": 10, "end": 62}]}
    terms = [{"start": 44, "end": 62, "text": "‘Military Review,’", "function": "name"}]
    assert channel_of(source, terms) == ("Military Review", "telegram")


def test_commits_in_batches_of_n(tmp_path, analysed):
    path = tmp_path / "corpus.sqlite"
    st = Store(path, commit_every=2)
    reader = sqlite3.connect(path)
    st.add(analysed[0])
    assert reader.execute("SELECT COUNT(*) FROM articles").fetchone() == (0,)   # not committed yet
    st.add(analysed[1])
    assert reader.execute("SELECT COUNT(*) FROM articles").fetchone() == (2,)   # one transaction of 2
    st.close()


def test_errors_are_recorded_once(tmp_path):
    path = tmp_path / "corpus.sqlite"
    for _ in range(2):
        with Store(path) as st:
            st.add_error("in.jsonl", 3, "x", "in.jsonl:3: record has no 'text' field")
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT input, line, record_id, message FROM errors").fetchall() == [
        ("in.jsonl", 3, "x", "in.jsonl:3: record has no 'text' field")]


def test_opening_something_that_is_not_a_store_is_a_clear_error(tmp_path):
    with pytest.raises(store_mod.StoreError, match="no such store"):
        store_mod.open_existing(tmp_path / "missing.sqlite")
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)")
    with pytest.raises(store_mod.StoreError, match="not a sourcetrace store"):
        store_mod.open_existing(other)


DATASETTE = shutil.which("datasette", path=str(Path(sys.executable).parent)) or shutil.which("datasette")


@pytest.mark.skipif(DATASETTE is None, reason="datasette is not installed (pip install -e '.[test]')")
def test_datasette_inspects_the_store(tmp_path, analysed, filled_store):
    out = tmp_path / "inspect.json"
    subprocess.run([DATASETTE, "inspect", str(filled_store), "--inspect-file", str(out)], check=True, timeout=60,
                   capture_output=True)
    tables = json.loads(out.read_text())["corpus"]["tables"]
    assert set(tables) >= set(TABLES)
    assert tables["articles"]["count"] == 2
    assert tables["quotes"]["count"] == sum(len(d["quotes"]) for d in analysed)


def test_an_article_that_fails_halfway_leaves_nothing_behind(tmp_path, analysed, monkeypatch):
    path = tmp_path / "corpus.sqlite"
    st = Store(path, commit_every=10)
    st.add(analysed[0])

    def boom(key, data):
        raise KeyboardInterrupt

    monkeypatch.setattr(st, "_add_records", boom)
    with pytest.raises(KeyboardInterrupt):
        st.add(analysed[1])
    st.close()                                        # commits what was complete
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM articles").fetchone() == (1,)
    assert conn.execute("SELECT COUNT(DISTINCT article_key) FROM quotes").fetchone() == (1,)
