"""spans.Intervals: overlapping (start, end) pairs searched by bisect."""

from sourcetrace.spans import Intervals


def test_intervals_answer_like_a_scan_of_every_pair():
    pairs = [(0, 10), (2, 4), (12, 30), (15, 16), (40, 41)]
    index = Intervals(reversed(pairs))
    for pos in range(-1, 45):
        assert index.covers(pos) == any(s <= pos < e for s, e in pairs), pos
        assert index.first_start_from(pos) == min((s for s, _ in pairs if s >= pos), default=None), pos
        for end in range(pos, 46):
            assert sorted(index.overlapping(pos, end)) == sorted(p for p in pairs if p[0] < end and p[1] > pos)
            assert index.any_starting_in(pos, end) == any(pos <= s < end for s, _ in pairs)
