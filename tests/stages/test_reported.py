"""Indirect and mixed attributions (reported speech)."""

import pytest


def reported(doc):
    return [(q.kind, q.span.text, q.speaker.text if q.speaker else None, q.cue.text)
            for q in doc.quotes if q.kind in ("indirect", "mixed")]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The minister said that the bridge was destroyed on Tuesday.",
         ("indirect", "that the bridge was destroyed on Tuesday", "The minister", "said")),
        ("The bridge was destroyed on Tuesday, officials said.",
         ("indirect", "The bridge was destroyed on Tuesday", "officials", "said")),
        ("According to the Telegram channel Rybar, the bridge was destroyed.",
         ("indirect", "the bridge was destroyed", "the Telegram channel Rybar", "According")),
        ("The bridge was destroyed, according to local officials.",
         ("indirect", "The bridge was destroyed", "local officials", "according")),
        ("The governor warned that more strikes would follow.",
         ("indirect", "that more strikes would follow", "The governor", "warned")),
        ("The mayor told reporters the city had no water.",
         ("indirect", "the city had no water", "The mayor", "told")),
        ("Kyiv vowed to retake the town by winter.",
         ("indirect", "to retake the town by winter", "Kyiv", "vowed")),
    ],
)
def test_reported_speech_patterns(analyze, text, expected):
    assert reported(analyze(text)) == [expected]


def test_content_with_a_partial_quote_is_mixed_and_replaces_the_fragment(analyze):
    doc = analyze("Putin said the offensive was “going to plan” and would continue.")
    assert [(q.kind, q.span.text) for q in doc.quotes] == [
        ("mixed", "the offensive was “going to plan” and would continue")]
    assert [t.function for t in doc.quoted] == ["quotation"]


def test_a_direct_quote_is_not_reported_twice(analyze):
    doc = analyze('The general said: "We will hold the line."')
    assert [q.kind for q in doc.quotes] == ["direct"]


def test_agentless_reporting_has_no_speaker(analyze):
    doc = analyze("It was reported that the convoy turned back.")
    assert [(q.kind, q.speaker) for q in doc.quotes] == [("indirect", None)]


def test_inference_from_a_thing_is_not_an_attribution(analyze):
    doc = analyze("This equipment suggests a high degree of integration.")
    assert doc.quotes == ()
    doc = analyze("A new poll suggests that support is falling.")
    assert [q.speaker.text for q in doc.quotes] == ["A new poll"]
