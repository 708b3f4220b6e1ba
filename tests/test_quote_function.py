"""Features of a pair of quote marks (sourcetrace.quote_function): the cues the classifier reads."""

import pytest

from sourcetrace import quote_function
from sourcetrace.pipeline import build_pipeline, run
from sourcetrace.spans import SpanIndex
from sourcetrace.stages.ingest import from_record


def features_of(text: str, quoted: str) -> list[str]:
    """The features of the first pair of marks whose text is `quoted`."""
    doc = run(from_record({"text": text, "id": "t"}), build_pipeline(["segment"]))
    start = text.index(quoted)
    span = doc.span(start, start + len(quoted))
    return quote_function.features(doc, span, SpanIndex(doc.sentences).at(start))


@pytest.mark.parametrize("text, quoted, feature", [
    ("The hashtag «Wir sind mehr» — ‘we are more’ — trended all night.", "‘we are more’", "glosses_previous_pair"),
    ("The village's name is Creole for ‘living together’.", "‘living together’", "language_for"),
    ("Reporters counted how many times the spokesman said ‘provocation’.", "‘provocation’", "speech_verb_just_before"),
    ("The operation to ‘liberate’ the town began at dawn.", "‘liberate’", "det_noun_to"),
    ("Officials avoided the word ‘lockdown’ all spring.", "‘lockdown’", "mention_cue_just_before"),
])
def test_cues_around_the_marks(text, quoted, feature):
    assert feature in features_of(text, quoted)


def test_the_same_words_read_differently_by_their_context():
    said = features_of("The governor said the town had been ‘liberated’ on Monday.", "‘liberated’")
    bare = features_of("Shops reopened in the ‘liberated’ town on Monday.", "‘liberated’")
    assert "attribution_verb_before=3-6" in said and not any(f.startswith("attribution_verb") for f in bare)
    assert "next_content_word" in bare and "next_content_word" not in said


def test_context_is_bounded_in_a_sentence_with_no_end():
    # A run-on text with no sentence end: words further than _MAX_CONTEXT from the marks
    # (here a speech verb) must not change the features, or every pair would read the whole text.
    filler = "and the column moved on " * 40
    near = features_of(filler + "toward the ‘liberated’ town " + filler, "‘liberated’")
    far = features_of("officials said " + filler + "toward the ‘liberated’ town " + filler, "‘liberated’")
    assert len(filler) > quote_function._MAX_CONTEXT
    assert near == far
    assert "attribution_verb_in_sentence" not in far
