"""HTML articles: saved pages in tests/gold/html/ with the metadata and text they must give."""

import json
from pathlib import Path

import pytest

from sourcetrace.stages.ingest import InputError, from_html, from_path

PAGES = Path(__file__).resolve().parents[1] / "gold" / "html"
EXPECTED = json.loads((PAGES / "expected.json").read_text(encoding="utf-8")) if (PAGES / "expected.json").exists() else {}


def _flat(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').split())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_page_gives_article_text_and_metadata(name):
    want = EXPECTED[name]
    doc = from_path(PAGES / name)
    text = _flat(doc.text)
    for sentence in want["must_contain"]:
        assert _flat(sentence) in text, sentence
    for boilerplate in want["must_not_contain"]:
        assert _flat(boilerplate) not in text, boilerplate
    assert doc.published == want["published"]
    assert doc.title == want["title"]
    assert doc.outlet == want["outlet"]
    assert doc.url == want["url"]
    if want.get("author"):
        assert doc.author == want["author"]


def test_there_are_at_least_ten_pages():
    assert len(EXPECTED) >= 10


def test_given_metadata_wins_over_the_page(tmp_path):
    name = sorted(EXPECTED)[0]
    doc = from_path(PAGES / name, published="2020-01-01", outlet="Override")
    assert (doc.published, doc.outlet) == ("2020-01-01", "Override")


def test_page_with_no_article_is_a_clear_error():
    with pytest.raises(InputError, match="no article text"):
        from_html("<html><body><nav>Home</nav></body></html>", where="empty.html")


def test_cli_analyses_an_html_file(capsys):
    from sourcetrace.cli import main

    name = sorted(EXPECTED)[0]
    assert main(["analyze", str(PAGES / name)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["document"]["published"] == EXPECTED[name]["published"]
    text = data["document"]["text"]
    for q in data["quotes"]:
        assert text[q["start"]:q["end"]] == q["text"]
