"""Speaker mentions -> sources: coreference and source typing.

requires: quotes (with speakers), sentences
assigns:  sources, quotes (source_id)

Coreference is rule-based (no coreference model can be installed here):
- the same mention text, or a surname / honorific form of a known name ("Putin", "Mr. Kim"),
  joins that source;
- a definite description ("the general", "the ministry", "the channel") joins the most recent
  source whose mention holds that head word;
- a pronoun joins the most recent compatible source (he/she: a person; it: an organisation,
  outlet, channel or document; they: any);
- anything else starts a new source. A source's `name` is its fullest mention.
Typing reads the lexicons (anonymity phrases, outlets, platforms, role and document nouns) and
records the words that decided in `evidence`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..document import Anonymity, Document, Quote, Source, Span
from ..lexicons import table, words
from ..spans import SpanIndex

NAME = "sources"
REQUIRES = ("quotes", "sentences")
ASSIGNS = ("sources", "quotes")

PERSON_TYPES = {"named_person", "unnamed_person", "anonymous", "unnamed_official", "unnamed_expert"}
THING_TYPES = {"organization", "media_outlet", "state_media", "social_media", "document"}

_WORD = re.compile(r"[\w][\w'’.\-]*")


@dataclass
class _Source:
    type: str
    evidence: str
    mentions: list[Span] = field(default_factory=list)
    quote_ids: list[str] = field(default_factory=list)
    anonymity: Anonymity | None = None

    @property
    def name(self) -> str:
        named = [m.text for m in self.mentions if m.text.lower() not in words("speaker_pronouns")]
        return max(named, key=len) if named else self.mentions[0].text

    @property
    def last(self) -> int:
        return self.mentions[-1].start


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text)


def _phrase_in(phrase: str, text_lower: str) -> bool:
    return re.search(r"(?<![\w])" + re.escape(phrase) + r"(?![\w])", text_lower) is not None


def _first_phrase(entries, text_lower: str) -> str | None:
    for entry in sorted(entries, key=len, reverse=True):
        if _phrase_in(entry, text_lower):
            return entry
    return None


def _head_word(mention: str) -> str:
    """The head noun of a mention: the last word before a post-modifier."""
    toks = _tokens(mention)
    for i, t in enumerate(toks):
        if t.lower() in words("speaker_modifiers") and i > 0:
            return toks[i - 1]
    return toks[-1] if toks else mention


def _is_capitalized_name(word: str) -> bool:
    return word[:1].isupper() and not word.isupper() and word.lower() not in words("org_words")


def _outlet(text_lower: str) -> dict[str, str] | None:
    best = None
    for row in table("outlets"):
        if _phrase_in(row["name"].lower(), text_lower) and (best is None or len(row["name"]) > len(best["name"])):
            best = row
    return best


def _anonymity_reason(doc: Document, after: Span) -> Span | None:
    low = after.text.lower()
    cue = _first_phrase(words("anonymity_reasons"), low)
    if cue is None:
        return None
    m = re.search(r"(?<![\w])" + re.escape(cue) + r"(?![\w])", low)
    start = after.start + m.start()
    end = start
    while end < after.end and doc.text[end] not in ".;\n":
        end += 1
    return doc.span(start, end)


def type_of(doc: Document, mention: Span, phrase: Span, after: Span) -> tuple[str, str, Anonymity | None]:
    """(type, evidence, anonymity) for a non-pronoun speaker mention."""
    low = phrase.text.lower()
    context = (phrase.text + " " + after.text).lower()
    head = _head_word(mention.text)
    head_low = head.lower()
    anon = _first_phrase(words("anonymity"), context)
    if anon and (anon not in ("source", "sources", "a source") or head_low in ("source", "sources")):
        reason = _anonymity_reason(doc, after) or _anonymity_reason(doc, phrase)
        return "anonymous", anon, Anonymity(reason is not None, reason)
    outlet = _outlet(low)
    if outlet and outlet["state"] == "1":
        return "state_media", outlet["name"], None
    platform = _first_phrase(words("platforms"), low)
    if platform:
        return "social_media", platform, None
    if outlet:
        return "media_outlet", outlet["name"], None
    if head_low in words("document_nouns"):
        return "document", head, None
    toks = _tokens(mention.text)
    first = toks[0].lower() if toks else ""
    if head_low in words("vague_groups") or (first in ("some", "many", "several", "most") and head_low.endswith("s")):
        return "vague", mention.text, None
    named = _is_capitalized_name(head) and head_low not in words("official_nouns")
    if not named and head_low in words("expert_nouns"):
        return "unnamed_expert", head, None
    if not named and (head_low in words("official_nouns") or _first_phrase(words("official_nouns"), low)):
        role = head if head_low in words("official_nouns") else _first_phrase(words("official_nouns"), low)
        return "unnamed_official", role, None
    org = _first_phrase(words("org_words"), low)
    if org and (not named or _first_phrase(words("org_words"), head_low)):
        return "organization", org, None
    if head_low in words("person_nouns"):
        return "unnamed_person", head, None
    if named:
        return "named_person", head, None
    if head.isupper() and len(head) > 1:
        return "organization", head, None
    return "unknown", "", None


def _surname_key(text: str) -> str:
    toks = [t for t in _tokens(text) if t.lower() not in words("honorifics")]
    return toks[-1].lower().rstrip(".’'s") if toks else ""


def _singular(word: str) -> str:
    w = word.lower()
    return w[:-1] if w.endswith("s") and not w.endswith("ss") and len(w) > 3 else w


def _find_antecedent(sources: list[_Source], pronoun: str, before: int) -> _Source | None:
    pron = pronoun.lower()
    earlier = [s for s in sources if s.mentions[0].start < before]
    for src in sorted(earlier, key=lambda s: max(m.start for m in s.mentions if m.start < before), reverse=True):
        if pron in ("he", "she", "i", "we") and src.type in PERSON_TYPES:
            return src
        if pron == "it" and src.type in THING_TYPES:
            return src
        if pron == "they":
            return src
    return None


def _match_existing(sources: list[_Source], mention: Span) -> _Source | None:
    low = mention.text.lower()
    for src in reversed(sources):
        if any(m.text.lower() == low for m in src.mentions):
            return src
    toks = _tokens(mention.text)
    if toks and toks[0].lower() in ("the", "this", "that") and len(toks) <= 3:
        # "the general", "the ministry", "the same report": the latest source with that head word.
        head = _singular(toks[-1])
        for src in sorted(sources, key=lambda s: s.last, reverse=True):
            if any(head in {_singular(w) for w in _tokens(m.text)} for m in src.mentions):
                return src
    if toks and _is_capitalized_name(toks[-1]):
        key = _surname_key(mention.text)
        for src in sorted(sources, key=lambda s: s.last, reverse=True):
            if src.type == "named_person" and any(_surname_key(m.text) == key for m in src.mentions):
                return src
    return None


_PERSON_NAME = re.compile(r"\b[A-Z][a-z]+(?:[ \u00a0](?:[A-Z]\.|[A-Z][a-z]+|[A-Z][a-z]+-[A-Z][a-z]+)){1,3}\b")
ANTECEDENT_WINDOW = 600  # characters searched back for a name when a pronoun has no source yet


def _name_before(doc: Document, sources: list[_Source], pronoun: Span) -> _Source | None:
    """For he/she with no earlier source: the nearest person-like name before the pronoun."""
    if pronoun.text.lower() not in ("he", "she"):
        return None
    start = max(0, pronoun.start - ANTECEDENT_WINDOW)
    for m in reversed(list(_PERSON_NAME.finditer(doc.text, start, pronoun.start))):
        toks = m.group().split()
        if any(t.lower() in words("org_words") for t in toks):
            continue
        name = doc.span(m.start(), m.end())
        existing = _match_existing(sources, name)
        if existing is not None:
            return existing
        src = _Source("named_person", toks[-1], mentions=[name])
        sources.append(src)
        return src
    return None


def _after(doc: Document, sents: SpanIndex, mention: Span) -> Span:
    sent = sents.at(mention.start)
    end = min(sent.end if sent else len(doc.text), mention.end + 120)
    return doc.span(mention.end, max(end, mention.end))


def run(doc: Document) -> Document:
    sents = SpanIndex(doc.sentences)
    sources: list[_Source] = []
    by_span: dict[tuple[int, int], _Source] = {}
    assigned: list[tuple[Quote, _Source | None]] = []
    for quote in doc.quotes:
        sp = quote.speaker
        if sp is None:
            assigned.append((quote, None))
            continue
        key = (sp.start, sp.end)
        src = by_span.get(key)
        if src is None:
            if sp.text.lower() in words("speaker_pronouns"):
                src = _find_antecedent(sources, sp.text, sp.start)
                if src is None:
                    src = _name_before(doc, sources, sp)
                if src is None:
                    src = _Source("unknown", f"unresolved pronoun {sp.text!r}")
                    sources.append(src)
            else:
                src = _match_existing(sources, sp)
                if src is None:
                    phrase = quote.speaker_phrase or sp
                    kind, evidence, anonymity = type_of(doc, sp, phrase, _after(doc, sents, sp))
                    src = _Source(kind, evidence, anonymity=anonymity)
                    sources.append(src)
            src.mentions.append(sp)
            by_span[key] = src
        src.quote_ids.append(quote.id)
        assigned.append((quote, src))
    ordered = sorted(sources, key=lambda s: min(m.start for m in s.mentions))
    ids = {id(s): f"s{i + 1}" for i, s in enumerate(ordered)}
    out_sources = tuple(
        Source(
            id=ids[id(s)],
            name=s.name,
            type=s.type,
            mentions=tuple(sorted(s.mentions, key=lambda m: m.start)),
            quote_ids=tuple(s.quote_ids),
            evidence=s.evidence,
            anonymity=s.anonymity,
        )
        for s in ordered
    )
    quotes = tuple(replace(q, source_id=ids[id(s)] if s is not None else None) for q, s in assigned)
    return doc.evolve(sources=out_sources, quotes=quotes)
