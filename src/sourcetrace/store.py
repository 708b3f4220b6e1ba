"""The corpus store: analysed articles in one SQLite file, one row per record, openable in Datasette.

Tables (see docs/batch.md for every column):

- `articles`: one row per distinct article text. `key` is the content hash of the text
  (`sourcetrace.document.content_id`, the id a document gets when none is given); the id given in
  the input (JSONL "id", the file name for a folder) is kept in `doc_id`. Metadata, the profile
  figures as columns, the profile as JSON and the full analysis JSON (`to_dict`) are kept.
- `quotes`, `sources`, `mentions`, `entities`, `dates`, `quoted_terms`, `claims`
  (unattributed_claims), `vague` (vague_attributions), `warnings`: one row per record, with
  `article_key` (foreign key to `articles.key`) and character offsets `char_start`/`char_end`
  into the article text (`articles.json` -> document.text), end exclusive.
- `errors`: batch inputs that could not be analysed (input, line, id, message).
- `schema_migrations`: the migrations applied, in order (version, applied_at).

Inserting an article whose key is already stored is a no-op, so a re-run adds nothing twice.
Articles are committed in batches (one transaction per `commit_every` articles); the database
runs in WAL mode, so a process killed at any moment leaves every committed batch intact and
nothing of the batch it was writing.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Sequence

from .document import content_id

# The columns of `articles` that hold profile figures (fixed by migration 1: a source type added
# later is still in `articles.profile`, the JSON, until a migration adds its column).
SOURCE_TYPES = ("named_person", "unnamed_person", "anonymous", "unnamed_official", "unnamed_expert",
                "vague", "organization", "media_outlet", "state_media", "social_media", "document",
                "unknown")
QUOTE_KINDS = ("direct", "partial", "indirect", "mixed")
SHARE_KEYS = ("anonymous", "vague", "state_media", "social_media", "unknown", "no_source")
# Profile figures stored as plain columns (None when the article has no profile).
PROFILE_COLUMNS = ("quotes", "sources", "named_sources", "quoted_words", "anonymous_without_reason",
                   "vague_attributions", "unattributed_claims", "unattributed_claims_per_1000_words",
                   "scare_quotes")

# Ordered migrations: (version, statements), each applied once in its own transaction and recorded
# in schema_migrations. Never edit an applied migration: append a new version.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, (
        """CREATE TABLE articles (
            key TEXT PRIMARY KEY, doc_id TEXT, title TEXT, published TEXT, month TEXT, url TEXT,
            outlet TEXT, language TEXT, input TEXT, line INTEGER, schema_version TEXT, analysed_at TEXT,
            chars INTEGER, words INTEGER, quotes INTEGER, sources INTEGER, named_sources INTEGER,
            quoted_words INTEGER, anonymous_without_reason INTEGER, vague_attributions INTEGER,
            unattributed_claims INTEGER, unattributed_claims_per_1000_words REAL, scare_quotes INTEGER,
            quotes_direct INTEGER, quotes_partial INTEGER, quotes_indirect INTEGER, quotes_mixed INTEGER,
            sources_named_person INTEGER, sources_unnamed_person INTEGER, sources_anonymous INTEGER,
            sources_unnamed_official INTEGER, sources_unnamed_expert INTEGER, sources_vague INTEGER,
            sources_organization INTEGER, sources_media_outlet INTEGER, sources_state_media INTEGER,
            sources_social_media INTEGER, sources_document INTEGER, sources_unknown INTEGER,
            share_anonymous REAL, share_vague REAL, share_state_media REAL, share_social_media REAL,
            share_unknown REAL, share_no_source REAL,
            warnings INTEGER, profile TEXT, json TEXT NOT NULL)""",
        """CREATE TABLE quotes (
            id INTEGER PRIMARY KEY, article_key TEXT NOT NULL REFERENCES articles(key),
            quote_id TEXT, kind TEXT, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
            text TEXT NOT NULL, words INTEGER, speaker_start INTEGER, speaker_end INTEGER,
            speaker_text TEXT, cue_start INTEGER, cue_end INTEGER, cue_text TEXT, source_id TEXT,
            source_type TEXT)""",
        """CREATE TABLE sources (
            id INTEGER PRIMARY KEY, article_key TEXT NOT NULL REFERENCES articles(key),
            source_id TEXT, name TEXT, type TEXT, evidence TEXT, mentions INTEGER, quotes INTEGER,
            anonymous_reason_given INTEGER, reason_start INTEGER, reason_end INTEGER, reason_text TEXT,
            channel TEXT, platform TEXT, UNIQUE (article_key, source_id))""",
        """CREATE TABLE mentions (
            id INTEGER PRIMARY KEY, article_key TEXT NOT NULL REFERENCES articles(key),
            source_id TEXT, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL, text TEXT NOT NULL)""",
        """CREATE TABLE entities (
            id INTEGER PRIMARY KEY, article_key TEXT NOT NULL REFERENCES articles(key),
            char_start INTEGER NOT NULL, char_end INTEGER NOT NULL, text TEXT NOT NULL, label TEXT,
            category TEXT, source_id TEXT)""",
        """CREATE TABLE dates (
            id INTEGER PRIMARY KEY, article_key TEXT NOT NULL REFERENCES articles(key),
            char_start INTEGER NOT NULL, char_end INTEGER NOT NULL, text TEXT NOT NULL, value TEXT,
            year_resolved INTEGER, granularity TEXT)""",
        """CREATE TABLE quoted_terms (
            id INTEGER PRIMARY KEY, article_key TEXT NOT NULL REFERENCES articles(key),
            char_start INTEGER NOT NULL, char_end INTEGER NOT NULL, text TEXT NOT NULL, function TEXT)""",
        """CREATE TABLE claims (
            id INTEGER PRIMARY KEY, article_key TEXT NOT NULL REFERENCES articles(key),
            char_start INTEGER NOT NULL, char_end INTEGER NOT NULL, text TEXT NOT NULL, reason TEXT,
            carried_from TEXT)""",
        """CREATE TABLE vague (
            id INTEGER PRIMARY KEY, article_key TEXT NOT NULL REFERENCES articles(key),
            char_start INTEGER NOT NULL, char_end INTEGER NOT NULL, text TEXT NOT NULL,
            cue_start INTEGER, cue_end INTEGER, cue_text TEXT, source_id TEXT)""",
        """CREATE TABLE warnings (
            id INTEGER PRIMARY KEY, article_key TEXT NOT NULL REFERENCES articles(key),
            stage TEXT, code TEXT, message TEXT, char_start INTEGER, char_end INTEGER, text TEXT)""",
        """CREATE TABLE errors (
            id INTEGER PRIMARY KEY, input TEXT, line INTEGER, record_id TEXT, message TEXT NOT NULL,
            first_seen TEXT, UNIQUE (input, line, message))""",
    )),
    (2, (
        "CREATE INDEX idx_quotes_article ON quotes(article_key)",
        "CREATE INDEX idx_mentions_article ON mentions(article_key)",
        "CREATE INDEX idx_entities_article ON entities(article_key)",
        "CREATE INDEX idx_dates_article ON dates(article_key)",
        "CREATE INDEX idx_quoted_terms_article ON quoted_terms(article_key)",
        "CREATE INDEX idx_claims_article ON claims(article_key)",
        "CREATE INDEX idx_vague_article ON vague(article_key)",
        "CREATE INDEX idx_warnings_article ON warnings(article_key)",
        "CREATE INDEX idx_sources_type ON sources(type)",
        "CREATE INDEX idx_articles_outlet ON articles(outlet)",
        "CREATE INDEX idx_articles_month ON articles(month)",
    )),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
TABLES = ("articles", "quotes", "sources", "mentions", "entities", "dates", "quoted_terms", "claims",
          "vague", "warnings", "errors")

_GENERIC_PLATFORM_WORDS = {"channel", "channels", "account", "accounts", "post", "posts", "tweet",
                           "tweets", "page", "pages", "feed", "blog", "blogger", "bloggers",
                           "milblogger", "milbloggers"}
_QUOTE_STRIP = " \t\n\"'‘’‚‛“”„‟«»‹›,.;:"


class StoreError(ValueError):
    """A store that cannot be opened or is not a sourcetrace store; the message names it."""


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def connect(path: str | os.PathLike, *, create: bool = True) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL journal, foreign keys on."""
    p = Path(path)
    if not create and not p.is_file():
        raise StoreError(f"{p}: no such store")
    try:
        conn = sqlite3.connect(str(p), isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable against a killed process
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{p}: cannot open as a SQLite store ({exc})") from None
    return conn


def applied_versions(conn: sqlite3.Connection) -> list[int]:
    try:
        return [v for (v,) in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    except sqlite3.OperationalError:
        return []


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply the migrations not yet applied, in order, each in its own transaction; safe to re-run
    and safe against a second process migrating at the same time. Returns the versions applied now."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    applied_now = []
    for version, statements in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (version,)).fetchone():
                conn.execute("COMMIT")
                continue
            for sql in statements:
                conn.execute(sql)
            conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", (version, _now()))
            conn.execute("COMMIT")
            applied_now.append(version)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return applied_now


def open_existing(path: str | os.PathLike) -> sqlite3.Connection:
    """An existing store for reading (stats, export); refuses a file that is not a sourcetrace store."""
    conn = connect(path, create=False)
    try:
        versions = applied_versions(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a SQLite database ({exc})") from None
    if not versions:
        conn.close()
        raise StoreError(f"{path}: not a sourcetrace store (no schema_migrations table)")
    if max(versions) < SCHEMA_VERSION:
        migrate(conn)
    return conn


def store_key(text: str) -> str:
    """The store key of an article: the content hash of its text, as `content_id` computes it."""
    return content_id(text)


def channel_of(source: dict[str, Any], quoted_terms: Sequence[dict[str, Any]]) -> tuple[str, str | None]:
    """(channel label, platform) of a social-media source: the name in quote marks inside one of its
    mentions or right after it ("the Telegram channel ‘Rybar’" -> Rybar), else the source name;
    the platform is the one named in the evidence (telegram, x, ...) or None for a generic word."""
    label = None
    for mention in source.get("mentions") or []:
        for term in quoted_terms:
            # inside the mention, or right after it ("the Telegram channel ‘Rybar’")
            if term.get("function") == "name" and mention["start"] <= term["start"] <= mention["end"] + 2:
                label = term["text"].strip(_QUOTE_STRIP)
                break
        if label:
            break
    label = label or (source.get("name") or "").strip(_QUOTE_STRIP)
    evidence = source.get("evidence") or ""
    found = re.findall(r"\(([^()]*)\)\s*$", evidence)
    platform = (found[-1] if found else evidence).strip().lower() or None
    if platform in _GENERIC_PLATFORM_WORDS:
        platform = None
    return label, platform


def _words(text: str) -> int:
    return len(text.split())


def _span(span: dict[str, Any] | None) -> tuple[Any, Any, Any]:
    return (None, None, None) if span is None else (span["start"], span["end"], span["text"])


class Store:
    """A corpus store opened for writing. Use as a context manager; `add` articles, `add_error`
    batch errors; every `commit_every` articles are committed as one transaction."""

    def __init__(self, path: str | os.PathLike, *, commit_every: int = 100) -> None:
        if commit_every < 1:
            raise ValueError("commit_every must be at least 1")
        self.path = Path(path)
        self.commit_every = commit_every
        self.conn = connect(self.path)
        migrate(self.conn)
        self._pending = 0  # articles/errors written in the open transaction
        self.added = 0     # articles inserted by this Store

    # -- reading --------------------------------------------------------------------------------
    def has(self, key: str) -> bool:
        return self.conn.execute("SELECT 1 FROM articles WHERE key = ?", (key,)).fetchone() is not None

    def get_json(self, key: str) -> str | None:
        row = self.conn.execute("SELECT json FROM articles WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def count(self, table: str = "articles") -> int:
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}")
        return self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    # -- writing --------------------------------------------------------------------------------
    def _begin(self) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")

    def add(self, data: dict[str, Any], *, json_text: str | None = None, input: str | None = None,
            line: int | None = None) -> bool:
        """Store one analysed article (`to_dict` output). False, and nothing written, when an
        article with the same text is already stored."""
        doc = data["document"]
        text = doc["text"]
        key = store_key(text)
        profile = data.get("profile") or {}
        by_kind = profile.get("quotes_by_kind") or {}
        by_type = profile.get("sources_by_type") or {}
        shares = profile.get("quoted_word_share") or {}
        has_profile = bool(profile)
        published = doc.get("published")
        row = {
            "key": key, "doc_id": doc.get("id"), "title": doc.get("title"), "published": published,
            "month": published[:7] if published else None, "url": doc.get("url"),
            "outlet": doc.get("outlet"), "language": doc.get("language"), "input": input, "line": line,
            "schema_version": data.get("schema_version"), "analysed_at": _now(),
            "chars": len(text), "words": profile.get("words", _words(text)),
            **{c: profile.get(c) for c in PROFILE_COLUMNS},
            **{f"quotes_{k}": by_kind.get(k, 0) if has_profile else None for k in QUOTE_KINDS},
            **{f"sources_{t}": by_type.get(t, 0) if has_profile else None for t in SOURCE_TYPES},
            **{f"share_{k}": shares.get(k) for k in SHARE_KEYS},
            "warnings": len(data.get("warnings") or []),
            "profile": json.dumps(profile, ensure_ascii=False) if has_profile else None,
            "json": json_text if json_text is not None else json.dumps(data, ensure_ascii=False),
        }
        self._begin()
        # A savepoint per article: an error or Ctrl-C in the middle of one leaves none of it in the
        # transaction, so committing what came before never stores half an article.
        self.conn.execute("SAVEPOINT article")
        try:
            cur = self.conn.execute(
                f"INSERT OR IGNORE INTO articles ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()))
            inserted = cur.rowcount > 0
            if inserted:
                self._add_records(key, data)
        except BaseException:
            self.conn.execute("ROLLBACK TO article")
            self.conn.execute("RELEASE article")
            raise
        self.conn.execute("RELEASE article")
        if not inserted:
            return False
        self.added += 1
        self._tick()
        return True

    def _add_records(self, key: str, data: dict[str, Any]) -> None:
        ex = self.conn.executemany
        type_of = {s["id"]: s["type"] for s in data.get("sources") or []}
        ex("INSERT INTO quotes (article_key, quote_id, kind, char_start, char_end, text, words, speaker_start,"
           " speaker_end, speaker_text, cue_start, cue_end, cue_text, source_id, source_type)"
           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
           [(key, q["id"], q["kind"], q["start"], q["end"], q["text"], _words(q["text"]),
             *_span(q.get("speaker")), *_span(q.get("cue")), q.get("source_id"),
             type_of.get(q.get("source_id"))) for q in data.get("quotes") or []])
        terms = data.get("quoted_terms") or []
        rows, mentions = [], []
        for s in data.get("sources") or []:
            anon = s.get("anonymity")
            channel, platform = channel_of(s, terms) if s["type"] == "social_media" else (None, None)
            rows.append((key, s["id"], s["name"], s["type"], s.get("evidence"), len(s.get("mentions") or []),
                         len(s.get("quote_ids") or []), None if anon is None else int(bool(anon["reason_given"])),
                         *_span(anon and anon.get("reason")), channel, platform))
            mentions.extend((key, s["id"], m["start"], m["end"], m["text"]) for m in s.get("mentions") or [])
        ex("INSERT INTO sources (article_key, source_id, name, type, evidence, mentions, quotes,"
           " anonymous_reason_given, reason_start, reason_end, reason_text, channel, platform)"
           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        ex("INSERT INTO mentions (article_key, source_id, char_start, char_end, text) VALUES (?,?,?,?,?)", mentions)
        ex("INSERT INTO entities (article_key, char_start, char_end, text, label, category, source_id)"
           " VALUES (?,?,?,?,?,?,?)",
           [(key, e["start"], e["end"], e["text"], e.get("label"), e.get("category"), e.get("source_id"))
            for e in data.get("entities") or []])
        ex("INSERT INTO dates (article_key, char_start, char_end, text, value, year_resolved, granularity)"
           " VALUES (?,?,?,?,?,?,?)",
           [(key, d["start"], d["end"], d["text"], d.get("value"), int(bool(d.get("year_resolved"))),
             d.get("granularity")) for d in data.get("dates") or []])
        ex("INSERT INTO quoted_terms (article_key, char_start, char_end, text, function) VALUES (?,?,?,?,?)",
           [(key, t["start"], t["end"], t["text"], t.get("function")) for t in terms])
        ex("INSERT INTO claims (article_key, char_start, char_end, text, reason, carried_from) VALUES (?,?,?,?,?,?)",
           [(key, c["start"], c["end"], c["text"], c.get("reason"), c.get("carried_from"))
            for c in data.get("unattributed_claims") or []])
        ex("INSERT INTO vague (article_key, char_start, char_end, text, cue_start, cue_end, cue_text, source_id)"
           " VALUES (?,?,?,?,?,?,?,?)",
           [(key, v["start"], v["end"], v["text"], *_span(v.get("cue")), v.get("source_id"))
            for v in data.get("vague_attributions") or []])
        ex("INSERT INTO warnings (article_key, stage, code, message, char_start, char_end, text)"
           " VALUES (?,?,?,?,?,?,?)",
           [(key, w.get("stage"), w.get("code"), w.get("message"), *_span(w.get("span")))
            for w in data.get("warnings") or []])

    def add_error(self, input: str | None, line: int | None, record_id: Any, message: str) -> bool:
        """Record a batch input that could not be analysed; the same (input, line, message) once."""
        self._begin()
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO errors (input, line, record_id, message, first_seen) VALUES (?,?,?,?,?)",
            (input, line, None if record_id is None else str(record_id), message, _now()))
        self._tick()
        return cur.rowcount > 0

    def _tick(self) -> None:
        self._pending += 1
        if self._pending >= self.commit_every:
            self.commit()

    def commit(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")
        self._pending = 0

    def close(self, *, commit: bool = True) -> None:
        if commit:
            self.commit()
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # A finished article is a finished article: keep what was analysed even on an error.
        self.close(commit=True)


def table_counts(conn: sqlite3.Connection, tables: Iterable[str] = TABLES) -> dict[str, int]:
    return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
