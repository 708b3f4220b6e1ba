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

import functools
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


@functools.lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])" + re.escape(phrase) + r"(?![\w])")


def _phrase_in(phrase: str, text_lower: str) -> bool:
    return _phrase_pattern(phrase).search(text_lower) is not None


def _first_phrase(entries, text_lower: str) -> str | None:
    for entry in sorted(entries, key=lambda e: (-len(e), e)):
        if _phrase_in(entry, text_lower):
            return entry
    return None


_CUT_WORDS = {"to", "at", "in", "for", "from", "with", "on", "by", "about", "who", "which", "that", "privy",
              "close", "familiar", "under", "specializing", "specialising", "interviewed", "based", "working",
              "released", "issued", "published", "signed", "posted", "sent", "carried", "seen", "obtained"}
_AGENT = re.compile(r"\b(?:from|by|of)\s+(.+)$", re.IGNORECASE)


def _core(mention: str) -> list[str]:
    """The words of a mention up to its first comma or post-modifier: 'Victor Cha, a Korea
    scholar' -> Victor Cha; 'a source close to the army' -> a source. 'of' cuts only before a
    lower-case word, so 'Secretary of State John Kerry' and 'Ministry of Defence' stay whole."""
    head_part = re.split(r",|\(|—|–", mention, maxsplit=1)[0]
    toks = _tokens(head_part)
    core: list[str] = []
    for i, t in enumerate(toks):
        low = t.lower()
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if core and (low in _CUT_WORDS or (low == "of" and not nxt[:1].isupper())):
            break
        core.append(t)
    return core or toks or [mention]


def _is_name_word(word: str) -> bool:
    return word[:1].isupper() and not word.isupper() and word.lower() not in words("org_words")


def _looks_like_person_name(core: list[str]) -> bool:
    """Two or more capitalised words ending the core, not an organisation or a place:
    'Vladimir Putin', 'Mr. Kim', 'White House press secretary Josh Earnest'."""
    if not core:
        return False
    caps = []
    for t in reversed(core):
        if t[:1].isupper():
            caps.append(t)
        else:
            break
    caps.reverse()
    if core[0].lower() == "the" or any(t.lower() in words("org_words") for t in caps):
        return False
    if " ".join(caps).lower() in words("places"):
        return False
    honorific = len(core) >= 2 and core[-2].lower().rstrip(".") in {h.rstrip(".") for h in words("honorifics")}
    return (len(caps) >= 2 and all(_is_name_word(t) or t.endswith(".") for t in caps)) or (
        honorific and _is_name_word(core[-1]))


def _apposed_name(mention: str) -> bool:
    """'Another RT America host, Abby Martin': a person's name after the comma."""
    parts = mention.split(",", 1)
    if len(parts) < 2:
        return False
    return _looks_like_person_name(_tokens(parts[1]))


def _is_capitalized_name(word: str) -> bool:
    return _is_name_word(word)


def _outlet(text_lower: str) -> dict[str, str] | None:
    best = None
    for row in table("outlets"):
        if _phrase_in(row["name"].lower(), text_lower) and (best is None or len(row["name"]) > len(best["name"])):
            best = row
    return best


_STATE_MEDIA = re.compile(
    r"\bstate[- ](?:run |controlled |owned |affiliated )?(?:news )?(?:media|television|tv|news agency|"
    r"agency|broadcaster|newspaper|outlets?)\b")


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


def _singular(word: str) -> str:
    w = word.lower()
    return w[:-1] if w.endswith("s") and not w.endswith("ss") and len(w) > 3 else w


def _in(word: str, name: str) -> bool:
    return word.lower() in words(name) or _singular(word) in words(name)


def type_of(doc: Document, mention: Span, phrase: Span, after: Span) -> tuple[str, str, Anonymity | None]:
    """(type, evidence, anonymity) for a non-pronoun speaker mention, decided in this order:
    anonymity, document, state media, person name, platform, outlet, vague group, expert,
    official, organisation, ordinary person, capitalised name."""
    text = phrase.text if phrase.text else mention.text
    low = text.lower()
    core = _core(mention.text)
    head = core[-1]
    head_low = head.lower()
    first = core[0].lower()
    core_low = " ".join(core).lower()
    near_after = after.text[:90].lower()

    anon = _first_phrase(words("anonymity"), " ".join(_tokens(low))) if head_low not in words("org_words") else None
    if anon in ("source", "sources", "a source") and head_low not in ("source", "sources"):
        anon = None
    anon = anon or _first_phrase(words("anonymity_context"), near_after)
    if anon:
        reason = _anonymity_reason(doc, after) or _anonymity_reason(doc, phrase)
        return "anonymous", anon, Anonymity(reason is not None, reason)
    if _in(head, "document_nouns") and head[:1].islower():
        # "reports from the Telegram channel X": a channel's reports are its posts, so the channel
        # is the source; "a statement released by the ministry" stays a document (its author is
        # in the name and the evidence).
        agent = _AGENT.search(mention.text[len(" ".join(core[:-1])):])
        if agent:
            start = mention.start + mention.text.rfind(agent.group(1))
            author = doc.span(start, mention.end)
            kind, evidence, anonymity = type_of(doc, author, author, after)
            if kind == "social_media":
                return kind, f"{head} from {author.text} ({evidence})", anonymity
            if kind not in ("unknown", "document"):
                return "document", f"{head} from {author.text} ({kind})", None
        return "document", head, None
    counted = first in ("hundreds", "dozens", "thousands", "millions", "scores") or first[:1].isdigit()
    bare_plural = (head_low in words("group_nouns") and not counted
                   and (first in words("vague_quantifiers") or first == head_low or core[0][:1].isupper()
                        and first not in ("the", "these", "those", "his", "her", "their", "its")))
    if first in words("vague_quantifiers") and head_low.endswith("s") or bare_plural and head_low not in ("officials", "diplomats"):
        return "vague", mention.text, None  # "Many Lebanese", "Economists", "Pro-war Russian bloggers"
    if _apposed_name(mention.text):
        return "named_person", mention.text.split(",", 1)[1].strip(), None
    outlet = _outlet(core_low) or (None if _looks_like_person_name(core) else _outlet(low))
    if (outlet and outlet["state"] == "1") or _STATE_MEDIA.search(low):
        return "state_media", outlet["name"] if outlet and outlet["state"] == "1" else _STATE_MEDIA.search(low).group(), None
    if outlet and _outlet(core_low):
        return "media_outlet", outlet["name"], None
    if _looks_like_person_name(core):
        return "named_person", " ".join(core), None
    if core_low in words("platforms"):
        return "organization", head, None  # "Twitter said in a statement": the company
    if re.search(r"\bchannel \d+", low):
        return "media_outlet", "channel", None
    if outlet:
        return "media_outlet", outlet["name"], None
    media = _first_phrase(words("media_nouns"), low)
    platform = _first_phrase(words("platforms"), low)
    if platform and not (platform in ("post", "posts", "page") and media):
        return "social_media", platform, None
    if media:
        return "media_outlet", media, None
    plural = head_low.endswith("s") and not head_low.endswith("ss") and not head[:1].isupper()
    if head_low in words("vague_groups") or (plural and first in words("vague_quantifiers")) or (
        plural and _in(head, "expert_nouns")):
        return "vague", mention.text, None
    if _in(head, "expert_nouns"):
        return "unnamed_expert", head, None
    if _in(head, "official_nouns"):
        return "unnamed_official", head, None
    org = _first_phrase(words("org_words"), core_low)
    if org or core_low in words("places") or (first == "the" and len(core) > 1 and core[1][:1].isupper()):
        return "organization", org or " ".join(core), None
    if _first_phrase(words("official_nouns"), core_low):
        return "unnamed_official", _first_phrase(words("official_nouns"), core_low), None
    if _in(head, "person_nouns"):
        return "unnamed_person", head, None
    if plural:
        return "vague", mention.text, None  # "Chinese traders": a group with no one named
    if _is_name_word(head):
        return "named_person", head, None
    if head.isupper() and len(head) > 1:
        return "organization", head, None
    return "unknown", "", None


def _surname_key(text: str) -> str:
    toks = [t for t in _tokens(text) if t.lower() not in words("honorifics")]
    return toks[-1].lower().rstrip(".’'s") if toks else ""


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


DESCRIPTION_WINDOW = 1500  # characters searched back for the antecedent of "the general"


def _description_antecedent(doc: Document, mention: Span) -> Span | None:
    """For a definite description ("the general", "the ministry") that names no earlier source:
    the nearest earlier noun phrase with that head ("a senior DPRK general", "the DPRK’s
    Ministry of Foreign Affairs"), which becomes the source's first and fullest mention."""
    toks = _tokens(mention.text)
    if not toks or toks[0].lower() not in ("the", "this") or len(toks) > 3:
        return None
    head = toks[-1]
    start = max(0, mention.start - DESCRIPTION_WINDOW)
    pattern = re.compile(
        r"\b(?:[Aa]n?|[Tt]he|[A-Z][\w’'.-]*’s|[A-Z][\w'.-]*'s)\s+(?:[\w’'.-]+\s+){0,4}?(?i:" + re.escape(head)
        + r")(?:\s+of(?:\s+[A-Z][\w’'-]*){1,4})?")
    found = None
    for m in pattern.finditer(doc.text, start, mention.start):
        if m.end() <= mention.start and m.group().lower() != mention.text.lower():
            found = m
    if found is None:
        return None
    end = found.end()
    while end > found.start() and doc.text[end - 1].isspace():
        end -= 1
    return doc.span(found.start(), end)


def context_after(doc: Document, mention: Span) -> Span:
    """The rest of the mention's sentence (at most 120 characters): anonymity often shows there."""
    sents = SpanIndex(doc.sentences)
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
                    antecedent = _description_antecedent(doc, sp)
                    first = antecedent or sp
                    phrase = antecedent or quote.speaker_phrase or sp
                    kind, evidence, anonymity = type_of(doc, first, phrase, context_after(doc, first))
                    src = _Source(kind, evidence, anonymity=anonymity)
                    if antecedent is not None:
                        src.mentions.append(antecedent)
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
