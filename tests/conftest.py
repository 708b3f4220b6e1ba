"""All fixtures in one place."""

from __future__ import annotations

import json
import sqlite3
from importlib import resources
from pathlib import Path

import pytest

import sourcetrace
from sourcetrace.document import Document, Span

TESTS = Path(__file__).parent
GOLD = TESTS / "gold"


@pytest.fixture(scope="session")
def seed_text() -> str:
    return resources.files("sourcetrace").joinpath("examples/seed.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_doc(seed_text) -> Document:
    return sourcetrace.analyze(seed_text)


@pytest.fixture(scope="session")
def polnear_sample() -> Path:
    return GOLD / "polnear_dev_first20.jsonl"


@pytest.fixture(scope="session")
def analyze():
    return sourcetrace.analyze


def all_spans(data: dict):
    """Every span object anywhere in a serialized document."""
    def walk(node):
        if isinstance(node, dict):
            if set(node) >= {"start", "end", "text"}:
                yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)
    for key, value in data.items():
        if key != "document":
            yield from walk(value)


def assert_spans_consistent(data: dict) -> None:
    text = data["document"]["text"]
    for span in all_spans(data):
        assert text[span["start"]:span["end"]] == span["text"], span


@pytest.fixture
def check_output():
    """Validate a Document's JSON against the schema and check every span against the text."""
    from sourcetrace.output.schema import to_dict, validate

    def check(doc: Document) -> dict:
        data = to_dict(doc)
        validate(data)
        assert_spans_consistent(data)
        return data

    return check


# -- corpora, batch output and stores (test_batch, test_stats, test_store, test_dask_engine) ------

OUTLETS = ("Daily Planet", "Gotham Gazette", "Metro Times")


def synthetic_article(i: int, prefix: str = "a", gaps: bool = False) -> dict:
    """A short article, every one different, with a mix of source types: anonymous (i % 3 == 0),
    state media (i % 4), a Telegram channel (i % 5), a second named source (i % 7). With `gaps`,
    some have no named source (i % 6 == 5), no outlet (i % 8 == 7) or no date (i % 9 == 8), so that
    figures meet zero denominators."""
    parts = [f"The council voted {i + 3} to 2 on Tuesday to close bridge number {i}."]
    if not (gaps and i % 6 == 5):
        parts.append(f"\u201cWe will rebuild it within {i + 2} years,\u201d Mayor Anna Kowalski said.")
    if i % 3 == 0:
        parts.append("\u201cThe money is not there,\u201d said a senior official who spoke on condition of anonymity.")
    if i % 4 == 0:
        parts.append("The state news agency TASS reported that the repairs would cost millions.")
    if i % 5 == 0:
        parts.append("According to the Telegram channel \u2018Rybar\u2019, the bridge was damaged by a drone.")
    if i % 7 == 0:
        parts.append("\u201cIt is a disgrace,\u201d Governor Tom Reyes said.")
    parts.append(f"The bridge carries {1000 * (i + 1)} vehicles a day.")
    record = {"id": f"{prefix}{i:02d}", "text": " ".join(parts)}
    if not (gaps and i % 8 == 7):
        record["outlet"] = OUTLETS[i % 3]
    if not (gaps and i % 9 == 8):
        record["published"] = f"2025-{1 + i % 3:02d}-{1 + i % 28:02d}"
    return record


@pytest.fixture(scope="session")
def make_article():
    """`synthetic_article`, for tests that build their own corpora."""
    return synthetic_article


def write_jsonl(path: Path, records: list[dict], bad_lines: dict[int, str] | None = None) -> Path:
    """`records` as JSONL at `path`, with `bad_lines` (0-based position -> raw line) put in between."""
    lines = [json.dumps(r) for r in records]
    for position, raw in sorted((bad_lines or {}).items()):
        lines.insert(position, raw)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory):
    """make(n, name, gaps=False, bad_lines=None) -> the path of a JSONL corpus of n synthetic articles."""
    def make(n: int, name: str, *, gaps: bool = False, bad_lines: dict[int, str] | None = None) -> Path:
        folder = tmp_path_factory.mktemp(name)
        return write_jsonl(folder / f"{name}.jsonl", [synthetic_article(i, gaps=gaps) for i in range(n)], bad_lines)
    return make


def read_records(path: Path) -> list[dict]:
    """The JSON records of a JSONL file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="session")
def records():
    return read_records


def snapshot_store(db: Path) -> tuple:
    """(article key -> JSON, table -> article key -> row count, table -> row count) of a store."""
    from sourcetrace.store import TABLES, table_counts

    conn = sqlite3.connect(db)
    articles = dict(conn.execute("SELECT key, json FROM articles"))
    per_article = {t: dict(conn.execute(f"SELECT article_key, COUNT(*) FROM {t} GROUP BY article_key"))
                   for t in TABLES if t not in ("articles", "errors")}
    counts = table_counts(conn)
    conn.close()
    return articles, per_article, counts


@pytest.fixture(scope="session")
def store_snapshot():
    return snapshot_store
