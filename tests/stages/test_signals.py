"""Vague attributions, unattributed claims and the profile."""

import hashlib
from pathlib import Path

import pytest

from sourcetrace.evaluate_quoted import evaluate_quoted
from sourcetrace.evaluate_signals import evaluate_signals

GOLD = Path(__file__).resolve().parents[2] / "eval" / "gold"


def test_vague_groups_with_and_without_a_cue(analyze):
    doc = analyze("Some analysts warn of risks. Others argue the deal is sound. It is widely believed that "
                  "the talks failed. Many observers read the move as a signal.")
    found = [(v.span.text, v.cue.text if v.cue else None) for v in doc.vague_attributions]
    assert ("Some analysts", "warn") in found
    assert ("Others", "argue") in found
    assert ("It is widely believed", None) in found
    assert ("Many observers", "read") in found


def test_specific_unnamed_people_are_not_vague(analyze):
    doc = analyze('"We are ready," a military analyst said. Two Western officials said the talks stalled.')
    assert doc.vague_attributions == ()


def test_unattributed_claim_is_a_checkable_sentence_in_the_authors_voice(analyze):
    text = ("Russian forces lost 40 tanks near Avdiivka last week. "
            "The general said the losses were exaggerated. "
            "Why does this matter? "
            "“We will fight on,” he said.")
    claims = [c.span.text for c in analyze(text).unattributed_claims]
    assert claims == ["Russian forces lost 40 tanks near Avdiivka last week."]


def test_claim_names_the_attribution_it_may_lean_on(analyze):
    text = ("According to the Telegram channel Rybar, the brigade was moved to Kursk.\n"
            "The unit was equipped with 30 new T-90M tanks.")
    doc = analyze(text)
    (claim,) = doc.unattributed_claims
    (attribution,) = doc.quotes
    assert claim.carried_from == attribution.id


def test_seed_signals(seed_doc):
    vague = {v.span.text for v in seed_doc.vague_attributions}
    assert vague == {"some analysts", "others"}
    claims = [c.span.text for c in seed_doc.unattributed_claims]
    assert any(c.startswith("This equipment, sourced from Russian military stocks") for c in claims)
    assert any(c.startswith("Additionally, they were equipped with Aappi-7") for c in claims)
    # the equipment paragraph's claims lean on the channel's report
    channel = next(s for s in seed_doc.sources if s.type == "social_media")
    carried = {c.span.text[:20]: c.carried_from for c in seed_doc.unattributed_claims}
    quote_source = {q.id: q.source_id for q in seed_doc.quotes}
    assert quote_source[carried["This equipment, sour"]] == channel.id
    assert quote_source[carried["Additionally, they w"]] == channel.id


def test_profile_counts(seed_doc):
    p = seed_doc.profile
    assert p["sources"] == len(seed_doc.sources) and p["quotes"] == len(seed_doc.quotes)
    assert p["sources_by_type"]["anonymous"] == 2 and p["anonymous_without_reason"] == 2
    assert p["scare_quotes"] == 1 and p["vague_attributions"] == 2
    assert p["unattributed_claims"] == len(seed_doc.unattributed_claims)
    assert 0 < p["quoted_word_share"]["anonymous"] < 1


def test_signal_gates_on_our_gold():
    """Floors on eval/gold/signals.jsonl and quoted_terms.jsonl (hashes pinned)."""
    assert hashlib.sha256((GOLD / "signals.jsonl").read_bytes()).hexdigest() == "87cd908b4ea24fc1aafc648d099776d2404e952aedbcc2bc1ffdaf89ed6d6c08"
    result = evaluate_signals(GOLD / "signals.jsonl")
    assert result["vague_attributions"]["f1"] >= 0.88
    assert result["unattributed_claims"]["f1"] >= 0.80
    assert hashlib.sha256((GOLD / "quoted_terms.jsonl").read_bytes()).hexdigest() == "9734a6c7b9b4d99ac21545490fddfaf292db78e6ca3c982768cdb7211c09047c"
    # in-sample for the learned quote-function classifier (this file is part of its training data;
    # 0.980 measured, the model keeps every feature seen once)
    assert evaluate_quoted(GOLD / "quoted_terms.jsonl")["macro_f1"] >= 0.90


def test_quoted_function_gate_on_the_spent_heldout_sets():
    """quoted_terms_heldout.jsonl to quoted_terms_heldout4.jsonl were scored (0.871 after five
    rounds; 0.794, 0.826 and 0.876 once, blind) and are training data now: in-sample floors
    (0.988-1.000 measured in session 6)."""
    for name, digest in (("quoted_terms_heldout.jsonl", "aca4e714e695b00bb6645e37468021076649cdfc846f73e648528d12c269663f"),
                         ("quoted_terms_heldout2.jsonl", "d9c971e938526c91c994f2115517e885993c73a4fcbde8b168395b85fc2b5499"),
                         ("quoted_terms_heldout3.jsonl", "17389fde41d7bb1e3f2e05c19519be1fe9ee2c47605d96f906eeaad1f1642436"),
                         ("quoted_terms_heldout4.jsonl", "dc617de43546028f1c6d2588b7ad5f6e24af38123d725f1a19c374fe200fb673")):
        assert hashlib.sha256((GOLD / name).read_bytes()).hexdigest() == digest
        assert evaluate_quoted(GOLD / name)["macro_f1"] >= 0.90


@pytest.mark.parametrize("name, digest, macro, per_class", [
    # scored once each, in session 6, by the model chosen on blocked CV alone: 0.913 (quotation
    # 0.895, name 0.951, scare 0.861, mention 0.946) and 0.977 (0.980, 0.980, 0.990, 0.960)
    ("quoted_terms_heldout5.jsonl", "cf20ca852cc76dd8eb471183cf2220bf8b765edb919d9ef39f5f487aaf56bfa2", 0.90, 0.84),
    ("quoted_terms_heldout6.jsonl", "c890e104f9b2893ff7857c624408a25d0d6ef955badfd1ed7b44132a37d7df40", 0.96, 0.94),
])
def test_quoted_function_gate_on_the_blind_heldout_sets(name, digest, macro, per_class):
    """Floors just under the blind measurements (see docs/evaluation.md for how much easier these
    two sets are than heldout4)."""
    heldout = GOLD / name
    assert hashlib.sha256(heldout.read_bytes()).hexdigest() == digest
    result = evaluate_quoted(heldout)
    assert result["macro_f1"] >= macro
    assert all(result["per_class"][f]["f1"] >= per_class for f in ("quotation", "name", "scare", "mention"))
