"""Sourcing signals: vague attributions and unattributed claims.

requires: sentences, paragraphs, quotes, sources
assigns:  vague_attributions, unattributed_claims

Vague attributions are the mentions of sources typed `vague` ("some analysts", "others",
"critics"), plural unnamed officials with no number ("Western officials"), and impersonal
phrases with no source at all ("it is widely believed", "there are reports", "reportedly"),
which get no cue.

An unattributed claim is a sentence in the author's own voice that asserts something checkable:
- not a question, not inside or mostly covered by a quote or an attribution's content, and with
  no attribution cue of its own (a sentence whose main act is a source speaking is attributed);
- holding a number, a name past its first word, or a claim marker (a cause, an inference, an
  intention, an event verb: see lexicons/claim_markers.txt).
`reason` says which of these made it a claim; `carried_from` is the nearest attribution before
it in the same or the previous paragraph, which the sentence may be leaning on.
"""

from __future__ import annotations

import bisect
import functools
import re

from ..document import Claim, Document, Span, VagueAttribution
from ..lexicons import words
from ..spans import Intervals, SpanIndex

NAME = "signals"
REQUIRES = ("sentences", "paragraphs", "quotes", "sources")
ASSIGNS = ("vague_attributions", "unattributed_claims")

MIN_WORDS = 6  # shorter sentences are headlines, datelines or fragments, not claims
_WORD = re.compile(r"[\w][\w'’\-]*")
_NUMBER = re.compile(r"\d")
_QUANTITY = re.compile(r"^(?:\d|one|two|three|four|five|six|seven|eight|nine|ten|a|an|the|two)$", re.I)


@functools.lru_cache(maxsize=None)
def _impersonal_pattern() -> re.Pattern[str]:
    phrases = sorted(words("impersonal_attributions"), key=lambda e: (-len(e), e))
    return re.compile(r"(?<![\w])(?:" + "|".join(re.escape(p) for p in phrases) + r")(?![\w])", re.IGNORECASE)


def _impersonal(doc: Document) -> list[VagueAttribution]:
    return [VagueAttribution(doc.span(m.start(), m.end()), None, None)
            for m in _impersonal_pattern().finditer(doc.text)]


def _is_unnumbered_official_group(text: str) -> bool:
    toks = _WORD.findall(text)
    if len(toks) < 1 or not toks[-1].lower().endswith("s"):
        return False
    head = toks[-1].lower()
    return head in ("officials", "diplomats", "sources") and not _QUANTITY.match(toks[0])


_QUANTIFIED_GROUP = None


def _group_pattern() -> re.Pattern[str]:
    """'Some analysts', 'Many security experts', 'Human rights monitors', 'Others': group phrases
    found without a parse, for groups whose verb is in no lexicon ('Many observers read ...')."""
    global _QUANTIFIED_GROUP
    if _QUANTIFIED_GROUP is None:
        quant = "|".join(sorted(words("vague_quantifiers"), key=lambda e: (-len(e), e)))
        nouns = "|".join(sorted(words("group_nouns"), key=lambda e: (-len(e), e)))
        _QUANTIFIED_GROUP = re.compile(
            rf"\b(?:(?:{quant})\s+(?:[\w-]+\s+){{0,3}}?(?:{nouns})\b(?:\s+on\s+social\s+media)?"
            rf"|(?<=[.!?]\s)(?:Others|Critics|Observers|Experts|Analysts)\b|^(?:Others|Critics|Observers|Experts|Analysts)\b)",
            re.IGNORECASE | re.MULTILINE)
    return _QUANTIFIED_GROUP


_CUE_AFTER = re.compile(r"\s+((?:have\s+|had\s+|also\s+|privately\s+)?[a-z]+(?:s|ed)?)\b")


def _group_phrases(doc: Document) -> list[VagueAttribution]:
    out = []
    for m in _group_pattern().finditer(doc.text):
        if m.group()[:1].islower() and m.start() > 0 and doc.text[m.start() - 1] not in " \n(\"“‘":
            continue
        cue = None
        c = _CUE_AFTER.match(doc.text, m.end())
        if c and c.group(1).split()[-1] not in ("of", "in", "and", "or", "who", "that", "to", "from", "at", "with"):
            cue = doc.span(c.start(1), c.end(1))
        out.append(VagueAttribution(doc.span(m.start(), m.end()), cue, None))
    return out


def vague_attributions(doc: Document) -> list[VagueAttribution]:
    cue_of = {q.id: q.cue for q in doc.quotes}
    out: list[VagueAttribution] = []
    for source in doc.sources:
        group = source.type == "vague" or (
            source.type == "unnamed_official" and _is_unnumbered_official_group(source.name))
        if not group:
            continue
        cue = next((cue_of[q] for q in source.quote_ids if cue_of.get(q) is not None), None)
        for mention in source.mentions:
            if mention.text.lower() not in words("speaker_pronouns"):
                out.append(VagueAttribution(mention, cue, source.id))
    for v in _group_phrases(doc) + _impersonal(doc):
        if not any(x.span.overlaps(v.span) for x in out):
            out.append(v)
    return sorted(out, key=lambda v: v.span.start)


def _covered(sentence: Span, spans: Intervals) -> int:
    return sum(min(sentence.end, e) - max(sentence.start, s)
               for s, e in spans.overlapping(sentence.start, sentence.end))


def _claim_reason(doc: Document, sentence: Span) -> str | None:
    toks = _WORD.findall(sentence.text)
    if len(toks) < MIN_WORDS:
        return None
    reasons = []
    if _NUMBER.search(sentence.text):
        reasons.append("number")
    if any(t[:1].isupper() for t in toks[1:]):
        reasons.append("names")
    markers = [t.lower() for t in toks if t.lower() in words("claim_markers")]
    if markers:
        reasons.append(f"asserts ({markers[0]})")
    return ", ".join(reasons) if reasons else None


def unattributed_claims(doc: Document) -> list[Claim]:
    contents = Intervals((q.span.start, q.span.end) for q in doc.quotes)
    cues = Intervals([(q.cue.start, q.cue.end) for q in doc.quotes if q.cue is not None] + [
        (m.start, m.end) for s in doc.sources for m in s.mentions])
    paras = SpanIndex(doc.paragraphs)
    reported = sorted((q for q in doc.quotes if q.kind != "direct"), key=lambda q: q.span.start)
    reported_starts = [q.span.start for q in reported]
    out = []
    for sentence in doc.sentences:
        text = sentence.text.rstrip()
        if not text or text.endswith("?") or text.rstrip("”’\"'").endswith("?"):
            continue
        if _covered(sentence, contents) * 2 >= len(sentence.text):
            continue
        if cues.any_starting_in(sentence.start, sentence.end):
            continue  # the sentence carries an attribution of its own
        reason = _claim_reason(doc, sentence)
        if reason is None:
            continue
        out.append(Claim(sentence, reason, _carried_from(sentence, reported, reported_starts, paras)))
    return out


CARRY_PARAGRAPHS = 2  # how far back a reported attribution may still be carrying a claim


def _carried_from(sentence: Span, reported, reported_starts: list[int], paras: SpanIndex) -> str | None:
    """The nearest reported (not directly quoted) attribution ending before the sentence, within
    CARRY_PARAGRAPHS paragraphs: the source the author may be relaying without saying so.
    `reported` is sorted by start; `reported_starts` holds their starts."""
    here = paras.index_at(sentence.start)
    if here is None:
        return None
    i = bisect.bisect_left(reported_starts, sentence.start) - 1
    while i >= 0 and reported[i].span.end > sentence.start:
        i -= 1
    if i < 0:
        return None
    where = paras.index_at(reported[i].span.start)
    return reported[i].id if where is not None and here - where <= CARRY_PARAGRAPHS else None


def run(doc: Document) -> Document:
    return doc.evolve(vague_attributions=tuple(vague_attributions(doc)),
                      unattributed_claims=tuple(unattributed_claims(doc)))
