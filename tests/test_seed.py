"""The seed article: every quotation found with its speaker, names and scare quotes kept apart."""


def test_every_seed_quotation_has_a_speaker(seed_doc):
    assert len(seed_doc.quotes) == 14
    assert all(q.speaker is not None and q.source_id for q in seed_doc.quotes)


def test_seed_quotes_are_attributed_to_the_right_sources(seed_doc):
    by_start = {q.span.text[:25]: q.speaker.text for q in seed_doc.quotes}
    assert by_start["‘The presence of North Ko"] == "a military analyst"
    assert by_start["‘This collaboration exten"] == "a military analyst"
    assert by_start["‘The North Koreans receiv"] == "a source close to the Russian military"
    assert by_start["‘The Russian people will "] == "Putin"
    assert by_start["‘Our soldiers fought shou"] == "the general"
    assert by_start["‘unbreakable bond’"] == "state media"
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
