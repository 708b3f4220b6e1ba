import spacy

import sourcetrace
import sourcetrace.spacy_component  # noqa: F401  (registers the factory)


def test_add_pipe_sets_the_same_data_as_the_json(seed_text):
    nlp = spacy.blank("en")
    nlp.add_pipe("sourcetrace")
    doc = nlp(seed_text)
    expected = sourcetrace.to_dict(sourcetrace.analyze(seed_text))
    assert doc._.quotes == expected["quotes"]
    assert doc._.sources == expected["sources"]
    first = doc._.quotes[0]
    span = doc.char_span(first["start"], first["end"], alignment_mode="expand")
    assert span is not None and first["text"] in span.text
