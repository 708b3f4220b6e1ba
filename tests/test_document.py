import dataclasses

import pytest

from sourcetrace.document import Document, content_id


def test_span_is_made_from_the_text():
    doc = Document("Hello world")
    span = doc.span(6, 11)
    assert span.text == "world"
    with pytest.raises(ValueError):
        doc.span(3, 50)
    with pytest.raises(ValueError):
        doc.span(5, 2)


def test_text_never_changes_after_ingest():
    doc = Document("abc")
    with pytest.raises(ValueError):
        doc.evolve(text="xyz")
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.text = "xyz"  # type: ignore[misc]


def test_id_is_a_stable_content_hash():
    assert Document("same text").id == Document("same text").id == content_id("same text")
    assert Document("same text").id != Document("other text").id
    assert Document("x", id="given").id == "given"
