"""The entities stage: names (spaCy NER with lexicon fixes) and equipment with categories."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from sourcetrace.document import Document, Source, Span
from sourcetrace.pipeline import DEFAULT_STAGES, PipelineError, build_pipeline, run
from sourcetrace.stages import entities, segment

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "eval" / "gold" / "equipment.jsonl"


def analysed(text: str, **kw) -> Document:
    return entities.run(segment.run(Document(text)), **kw)


def equipment(text: str, **kw) -> list[tuple[str, str]]:
    return [(e.span.text, e.category) for e in analysed(text, **kw).entities if e.label == "EQUIPMENT"]


def names(doc: Document) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for e in doc.entities:
        if e.label != "EQUIPMENT":
            out.setdefault(e.span.text, set()).add(e.label)
    return out


@pytest.fixture(scope="module")
def seed_entities(seed_text) -> Document:
    return analysed(seed_text)


@pytest.fixture
def user_file(tmp_path):
    def write(body: str, name: str = "extra.tsv") -> Path:
        p = tmp_path / name
        p.write_text(body, encoding="utf-8")
        return p
    return write


@pytest.fixture
def configured():
    yield entities.configure
    entities.configure(None)


# ----------------------------------------------------------------------------- the stage contract

def test_stage_contract():
    assert entities.NAME == "entities"
    assert entities.ASSIGNS == ("entities",)
    assert set(entities.REQUIRES) == {"sentences", "sources"}
    stages = build_pipeline(list(DEFAULT_STAGES) + ["entities"])
    assert stages[-1].name == "entities"
    with pytest.raises(PipelineError, match="sources"):
        build_pipeline(["segment", "entities"])


# ----------------------------------------------------------------------------- the seed

SEED_EQUIPMENT = [
    ("AK-12", "assault_rifle"),
    ("Modul-kokon", "body_armour"),
    ("VKP 2.1", "uniform"),
    ("VKP 3.1", "uniform"),
    ("MICH2000", "helmet"),
    ("Br4", "armour_class"),
    ("Aappi-7", "medical_kit"),
    ("Appi-8", "medical_kit"),
]


def test_seed_equipment_with_categories(seed_entities):
    found = [(e.span.text, e.category) for e in seed_entities.entities if e.label == "EQUIPMENT"]
    assert found == SEED_EQUIPMENT


def test_seed_quoted_equipment_span_has_no_marks(seed_entities):
    modul = next(e for e in seed_entities.entities if e.span.text == "Modul-kokon")
    text = seed_entities.text
    assert text[modul.span.start - 1] == "‘" and text[modul.span.end] == "’"


def test_seed_name_fixes(seed_entities):
    got = names(seed_entities)
    assert got["Kursk Oblast"] == {"GPE"}  # one span, not "Kursk" PRODUCT
    assert got["Pyongyang"] == {"GPE"}
    assert got["DPRK"] == {"GPE"}
    assert got["Democratic People’s Republic of Korea"] == {"GPE"}
    assert got["KPA"] == {"ORG"}
    assert got["Korean People’s Army"] == {"ORG"}
    assert got["Military Review"] == {"ORG"}  # the Telegram channel, without its quote marks
    assert got["Vladimir Putin"] == {"PERSON"}
    assert got["DPRK’s Ministry of Foreign Affairs"] == {"ORG"}  # a longer name keeps its label
    assert "Kursk" in got and got["Kursk"] == {"GPE"}
    # No name holds a leading "the", a quote mark or a line break; no DATE/CARDINAL label.
    for e in seed_entities.entities:
        assert not e.span.text.startswith(("the ", "The ")), e
        assert not re.search(r"[‘’“”\"\n]$|^[‘’“”\"]", e.span.text), e
        assert e.label in {"PERSON", "ORG", "GPE", "LOC", "NORP", "EQUIPMENT"}
        assert (e.category is not None) == (e.label == "EQUIPMENT")


def test_seed_through_the_pipeline_sets_source_ids(seed_text, check_output):
    doc = run(segment.run(Document(seed_text)), build_pipeline(list(DEFAULT_STAGES) + ["entities"])[1:])
    assert not [w for w in doc.warnings if w.stage == "entities"]
    check_output(doc)
    by_text = {}
    for e in doc.entities:
        by_text.setdefault(e.span.text, []).append(e)
    putin = by_text["Vladimir Putin"][0]
    assert putin.source_id is not None
    assert any(s.id == putin.source_id and "Putin" in s.name for s in doc.sources)
    # "Russian" in "a source close to the Russian military" does not name that source.
    assert all(e.source_id is None for e in by_text["Russian"])
    assert all(e.source_id is None for e in doc.entities if e.label == "EQUIPMENT")


# ----------------------------------------------------------------------------- unseen designations

@pytest.mark.parametrize(
    "text, expected",
    [
        ("The Defence Ministry claimed that the new Su-57M fighter had completed trials.", [("Su-57M", "aircraft")]),
        ("Russian state television showed the upgraded BMP-2M Berezhok entering service.",
         [("BMP-2M Berezhok", "infantry_fighting_vehicle")]),
        ("Lancet-3M loitering munitions had destroyed a Krab howitzer near Orikhiv.",
         [("Lancet-3M", "loitering_munition"), ("Krab", "self_propelled_artillery")]),
        ("Analysts noted that Kub-2 drones had begun appearing in the area.", [("Kub-2", "loitering_munition")]),
        # Not gold sentences: the same rules on other designations.
        ("Russian troops fielded the new T-90M2 tank near Pokrovsk.", [("T-90M2", "tank")]),
        ("A Ka-52M helicopter was downed over Kursk Oblast.", [("Ka-52M", "helicopter")]),
        ("The Iskander-1000 missile was fired at Kharkiv.", [("Iskander-1000", "missile")]),
        ("A Buk-M3 battery and a Pantsir-S1M were destroyed.", [("Buk-M3", "air_defence"), ("Pantsir-S1M", "air_defence")]),
        ("Soldiers carried AK-74M rifles and an RPK-74M machine gun.", [("AK-74M", "assault_rifle"), ("RPK-74M", "machine_gun")]),
        ("Russia launched Shahed-107 drones and a MiG-31I took off.", [("Shahed-107", "loitering_munition"), ("MiG-31I", "aircraft")]),
        ("Footage showed a Leopard 2A7 and two CV9035 vehicles burning.",
         [("Leopard 2A7", "tank"), ("CV9035", "infantry_fighting_vehicle")]),
        ("Engineers laid TM-62 and PTM-4M mines along the road.", [("TM-62", "other"), ("PTM-4M", "other")]),
        ("Crews fire unguided S-8 rockets and use Vikhr-1 guided missiles against armour.",
         [("S-8", "missile"), ("Vikhr-1", "missile")]),
        ("One crew disabled a T-90M with its 25mm M242 Bushmaster cannon.", [("T-90M", "tank"), ("M242 Bushmaster", "other")]),
    ],
)
def test_unseen_designations_from_shape_and_context(text, expected):
    assert equipment(text) == expected


def test_unseen_designation_not_in_gazetteer():
    """The gold set's unseen designations are found by rules, not listed."""
    surfaces = {e.surface.casefold() for e in entities.load_gazetteer().entries}
    for s in ("Su-57M", "Lancet-3M", "BMP-2M Berezhok", "Kub-2", "T-34", "S-8", "Vikhr-1", "M242 Bushmaster"):
        assert s.casefold() not in surfaces


def test_family_category_needs_military_context():
    assert equipment("Russia has lost at least 200 T-80BVM tanks. On 9 May a restored T-34 led the parade.") == [
        ("T-80BVM", "tank"), ("T-34", "tank")]
    assert equipment("On 9 May a restored T-34 led the parade.") == []  # no other equipment, no noun


def test_named_ships():
    text = ("Magura V5 drones sank the landing ship Tsezar Kunikov and, weeks later, the patrol ship Sergei Kotov. "
            "The flagship Moskva was sunk in 2022. A Kilo-class submarine, the Rostov-on-Don, was struck in dry dock.")
    found = equipment(text)
    for name in ("Tsezar Kunikov", "Sergei Kotov", "Moskva", "Rostov-on-Don"):
        assert (name, "ship") in found
    assert ("Kilo-class", "ship") in found
    doc = analysed(text)
    assert not [e for e in doc.entities if e.label != "EQUIPMENT" and "Rostov" in e.span.text]


# ----------------------------------------------------------------------------- traps

def test_obr_variant_is_one_mention_not_a_year():
    text = "Ukrainian forces destroyed a Russian T-72B3 Obr. 2016 tank and a T-80BVM Obr. 2022 near Vuhledar."
    assert equipment(text) == [("T-72B3 Obr. 2016", "tank"), ("T-80BVM Obr. 2022", "tank")]


def test_numbers_units_and_calibres_are_not_equipment():
    text = ("The 155th Marine Brigade and the 72nd Mechanized Brigade fired 1,200 152mm shells and 7.62mm rounds "
            "in 2023. Call +380 44 123 4567 or 0800 500 225; the package is worth $400 million. "
            "Koksan 170mm self-propelled guns were seen.")
    assert equipment(text) == [("Koksan", "self_propelled_artillery")]


def test_plurals_keep_their_s():
    text = "Ukraine's first F-16s arrived, and Russia keeps its MiG-31s at Savasleyka. Residents call the bombs KABs."
    assert equipment(text) == [("F-16s", "aircraft"), ("MiG-31s", "aircraft"), ("KABs", "bomb")]


def test_lower_case_tail_is_left_out():
    assert equipment("HIMARS-launched GMLRS rockets hit the depot.") == [
        ("HIMARS", "multiple_rocket_launcher"), ("GMLRS", "missile")]


def test_quote_marks_are_not_in_spans():
    text = "Many bought “Gorka” suits and ‘Modul-kokon’ vests."
    assert equipment(text) == [("Gorka", "uniform"), ("Modul-kokon", "body_armour")]


def test_su57_and_longest_surface():
    assert equipment("A drone damaged a Su-57 at the airfield, and a UAZ Patriot was hit.") == [
        ("Su-57", "aircraft"), ("UAZ Patriot", "logistics_vehicle")]


@pytest.mark.parametrize(
    "text",
    [
        "Stacey Abrams said the vote was rigged, and Julius Caesar was quoted in the debate.",
        "Patriot filed for bankruptcy, and the former Patriot mines were sold to Mr. Clarke.",
        "Bradley Cooper upset fans, and Gorka slammed the neocons.",
        "The company sold its F-150 trucks and G20 delegates discussed COVID-19 rules.",
        "Trump said: \"We need a new President -- FAST!\"",
        "The Lancet published the study on Monday.",
    ],
)
def test_ambiguous_names_need_military_context(text):
    assert equipment(text) == []


def test_ambiguous_names_with_context():
    assert equipment("Ukraine received three Patriot batteries and Caesar howitzers.") == [
        ("Patriot", "air_defence"), ("Caesar", "self_propelled_artillery")]
    assert equipment("Lancet drones destroyed a PzH 2000 and an Archer in the past month.") == [
        ("Lancet", "loitering_munition"), ("PzH 2000", "self_propelled_artillery"), ("Archer", "self_propelled_artillery")]
    # A title or a speech verb makes the surname a person, even among weapons.
    assert equipment("General Abrams visited the troops, who showed him a captured T-72B3.") == [("T-72B3", "tank")]
    assert equipment("Defence Minister Makarov said the T-80 tanks were ready.") == [("T-80", "tank")]


# ----------------------------------------------------------------------------- the user gazetteer

def test_user_gazetteer_adds_rows(user_file, configured):
    p = user_file("# test rows\nsurface\tcategory\torigin\nVampire\tdrone\tUkraine\nRBS 70\tair_defence\tSweden\n")
    text = "Drone pilots favour the Vampire heavy bomber drone, and RBS 70 launchers guard the bridge."
    assert equipment(text) == []
    gaz = entities.load_gazetteer(p)
    assert len(gaz) == len(entities.load_gazetteer()) + 2
    assert equipment(text, gazetteer=gaz) == [("Vampire", "drone"), ("RBS 70", "air_defence")]
    configured(p)
    assert equipment(text) == [("Vampire", "drone"), ("RBS 70", "air_defence")]
    configured(None)
    assert equipment(text) == []


def test_user_row_replaces_builtin_row(user_file):
    p = user_file("surface\tcategory\nPuma\tinfantry_fighting_vehicle\n")
    gaz = entities.load_gazetteer(p)
    assert [e.category for e in gaz.entries if e.surface == "Puma"] == ["infantry_fighting_vehicle"]


@pytest.mark.parametrize(
    "body, message",
    [
        ("surface\tcategory\torigin\nVampire\tdrones\tUkraine\n", r"extra\.tsv:2: unknown category 'drones'"),
        ("Vampire\tdrone\tUkraine\n", r"extra\.tsv:1: expected the header line"),
        ("# c\nsurface\tcategory\torigin\nVampire drone Ukraine\n", r"extra\.tsv:3: expected tab-separated columns"),
        ("surface\tcategory\torigin\nVampire\tdrone\tUkraine\tx\n", r"extra\.tsv:2: 4 columns"),
        ("surface\tcategory\n\tdrone\n", r"extra\.tsv:2: empty or meaningless surface"),
        ("surface\tcategory\nVampire\tdrone\nvampire\ttank\n", r"extra\.tsv:3: 'vampire' is already filed as 'drone'"),
        ("# only comments\n", r"extra\.tsv: no header line"),
    ],
)
def test_bad_user_gazetteer_names_file_and_line(user_file, body, message):
    p = user_file(body)
    with pytest.raises(ValueError, match=message):
        entities.load_gazetteer(p)


def test_missing_or_binary_user_gazetteer(tmp_path, configured):
    with pytest.raises(ValueError, match=r"nothere\.tsv: cannot read equipment file"):
        entities.load_gazetteer(tmp_path / "nothere.tsv")
    with pytest.raises(ValueError, match=r"nothere\.tsv"):
        configured(tmp_path / "nothere.tsv")
    bad = tmp_path / "bin.tsv"
    bad.write_bytes(b"surface\tcategory\n\xff\xfe\tdrone\n")
    with pytest.raises(ValueError, match=r"bin\.tsv: not UTF-8"):
        entities.load_gazetteer(bad)


# ----------------------------------------------------------------------------- categories and docs

def test_documented_categories_match_the_gazetteer():
    doc = (ROOT / "docs" / "equipment.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([a-z_]+)` \|", doc, flags=re.M)
    assert sorted(listed) == sorted(entities.categories())
    assert len(listed) == 33
    context = {n.category for nouns in entities._context().first.values() for n in nouns if n.category}
    assert context <= set(listed)


# ----------------------------------------------------------------------------- spans, chunks, speed

def test_spans_consistent_sorted_and_not_overlapping(seed_entities):
    ents = seed_entities.entities
    assert list(ents) == sorted(ents, key=lambda e: (e.span.start, e.span.end))
    for a, b in zip(ents, ents[1:]):
        assert a.span.end <= b.span.start, (a, b)
    for e in ents:
        assert seed_entities.text[e.span.start:e.span.end] == e.span.text


def test_chunks_cover_paragraphs_within_the_cap():
    para = " ".join(["The T-72B3 tank was hit near Bakhmut."] * 6000)  # ~230,000 characters, one paragraph
    doc = segment.run(Document("Short intro.\n\n" + para + "\n\nA closing line about a Su-34."))
    parts = entities.chunks(doc)
    assert all(e - s <= entities.CHUNK_CHARS for s, e in parts)
    assert all(a[1] <= b[0] for a, b in zip(parts, parts[1:]))
    inside = bytearray(len(doc.text))
    for s, e in parts:
        inside[s:e] = b"\x01" * (e - s)
    for p in doc.paragraphs:  # every non-space character of every paragraph is in a chunk
        assert all(inside[i] or doc.text[i].isspace() for i in range(p.start, p.end))
    no_breaks = segment.run(Document("x" * 250_000))
    cap = entities.CHUNK_CHARS
    assert entities.chunks(no_breaks) == [(k, min(k + cap, 250_000)) for k in range(0, 250_000, cap)]


def test_equipment_matching_is_fast_on_long_texts():
    text = "\n\n".join(
        "Russian forces hit Kherson with BM-21 Grad rockets, a Lancet struck a Krab, and the new Su-57M "
        "fighter flew over Kyiv, officials said on Tuesday." for _ in range(8000))  # ~1 MB
    doc = segment.run(Document(text))
    t0 = time.perf_counter()
    found = entities.find_equipment(doc)
    assert time.perf_counter() - t0 < 10
    assert len(found) == 4 * 8000


def test_ner_runs_in_chunks_on_a_long_paragraph():
    para = " ".join(["Officials in Kyiv said the Pentagon would send more aid."] * 2500)  # ~145,000 characters
    doc = analysed(para)
    kyiv = [e for e in doc.entities if e.span.text == "Kyiv"]
    assert len(kyiv) == 2500 and {e.label for e in kyiv} == {"GPE"}
    for e in doc.entities:
        assert doc.text[e.span.start:e.span.end] == e.span.text


def test_without_a_model_equipment_is_still_found(monkeypatch):
    def missing():
        raise entities.nlp_module.ModelNotFound("no model")
    monkeypatch.setattr(entities, "load_ner", missing)
    doc = analysed("Soldiers carried AK-12 rifles near Pyongyang.")
    assert [(e.span.text, e.label) for e in doc.entities] == [("AK-12", "EQUIPMENT"), ("Pyongyang", "GPE")]
    assert [w.code for w in doc.warnings] == ["ner-unavailable"]


def test_empty_text():
    doc = analysed("")
    assert doc.entities == ()


def test_source_id_from_overlapping_mention():
    text = "Russian President Vladimir Putin said the AK-12 was reliable."
    doc = segment.run(Document(text))
    mention = doc.span(0, len("Russian President Vladimir Putin"))
    doc = doc.evolve(sources=(Source("s1", mention.text, "named_person", (mention,), (), "Putin"),))
    out = entities.run(doc)
    by_text = {e.span.text: e for e in out.entities}
    assert by_text["Vladimir Putin"].source_id == "s1"
    assert by_text["Russian"].source_id is None
    assert by_text["AK-12"].source_id is None


# ----------------------------------------------------------------------------- evaluation

def test_equipment_evaluation_meets_targets():
    from sourcetrace.evaluate_equipment import evaluate_equipment, render_equipment

    result = evaluate_equipment(GOLD)
    assert result["records"] == 32 and result["gold_mentions"] == 261
    assert result["exact"]["f1"] >= 0.90
    assert result["overlap"]["f1"] >= result["exact"]["f1"]
    assert result["category_accuracy"]["exact_matched"] >= 0.90
    text = render_equipment(result)
    assert "exact" in text and "category accuracy" in text and "self_propelled_artillery" in text


def test_equipment_evaluation_with_extra_gazetteer(user_file, tmp_path):
    from sourcetrace.evaluate_equipment import evaluate_equipment

    gold = tmp_path / "gold.jsonl"
    text = "Drone pilots favour the Vampire heavy bomber drone."
    gold.write_text('{"id": "x", "text": "%s", "equipment": [{"start": 24, "end": 31, "text": "Vampire", '
                    '"category": "drone"}]}\n' % text, encoding="utf-8")
    assert evaluate_equipment(gold)["exact"]["recall"] == 0.0
    extra = user_file("surface\tcategory\nVampire\tdrone\n")
    result = evaluate_equipment(gold, extra_gazetteer=extra)
    assert result["exact"]["f1"] == 1.0 and result["category_accuracy"]["exact_matched"] == 1.0


# ----------------------------------------------------------------------------- NER over windows (speed)

def _whole_text_ner(doc: Document) -> list[tuple[int, int, str]]:
    """spaCy's NER over every chunk of the text, as the stage ran it before it ran only windows."""
    nlp, ner = entities.load_ner()
    starts = {s.start for s in doc.sentences}
    out = []
    for s, e in entities.chunks(doc):
        sdoc = nlp.make_doc(doc.text[s:e])
        for tok in sdoc:
            if tok.i > 0 and s + tok.idx in starts:
                tok.is_sent_start = True
        for ent in ner(sdoc).ents:
            out.append((s + ent.start_char, s + ent.end_char, ent.label_))
    return out


def test_ner_windows_hold_context_around_capitalised_words_only():
    filler = " ".join(["the weather stayed calm and nothing much happened that day"] * 6)
    text = f"{filler} officials in the old port said Kyiv would answer soon and then {filler}."
    doc = segment.run(Document(text))
    windows = entities.ner_windows(doc, 0, len(text))
    assert len(windows) == 1
    ws, we = windows[0]
    assert text[ws:we] == "officials in the old port said Kyiv would answer soon and then"
    assert entities.ner_windows(segment.run(Document(filler + ".")), 0, len(filler) + 1) == []


def test_a_sentence_opener_alone_brings_no_window_but_a_name_does():
    text = "The rain fell all night. The Pentagon said little. it rained."
    doc = segment.run(Document(text))
    (ws, we), = entities.ner_windows(doc, 0, len(text))
    assert ws == 0 and text[ws:we].startswith("The rain") and "Pentagon" in text[ws:we]
    assert entities.ner_windows(segment.run(Document("The rain fell. It stopped.")), 0, 26) == []


def test_ner_over_windows_gives_the_entities_of_whole_text_ner(seed_text, polnear_sample, monkeypatch):
    import json

    texts = [seed_text] + [json.loads(line)["text"] for line in polnear_sample.read_text().splitlines()[:8]]
    docs = [segment.run(Document(t)) for t in texts]
    windowed = [entities.find_entities(d) for d in docs]
    assert sum(len(e) for e in windowed) > 200
    monkeypatch.setattr(entities, "ner_spans", _whole_text_ner)
    assert [entities.find_entities(d) for d in docs] == windowed
