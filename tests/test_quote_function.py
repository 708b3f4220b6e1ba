"""Features of a pair of quote marks (sourcetrace.quote_function): the cues the classifier reads."""

import re

import pytest

from sourcetrace import encoder, quote_function
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


def _pairs(text: str, *quoted: str):
    doc = run(from_record({"text": text, "id": "t"}), build_pipeline(["segment"]))
    spans = [doc.span(text.index(q), text.index(q) + len(q)) for q in quoted]
    return doc, [(s, SpanIndex(doc.sentences).at(s.start)) for s in spans]


def test_the_encoder_reads_only_the_pairs_the_feature_model_is_unsure_of(monkeypatch):
    # A place's nickname: no cue word tells it from a phrase someone said (the feature model says
    # quotation, unsure); what the words mean in the sentence does.
    text = ("“We will rebuild every school in this region before the winter comes,” the governor said. "
            "Locals call the old bus depot ‘the Cage’ these days.")
    doc, pairs = _pairs(text, "“We will rebuild every school in this region before the winter comes,”", "‘the Cage’")
    model = quote_function.load_model()
    sure = [quote_function.decide_with_probability(quote_function.features(doc, s, sent), model)[1]
            for s, sent in pairs]
    assert not quote_function.needs_context(sure[0], model) and quote_function.needs_context(sure[1], model)
    seen = []
    real = quote_function.context_vectors

    def spy(text, windows, dense):
        seen.extend(text[w.start:w.end] for w in windows)
        return real(text, windows, dense)

    monkeypatch.setattr(quote_function, "context_vectors", spy)
    decided, over_budget = quote_function.classify_all(doc, pairs)
    functions = [f for f, _ in decided]
    assert over_budget == 0
    assert seen == ["Locals call the old bus depot ‘the Cage’ these days."]
    assert functions == ["quotation", "name"]
    assert quote_function.decide(quote_function.features(doc, *pairs[1]), model) == "quotation"


def test_the_encoder_window_splits_words_from_marks():
    text = "Analysts call it the ‘grey zone’, a strip no army holds."
    doc, [(span, sentence)] = _pairs(text, "‘grey zone’")
    window = quote_function.context_window(span, sentence, len(text))
    (inner,), marks = window.parts
    assert text[inner[0]:inner[1]] == "grey zone"
    assert [text[a:b] for a, b in marks] == ["‘", "’"]
    assert text[window.start:window.end] == text


def test_repeated_windows_are_encoded_once_and_a_budget_bounds_the_rest(monkeypatch):
    sentence = "Locals call the old bus depot ‘the Cage’ these days. "
    text = sentence * 5 + "Drivers call the mountain road ‘the Ladder’ and avoid it. "
    doc = run(from_record({"text": text, "id": "t"}), build_pipeline(["segment"]))
    sents = SpanIndex(doc.sentences)
    pairs = [(doc.span(m.start(), m.end()), sents.at(m.start())) for m in re.finditer(r"‘[^’]+’", text)]
    encoded = []
    real = quote_function.context_vectors
    monkeypatch.setattr(quote_function, "context_vectors",
                        lambda text, windows, dense: encoded.append(len(windows)) or real(text, windows, dense))
    decided, over_budget = quote_function.classify_all(doc, pairs)
    assert encoded == [2] and over_budget == 0
    assert len(set(decided[1:5])) == 1  # the same sentence after the same sentence, the same answer
    monkeypatch.setattr(quote_function, "MAX_ENCODED", 1)
    decided, over_budget = quote_function.classify_all(doc, pairs)
    assert over_budget == 1
    feature_only = quote_function.decide_with_probability(quote_function.features(doc, *pairs[5]),
                                                          quote_function.load_model())
    assert decided[5] == (feature_only[0], round(feature_only[1], 3))


def test_a_document_over_the_budget_says_so(monkeypatch, analyze):
    monkeypatch.setattr(quote_function, "MAX_ENCODED", 0)
    doc = analyze("Locals call the old bus depot ‘the Cage’ these days.")
    assert [w.code for w in doc.warnings] == ["quote-function-budget"]
    assert "1 quote-mark pairs kept the feature model's function" in doc.warnings[0].message


def test_the_numpy_context_model_gives_the_trained_models_probabilities():
    # finetune_quote_function stores the torch model's probabilities for a few training windows:
    # the adapter merged into the numpy encoder and the exported head must give the same.
    model = quote_function.load_model()["context"]
    probes = model["probes"]
    assert {max(zip(p["probabilities"], quote_function.FUNCTIONS))[1] for p in probes} >= {"quotation", "name"}
    windows = [encoder.Window(0, len(p["window"]), tuple(tuple(tuple(r) for r in part) for part in p["parts"]))
               for p in probes]
    for probe, window in zip(probes, windows):
        vector = quote_function.context_vectors(probe["window"], [window], model["dense"])[0]
        got = quote_function.scores(probe["features"], model, vector)
        assert [got[c] for c in quote_function.FUNCTIONS] == pytest.approx(probe["probabilities"], abs=2e-3)
