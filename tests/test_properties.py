"""Random and hostile text: analysis always returns a valid document with consistent spans."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sourcetrace.output.schema import to_dict, validate

from conftest import assert_spans_consistent

MARKS = "\"'“”‘’«»„‚`"
PIECES = list(MARKS) + [" ", "\n", ".", ",", ":", "—", " said ", " he ", "The minister ", "O'Brien"]
hostile = st.lists(
    st.one_of(st.sampled_from(PIECES), st.characters(blacklist_categories=("Cs",))), max_size=120
).map("".join)


def check(analyze, text):
    data = to_dict(analyze(text))
    validate(data)
    assert data["document"]["text"] == text
    assert_spans_consistent(data)
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile)
def test_any_text_gives_a_valid_document(analyze, text):
    check(analyze, text)


def test_nothing_but_quote_marks(analyze):
    data = check(analyze, MARKS * 50)
    assert isinstance(data["warnings"], list)


def test_control_characters(analyze):
    check(analyze, "\x00\x01\x07“He\x0bsaid,”\x1b said \x7f the man.\x0c\n\u2028“More.”")


def test_five_megabytes_of_text(analyze):
    # Prose with a quoted paragraph now and then, and apostrophes and stray marks throughout.
    prose = "Troops moved ‘north’ at dawn, and the soldiers’ families waited in O'Brien's barn. " * 30 + "\n"
    quoted = "“We will hold the line,” the commander said. “Nobody leaves.\n"
    block = prose * 60 + quoted
    text = (block * (5_000_000 // len(block) + 1))[:5_000_000]
    data = check(analyze, text)
    assert len(data["quotes"]) > 20
    assert any(w["code"] == "unbalanced-quote" for w in data["warnings"])


def test_five_megabytes_without_a_line_break(analyze):
    text = ("word “quoted” " * 400_000)[:5_000_000]
    check(analyze, text)
