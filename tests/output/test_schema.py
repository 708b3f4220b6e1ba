import json

import jsonschema
import pytest

from sourcetrace.output import schema


def test_output_keys_are_always_present(analyze, check_output):
    data = check_output(analyze("No quotes here at all."))
    assert data["quotes"] == [] and data["sources"] == [] and data["warnings"] == []
    assert set(data["document"]) == {"id", "title", "author", "published", "url", "outlet", "language", "text"}
    assert data["schema_version"] == schema.SCHEMA_VERSION


def test_metadata_reaches_the_document(analyze, check_output):
    data = check_output(analyze("Text.", published="2025-05-02", title="T", outlet="O", url="http://x"))
    assert data["document"]["published"] == "2025-05-02"
    assert (data["document"]["title"], data["document"]["outlet"]) == ("T", "O")


def test_schema_rejects_a_broken_document(seed_doc):
    data = schema.to_dict(seed_doc)
    data["quotes"][0]["kind"] = "rumour"
    with pytest.raises(jsonschema.ValidationError):
        schema.validate(data)
    del data["quotes"][0]
    data["sources"][0]["mentions"][0]["extra"] = 1
    with pytest.raises(jsonschema.ValidationError):
        schema.validate(data)


def test_lists_are_sorted_by_start(seed_doc):
    data = schema.to_dict(seed_doc)
    for key in ("quotes", "quoted_terms"):
        starts = [x["start"] for x in data[key]]
        assert starts == sorted(starts)


def test_schema_ships_in_the_package():
    assert schema.schema()["properties"]["schema_version"]
    assert json.loads(schema.dumps_schema()) == schema.schema()
