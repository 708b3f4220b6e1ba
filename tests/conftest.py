"""All fixtures in one place."""

from __future__ import annotations

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
