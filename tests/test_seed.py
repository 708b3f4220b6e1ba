"""The seed article: every quotation found with its speaker, names and scare quotes kept apart."""


def test_every_seed_quotation_has_a_speaker(seed_doc):
    quotations = [t.span for t in seed_doc.quoted if t.function == "quotation"]
    assert len(quotations) == 14
    for span in quotations:  # each quotation is a quote, or lies inside a mixed attribution
        assert any(q.span.start <= span.start and span.end <= q.span.end for q in seed_doc.quotes)
    assert all(q.speaker is not None and q.source_id for q in seed_doc.quotes)


def test_seed_according_to_chain_links_to_the_channel(seed_doc):
    by_cue = [q for q in seed_doc.quotes if q.cue and q.cue.text.lower() == "according"]
    assert len(by_cue) == 2
    assert by_cue[0].source_id == by_cue[1].source_id
    channel = next(s for s in seed_doc.sources if s.id == by_cue[0].source_id)
    assert channel.type == "social_media" and "Military Review" in channel.name
    assert by_cue[1].span.text.startswith("The KPA’s deployment in Kursk")


def test_seed_vague_groups_and_author_inferences(seed_doc):
    vague = {s.name for s in seed_doc.sources if s.type == "vague"}
    assert vague == {"some analysts", "others"}
    # "This equipment suggests ..." is the author's inference, not an attributed claim.
    assert not any(q.speaker and q.speaker.text in ("This equipment", "These items") for q in seed_doc.quotes)


def test_seed_quotes_are_attributed_to_the_right_sources(seed_doc):
    by_start = {q.span.text[:25]: q.speaker.text for q in seed_doc.quotes}
    assert by_start["‘The presence of North Ko"] == "a military analyst"
    assert by_start["‘This collaboration exten"] == "a military analyst"
    assert by_start["‘The North Koreans receiv"] == "a source close to the Russian military"
    assert by_start["‘The Russian people will "] == "Putin"
    assert by_start["‘Our soldiers fought shou"] == "the general"
    bond = next(q for q in seed_doc.quotes if "‘unbreakable bond’" in q.span.text)
    assert bond.speaker.text == "state media"
    praise = next(q for q in seed_doc.quotes if "‘professionalism and courage’" in q.span.text)
    assert praise.kind in ("partial", "mixed") and "Putin" in praise.speaker.text
    assert by_start["‘Their support has been c"] == "a Russian defense official"
    assert by_start["‘The cooperation between "] == "a historian"


def test_seed_names_and_scare_quote_are_not_quotations(seed_doc):
    functions = {t.span.text: t.function for t in seed_doc.quoted}
    assert functions["‘Military Review,’"] == "name"
    assert functions["‘Modul-kokon’"] == "name"
    assert functions["‘liberate’"] == "scare"
    quoted = {q.span.text for q in seed_doc.quotes}
    assert not quoted & {"‘Military Review,’", "‘Modul-kokon’", "‘liberate’"}


def test_seed_sources_are_typed(seed_doc):
    types = {s.name: s.type for s in seed_doc.sources}
    assert types["a military analyst"] == "anonymous"
    assert types["a source close to the Russian military"] == "anonymous"
    assert types["Russian President Vladimir Putin"] == "named_person"
    assert types["state media"] == "state_media"
    assert types["a Russian defense official"] == "unnamed_official"
    assert types["a historian"] == "unnamed_expert"
    putin = next(s for s in seed_doc.sources if s.type == "named_person")
    assert [m.text for m in putin.mentions] == ["Russian President Vladimir Putin", "Putin"]


def test_seed_output_is_valid_and_every_span_matches(seed_doc, check_output):
    data = check_output(seed_doc)
    assert data["warnings"] == []
