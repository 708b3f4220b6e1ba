"""Speakers and cues for quotes."""

import pytest


def speakers(doc):
    return [(q.span.text, q.speaker.text if q.speaker else None, q.cue.text if q.cue else None) for q in doc.quotes]


@pytest.mark.parametrize(
    "text, speaker, cue",
    [
        ('"We will win," the general said.', "the general", "said"),
        ('"We will win," said Defense Minister Andrei Belousov.', "Defense Minister Andrei Belousov", "said"),
        ('The spokesman stated: "We will win."', "The spokesman", "stated"),
        ('The mayor declared, "We will rebuild."', "The mayor", "declared"),
        ('"We are ready," Kim told reporters on Monday.', "Kim", "told"),
        ('"We are ready," the general said through a translator.', "the general", "said"),
        ('"We are ready," added Senator Smith.', "Senator Smith", "added"),
        ('‘It was hard,’ said a source close to the Russian military.',
         "a source close to the Russian military", "said"),
    ],
)
def test_speech_verb_before_or_after_the_quote(analyze, text, speaker, cue):
    (quote,) = analyze(text).quotes
    assert (quote.speaker.text, quote.cue.text) == (speaker, cue)


def test_split_quote_runs_share_the_speaker(analyze):
    doc = analyze('"We came," Maria Lopez said, "and we stayed."')
    assert [s for _, s, _ in speakers(doc)] == ["Maria Lopez", "Maria Lopez"]
    assert doc.quotes[0].source_id == doc.quotes[1].source_id is not None


def test_next_sentence_quote_keeps_the_speaker(analyze):
    doc = analyze('"We came to win," said Blair. "Many schools are failing."')
    assert [s for _, s, _ in speakers(doc)] == ["Blair", "Blair"]


def test_speaker_named_in_the_previous_sentence(analyze):
    doc = analyze("Press secretary Josh Earnest spoke at a briefing on Monday. He said the law works. "
                  "“We have seen a sustained commitment to it.”")
    assert speakers(doc)[0][1] == "He"
    (source,) = doc.sources
    assert source.name == "Josh Earnest" and source.type == "named_person"


def test_consecutive_quote_paragraphs_by_the_same_speaker(analyze):
    text = ("“We will not retreat,” the commander said.\n"
            "“Our positions are strong.”\n"
            "Elsewhere, fighting continued.")
    doc = analyze(text)
    assert [s for _, s, _ in speakers(doc)] == ["the commander", "the commander"]


def test_a_new_speaker_breaks_the_chain(analyze):
    text = "“We will not retreat,” the commander said. The mayor said: “We are leaving.”"
    doc = analyze(text)
    assert [s for _, s, _ in speakers(doc)] == ["the commander", "The mayor"]


def test_pronoun_speaker_links_to_its_antecedent(analyze):
    text = "“We will win,” said Vladimir Putin.\nThe crowd cheered.\n“Russia is strong,” he said."
    doc = analyze(text)
    assert [s for _, s, _ in speakers(doc)] == ["Vladimir Putin", "he"]
    assert doc.quotes[0].source_id == doc.quotes[1].source_id
    (source,) = doc.sources
    assert source.name == "Vladimir Putin" and [m.text for m in source.mentions] == ["Vladimir Putin", "he"]


def test_surname_links_to_the_full_name(analyze):
    text = "“We will win,” said Vladimir Putin.\n“Russia is strong,” Putin said later."
    doc = analyze(text)
    assert len(doc.sources) == 1 and doc.sources[0].type == "named_person"


def test_quote_with_no_speaker_anywhere_has_none(analyze):
    (quote,) = analyze("The road was empty.\n“Welcome to the front.”").quotes
    assert quote.speaker is None and quote.source_id is None


def test_a_source_after_a_trailing_comma_types_cleanly(analyze, check_output):
    doc = analyze("“Move,” said the channel ‘Rybar,’ and left.")
    assert not doc.warnings
    check_output(doc)


def test_a_name_signed_after_a_dash_is_the_speaker(analyze):
    text = ("Readers told us what they thought of the debate.\n"
            "“He did not answer a single question.” ― Veronica Cruz\n"
            "“The most unqualified candidate ever.”— Oscar P. Quintero.\n"
            "“We must vote.” ― Julie A. Diaz Martinez\n")
    direct = [q for q in analyze(text).quotes if q.kind == "direct"]
    assert [q.speaker.text for q in direct] == ["Veronica Cruz", "Oscar P. Quintero", "Julie A. Diaz Martinez"]
    assert len({q.source_id for q in direct}) == 3


def test_a_dash_mid_line_is_not_a_signature(analyze):
    doc = analyze("“We will win,” the general said — Ukraine disagreed, officials say.\n")
    assert doc.quotes[0].speaker.text == "the general"
