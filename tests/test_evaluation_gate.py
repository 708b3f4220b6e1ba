"""The evaluation gate: pinned score floors on a fixed part of PolNeAR dev (its first 20 articles).

Lowering a floor, or changing the gold file (its hash is pinned), is a deliberate, reviewed change.
Floors sit a little under the scores measured when they were set, so noise-free code changes pass
and real regressions fail. Full-dev figures are in README (`sourcetrace evaluate`).
"""

import hashlib

import pytest

from sourcetrace.evaluate import PRF, evaluate, match_overlap, read_gold, GoldQuote
from sourcetrace.document import Document, Quote

GOLD_SHA256 = "8513df41eb1908905bb57e2aea54d6976b3d7d1e6562dd72d25fd17e64dba002"

FLOORS = {
    ("direct", "overlap", "f1"): 0.80,
    ("direct", "exact", "f1"): 0.79,
    ("direct", "end_to_end", "f1"): 0.76,
    ("direct", "speaker_accuracy_lenient", None): 0.92,
    ("all", "overlap", "f1"): 0.63,
    ("all", "end_to_end", "f1"): 0.55,
    ("indirect", "overlap", "f1"): 0.46,
    ("mixed", "overlap", "f1"): 0.42,
}


@pytest.fixture(scope="module")
def result(polnear_sample):
    assert hashlib.sha256(polnear_sample.read_bytes()).hexdigest() == GOLD_SHA256, "gold sample changed"
    return evaluate(read_gold(polnear_sample))


@pytest.mark.parametrize("key, floor", FLOORS.items(), ids=lambda x: "-".join(filter(None, x)) if isinstance(x, tuple) else str(x))
def test_score_stays_above_its_floor(result, key, floor):
    kind, metric, field = key
    value = result["by_kind"][kind][metric]
    value = value[field] if field else value
    assert value >= floor, f"{kind} {metric} {field or ''} fell to {value:.3f} (floor {floor})"


def test_prf_is_built_by_keyword_and_computes_the_right_way_round():
    s = PRF(tp=3, fp=1, fn=5)
    assert (s.precision, s.recall) == (0.75, 0.375)
    assert round(s.f1, 4) == 0.5
    assert PRF(tp=0, fp=0, fn=0).f1 == 0.0


def test_overlap_matching_is_one_to_one_and_needs_half_the_longer_span():
    text = "alpha beta gamma delta epsilon zeta"
    doc = Document(text)
    gold = [GoldQuote(0, 16, "direct", None, None)]  # alpha beta gamma
    preds = [Quote("q1", "direct", doc.span(6, 16)), Quote("q2", "direct", doc.span(0, 10))]
    pairs = match_overlap(text, gold, preds)
    assert len(pairs) == 1  # both overlap 2/3 of the words, only one may match
    far = [Quote("q3", "direct", doc.span(11, 35))]  # gamma..zeta: 1 shared of 4
    assert match_overlap(text, gold, far) == []
