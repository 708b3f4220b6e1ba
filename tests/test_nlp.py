"""The shared spaCy pipeline (sourcetrace.nlp) and the parse of windows (sourcetrace.parse)."""

from sourcetrace import nlp, parse


def test_one_pipeline_parses_and_holds_the_ner_disabled():
    pipe = nlp.load()
    assert pipe.pipe_names == ["tok2vec", "tagger", "parser"]
    assert nlp.NER in pipe.disabled
    assert nlp.entity_recognizer() is pipe.get_pipe(nlp.NER)
    ents = nlp.entity_recognizer()(pipe.make_doc("Vladimir Putin spoke in Moscow on Tuesday.")).ents
    assert ("Vladimir Putin", "PERSON") in [(e.text, e.label_) for e in ents]


def test_every_layer_multiplies_with_numpy_blas():
    pipe = nlp.load()
    layers = [node for _name, comp in pipe.components if getattr(comp, "model", None) is not None
              for node in comp.model.walk()]
    assert layers and all(node.ops.use_blis is False for node in layers)


def test_parsed_tokens_match_spacy_in_document_offsets():
    text = "Intro line.\n“We will win,” the minister said on Monday, smiling."
    start = text.index("“")
    parsed = parse.parse_windows(text, [(start, len(text))])
    sdoc = nlp.load()(text[start:])
    assert [t.text for t in parsed.toks] == [t.text for t in sdoc]
    for tok, st in zip(parsed.toks, sdoc):
        assert text[tok.start:tok.end] == tok.text
        assert parsed.head(tok).text == st.head.text
        assert [c.text for c in parsed.children(tok)] == [c.text for c in st.children]
        assert tok.dep == st.dep_ and tok.tag == st.tag_
    said = next(t for t in parsed.toks if t.text == "said")
    assert said.lemma == "say" and said.pos == "VERB"
