"""Quote finding: styles, partial and split quotes, multi-paragraph quotes, apostrophes."""

import pytest

from sourcetrace.document import Document
from sourcetrace.pipeline import build_pipeline, run

STAGES = build_pipeline(["segment", "quotes"])


def found(text):
    doc = run(Document(text), STAGES)
    return doc, [q.span.text for q in doc.quotes]


@pytest.mark.parametrize(
    "text, quote",
    [
        ('"We will win," the general said.', '"We will win,"'),
        ("“We will win,” the general said.", "“We will win,”"),
        ("''We will win,'' the general said.", "''We will win,''"),
        ("‘We will win,’ the general said.", "‘We will win,’"),
        ("'We will win,' the general said.", "'We will win,'"),
        ("«We will win», the general said.", "«We will win»"),
        ("„We will win“, the general said.", "„We will win“"),
    ],
)
def test_every_quote_style_gives_one_direct_quote(text, quote):
    doc, quotes = found(text)
    assert quotes == [quote]
    assert doc.quotes[0].kind == "direct"
    assert not doc.warnings


def test_nested_quotes_stay_inside_the_outer_quote():
    doc, quotes = found("“He told me ‘never again’ and left,” she said.")
    assert quotes == ["“He told me ‘never again’ and left,”"]
    assert [q.nested for q in doc.quoted] == [False, True]


def test_apostrophes_are_never_quote_marks():
    text = "‘O’Brien’s men and the soldiers’ families won’t leave,’ said Sean O'Brien's aide."
    doc, quotes = found(text)
    assert quotes == ["‘O’Brien’s men and the soldiers’ families won’t leave,’"]
    assert not doc.warnings


def test_plural_possessive_outside_a_quote_is_not_a_mark():
    doc, quotes = found("The soldiers’ families waited. The Joneses' house burned.")
    assert quotes == [] and not doc.warnings and not doc.quoted


def test_a_name_ending_in_s_closes_before_punctuation_not_at_a_later_possessive():
    doc, _ = found("US prosecutors accuse the ‘Cartel de los Soles’, named for the insignia on "
                   "Venezuelan generals’ uniforms, of trafficking.")
    assert [q.span.text for q in doc.quoted] == ["‘Cartel de los Soles’"]
    assert not doc.warnings


def test_partial_quote_inside_the_authors_sentence():
    doc, _ = found("Putin praised their ‘professionalism and courage’ in the operation.")
    assert [(q.span.text, q.kind) for q in doc.quotes] == [("‘professionalism and courage’", "partial")]


def test_split_quote_gives_one_quote_per_run():
    doc, quotes = found('"We came," he said, "and we stayed."')
    assert quotes == ['"We came,"', '"and we stayed."']


def test_multi_paragraph_quote_opens_each_paragraph_and_closes_once():
    text = "The minister said:\n“First paragraph of the speech.\n“Second paragraph of it.\n“And the end.”\nAfter that, silence."
    doc, quotes = found(text)
    assert quotes == ["“First paragraph of the speech.", "“Second paragraph of it.", "“And the end.”"]
    assert all(q.kind == "direct" for q in doc.quotes)
    assert len(doc.quoted) == 1 and len(doc.quoted[0].pieces) == 3
    assert not doc.warnings


def test_line_break_inside_one_quote_keeps_it_whole():
    text = "Putin stated, ‘The people will never forget.\nTheir sacrifice was great.’ Then he left."
    _, quotes = found(text)
    assert quotes == ["‘The people will never forget.\nTheir sacrifice was great.’"]


def test_unbalanced_mark_is_a_warning_not_a_crash():
    doc, quotes = found("“This never closes, he said.\nNext paragraph is plain.")
    assert quotes == []
    assert [w.code for w in doc.warnings] == ["unbalanced-quote"]
    assert doc.warnings[0].span.text == "“"


def test_stray_closing_mark_is_a_warning():
    doc, _ = found("Nothing opened here” at all.")
    assert [w.code for w in doc.warnings] == ["unbalanced-quote"]


@pytest.mark.parametrize(
    "text, function",
    [
        ("According to the Telegram channel ‘Military Review,’ troops moved.", "name"),
        ("They wore ‘Modul-kokon’ armor vests.", "name"),
        ("The operation to ‘liberate’ Kursk Oblast went on.", "scare"),
        ("The so-called ‘referendum’ was held.", "scare"),
        ("Officials avoid the word 'war' in public.", "mention"),
        ('Trump called the deal "a disaster for our workers," adding more.', "quotation"),
    ],
)
def test_quote_marks_get_a_function(text, function):
    doc, quotes = found(text)
    assert [q.function for q in doc.quoted] == [function]
    assert (function == "quotation") == bool(quotes)


def test_a_lowercase_quote_right_after_a_cue_is_partial():
    # PolNeAR counts 'Obama said "it gets me mad"' as one mixed attribution: the quote is a
    # fragment of the author's sentence, not a statement of its own.
    doc, _ = found('Obama said “it gets me mad every time” at the rally.')
    assert [q.kind for q in doc.quotes] == ["partial"]
    doc, _ = found('Obama said, “It gets me mad every time.”')
    assert [q.kind for q in doc.quotes] == ["direct"]


def test_each_quote_mark_function_carries_the_classifiers_probability():
    # (A word inside what a named source said, "‘Rybar’ said the operation to ‘liberate’ ...", is
    # the source's word under the guidelines, a quotation; here the author undercuts it.)
    doc, _ = found("The channel ‘Rybar’ cheered the operation to ‘liberate’ the town, which now lies in ruins. "
                   "“We will hold,” the commander said.")
    terms = {t.span.text: t for t in doc.quoted}
    assert terms["‘liberate’"].function == "scare"
    assert all(0.0 <= t.confidence <= 1.0 for t in doc.quoted)
    # the probability belongs to the function given, so a clear case scores high
    assert terms["“We will hold,”"].function == "quotation" and terms["“We will hold,”"].confidence > 0.8


def test_a_quote_over_several_paragraphs_has_no_classifier_probability():
    doc, _ = found("“We held the line all night.\n\n“By morning the road was open,” he said.")
    assert [(t.function, t.confidence) for t in doc.quoted] == [("quotation", None)]
