"""The quote-function weights are reproducible from the training gold, which never holds blind data;
the shipped context model was trained on the same gold, and the numpy inference is the model trained."""

import json
from pathlib import Path

from sourcetrace import quote_function
from sourcetrace.train_quote_function import BLIND_FILE, MODEL_PATH, ROOT, TRAIN_FILES, train, training_records

BLIND = ROOT / BLIND_FILE


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_training_reproduces_the_shipped_weights_and_the_context_model_saw_the_same_gold():
    model, examples = train()
    shipped = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert model == shipped
    assert quote_function.load_model()["weights"] == model["weights"]
    assert len(examples) == sum(len(r["terms"]) for f in TRAIN_FILES for r in training_records(ROOT / f))
    # the context model is trained with torch, outside the tests; a change of the training gold
    # without training it again shows here
    context = quote_function.load_model()["context"]
    assert context["trained_on"] == shipped["trained_on"]


def test_blind_gold_shares_no_text_or_article_with_training():
    # The spent held-out sets (now training files) share PolNeAR articles with the blind set;
    # training_records leaves those records out.
    blind = _records(BLIND)
    training = [r for f in TRAIN_FILES for r in training_records(ROOT / f)]
    assert not {r["text"] for r in blind} & {r["text"] for r in training}
    polnear = {r["origin"] for r in training if r["origin"] != "written"}
    assert not {r["origin"] for r in blind if r["origin"] != "written"} & polnear
    assert all(r["origin"].startswith(("polnear/train/", "polnear/dev/", "written")) for r in training + blind)


def test_training_leaves_out_records_from_a_blind_article(tmp_path):
    (tmp_path / BLIND_FILE).parent.mkdir(parents=True)
    blind = {"id": "b1", "origin": "polnear/dev/x", "text": "a", "terms": []}
    blind_written = {"id": "b2", "origin": "written",
                     "text": "Officials called the shelling a ‘regrettable incident’ on Monday.",
                     "terms": [{"start": 32, "end": 54, "text": "‘regrettable incident’", "function": "scare"}]}
    (tmp_path / BLIND_FILE).write_text(json.dumps(blind) + "\n" + json.dumps(blind_written) + "\n", encoding="utf-8")
    records = [{"id": "t1", "origin": "polnear/dev/x", "text": "b", "terms": []},
               {"id": "t2", "origin": "polnear/dev/y", "text": "c", "terms": []},
               {"id": "t3", "origin": "written", "text": "d", "terms": []},
               # six words in a row of a blind sentence: left out
               {"id": "t4", "origin": "written", "terms": [],
                "text": "Later, officials called the shelling a “regrettable incident” again."},
               # another sentence with the blind sentence's quoted phrase: left out
               {"id": "t5", "origin": "written", "text": "The ministry spoke of a ‘regrettable incident’.",
                "terms": [{"start": 24, "end": 46, "text": "‘regrettable incident’", "function": "quotation"}]},
               # a short quoted word both share is no leak
               {"id": "t6", "origin": "written", "text": "He called it ‘regrettable’.",
                "terms": [{"start": 13, "end": 26, "text": "‘regrettable’", "function": "quotation"}]}]
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert [r["id"] for r in training_records(path, tmp_path)] == ["t2", "t3", "t6"]


def test_every_gold_term_is_a_span_of_its_text():
    # every quoted-terms file: training, the blind set, and any set kept for a later round
    paths = sorted((ROOT / "eval" / "gold").glob("quoted_terms*.jsonl"))
    assert {ROOT / f for f in TRAIN_FILES} | {BLIND} <= set(paths)
    for path in paths:
        for record in _records(path):
            for term in record["terms"]:
                assert record["text"][term["start"]:term["end"]] == term["text"], (path.name, record["id"])
                assert term["function"] in quote_function.FUNCTIONS


def test_speech_verb_object_is_not_a_scare_quote(analyze):
    # the learned weights lean to scare for "the ‘x y’"; the speech verb makes it reported speech
    doc = analyze("Officials in Pyongyang issued a statement, with state media emphasizing the "
                  "‘unbreakable bond’ between the two nations.")
    assert [q.function for q in doc.quoted] == ["quotation"]
    doc = analyze("The operation to ‘liberate’ the town began at dawn.")
    assert [q.function for q in doc.quoted] == ["scare"]


def test_spoken_sentences_and_chants_are_quotations_not_names(analyze):
    # title case alone made these names in the first round (PolNeAR dev errors)
    doc = analyze("''We will not be divided. We are one people, fighting for America,'' the president "
                  "added. ''We're America.''")
    assert [q.function for q in doc.quoted] == ["quotation", "quotation"]
    doc = analyze('Protesters chanted "What curfew?" as police moved in.')
    assert [q.function for q in doc.quoted] == ["quotation"]
    doc = analyze("The book's title, ‘The Road to Unfreedom’, was taken from a speech.")
    assert [q.function for q in doc.quoted] == ["name"]
