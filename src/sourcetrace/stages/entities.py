"""Named entities and military equipment.

requires: sentences, sources (read only for `source_id`)
assigns:  entities

Names (PERSON, ORG, GPE, LOC, NORP) come from spaCy's NER component run alone (no tagger, parser
or lemmatizer: `load_ner`), in chunks of at most CHUNK_CHARS characters cut at paragraph breaks
(sentence breaks, whitespace for longer runs), with our sentence boundaries passed in so no entity
crosses one. Within a chunk only the words around capitalised words are run through it
(`ner_windows`): a name needs a capital letter, and words further away do not change what it finds.
spaCy's FAC is reported as LOC; DATE, CARDINAL, PRODUCT and the other labels are dropped. Spans
lose a leading "the", quote marks, a possessive ’s and trailing numbers. The lexicon
`entity_fixes.tsv` corrects the small model where it fails in this domain ("Kursk Oblast" GPE as one
span, "Kyiv" GPE not PERSON, "KPA" ORG, "DPRK" GPE, Telegram channel names ORG).

EQUIPMENT mentions carry a category (the list in docs/equipment.md) and come from:
- the gazetteer `equipment.tsv`, plus rows from a user file (`load_gazetteer(extra_path)`,
  `configure(equipment_file=...)`), compiled once per process into a dictionary keyed by first word:
  one pass over the words, longest surface first, linear in the text length. Surfaces keep their
  case (one with a digit or hyphen also matches in another case: "SU-25"); a plural "s"/"es" joins the span
  ("F-16s", "KABs"); a lower-case hyphenated tail is left out ("HIMARS-launched" -> HIMARS).
- unseen model designations, by shape (letters and digits: Su-57M, Kub-2, M242, 2S40) and context:
  a context noun right after ("the new Su-57M fighter", "Lancet-3M loitering munitions") or right
  before ("the drone Kub-2") gives the category (`equipment_context.tsv`); a designation that
  extends a gazetteer entry ("T-72B3M" <- "T-72B3", "Su-57M" <- "Su-57") or belongs to a gazetteer
  prefix family with one category ("T-34" <- T-62, T-72, T-80...) takes that category, and may refine
  a generic noun's ("Kub-2 drones" -> loitering_munition, family KUB-BLA).
- series names with a model number the gazetteer lacks: the first word of multi-word surfaces that
  share a category ("Leopard 2A7", "Project 22350", "Mavic 3T").
- a designation's own tail: "Obr. 2016" ("T-72B3 Obr. 2016" is one mention, not a year) and a
  capitalised name word ("BMP-2M Berezhok", "M242 Bushmaster").
- named ships after a ship noun: "the patrol ship Sergei Kotov", "a Kilo-class submarine, the
  Rostov-on-Don".
Gazetteer surfaces are weighed by how ambiguous they are: designations (a digit), multi-word and
hyphenated names and long acronyms are always taken; other single names (Kalibr, Lancet) need other
equipment within REACH characters (an article's worth) or a military noun in their sentence; short
acronyms and the surfaces listed `ambiguous` in equipment_context.tsv (Patriot, Archer, Abrams, PKM,
KAB...) need a fitting context noun next to them, other equipment in their sentence (the neighbouring
sentences too for short acronyms), or the same surface confirmed nearby, and never count inside a
longer person or place name ("Stacey Abrams"), after a title ("General Caesar") or before a speech
verb ("Abrams said"). See docs/equipment.md.

Overlaps: equipment wins over names; a longer equipment span wins over a shorter one.
`source_id`: inside each mention of a source in `doc.sources`, the name (PERSON, ORG or GPE) that
ends last gets that source's id ("Vladimir Putin" in "Russian President Vladimir Putin"); every
other entity keeps None.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from .. import nlp as nlp_module
from ..document import Document, Entity
from ..lexicons import table, verb_forms, words
from ..spans import SpanIndex

NAME = "entities"
REQUIRES = ("sentences", "sources")
ASSIGNS = ("entities",)

# The longest text handed to spaCy at once. spaCy's memory grows with the text it holds (about 300 MB
# for 50,000 characters, 500 MB for 100,000, GBs when chunks are batched), so the NER windows go in
# batches of at most this many characters.
CHUNK_CHARS = 50_000
# NER runs only around capitalised words: every name kept, and every NER label the equipment checks
# read, overlaps one. spaCy's tok2vec sees 4 tokens each side of a token and each NER decision also
# reads the token before, so with this many words of context around a capitalised word the NER finds
# there what it finds over the whole text (measured on 426 articles: docs/speed.md).
NER_CONTEXT_BEFORE = 6
NER_CONTEXT_AFTER = 5
# How far (characters) equipment evidence reaches: an article's worth, so one long text holding many
# articles is not judged as a whole ("the article names other equipment" means "within this reach").
REACH = 5_000
NER_LABELS = {"PERSON": "PERSON", "ORG": "ORG", "GPE": "GPE", "LOC": "LOC", "NORP": "NORP", "FAC": "LOC"}
EQUIPMENT = "EQUIPMENT"

# Words: runs of word characters joined by - / . ("T-72B3", "AN/TPQ-36", "VKP 2.1"), or one other mark.
_TOKEN = re.compile(r"\w+(?:[-/.]\w+)*|[^\w\s]")
_WORD_RUN = re.compile(r"\S+")
_QUOTES = frozenset("\"'“”‘’«»„‹›`")
_CALIBRE = re.compile(r"\d+(?:[.,]\d+)?-?(?:mm|cm|in|inch|calibre|caliber|cal)")
_YEAR = re.compile(r"(?:19|20)\d\d")
# Where a model designation may start (found by one regex over the whole text), and its full shape.
_DESIGNATION_START = re.compile(
    r"(?<![\w./-])(?=[A-Z]{1,5}\d|[A-Z][A-Za-z]{0,11}-(?:[A-Z]{1,3})?\d|\d{1,2}[A-Z]{1,3}\d)")
_DESIGNATION = re.compile(
    r"[A-Z][A-Za-z]{0,11}-(?:[A-Z]{1,3})?\d[A-Za-z\d]*(?:[-.][A-Za-z\d]+)*"  # Su-57M, Kub-2, KN-23, Pantsir-S1M
    r"|[A-Z]{1,5}\d+[A-Za-z\d]*(?:-[A-Za-z\d]+)*"  # M242, M109A6, HK416, CV90
    r"|\d{1,2}[A-Z]{1,3}\d+[A-Za-z\d]*(?:-[A-Za-z\d]+)*"  # 2S19, 9K720, 6B47
)
_LOWER_TAIL = re.compile(r"[a-z]+(?:-[a-z]+)*")
_NAME_WORD = re.compile(r"[A-Z][a-z]{2,}(?:-[A-Za-z\d]+)*")
_TITLE_WORD = re.compile(r"[A-Z][\w’'-]*")
_STOPWORDS = frozenset(
    "and or but nor the a an of to in on at by with from for into onto near over under after before "
    "during while as than that which who whose whom this these those it its they them their he his she "
    "her we our you i was were is are be been being had has have do does did will would can could may "
    "might must should shall not no said says say told according also again still then there here where "
    "when since until about against between through per each every some all both more most less many "
    "much several two three four five six seven eight nine ten".split()
)
_NAME_STOP = frozenset(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July "
    "August September October November December The A An And Or But In On At For From With By To Of".split()
)
_DETERMINERS = ("the ", "The ", "THE ")
_EDGE_PUNCT = "\"'“”‘’«»„‹›`()[]{},;:!?"
_VETO_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "LAW", "EVENT", "WORK_OF_ART"})
_SHIP_VETO_LABELS = frozenset({"ORG", "NORP", "DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT",
                               "QUANTITY", "EVENT", "LAW"})
_NAME_VETO_LABELS = frozenset({"GPE", "NORP", "LOC", "DATE", "TIME", "EVENT"})


# ----------------------------------------------------------------------------- words and phrases

class Tokens:
    """The words of a text as parallel lists of start, end and text (document offsets)."""

    __slots__ = ("text", "starts", "ends", "words")

    def __init__(self, text: str):
        self.text = text
        starts: list[int] = []
        ends: list[int] = []
        toks: list[str] = []
        for m in _TOKEN.finditer(text):
            starts.append(m.start())
            ends.append(m.end())
            toks.append(m.group())
        self.starts, self.ends, self.words = starts, ends, toks

    def __len__(self) -> int:
        return len(self.words)

    def index_at(self, pos: int) -> int | None:
        """The index of the word starting at character `pos`, or None."""
        i = bisect.bisect_left(self.starts, pos)
        return i if i < len(self.starts) and self.starts[i] == pos else None

    def gap(self, i: int) -> str:
        """The characters between word i-1 and word i."""
        return self.text[self.ends[i - 1]:self.starts[i]] if i > 0 else ""

    def spaced(self, i: int) -> bool:
        """Word i follows word i-1 after spaces on the same line."""
        g = self.gap(i)
        return bool(g) and g.isspace() and "\n" not in g


@dataclass(frozen=True)
class Phrase:
    """A surface as words and the gaps between them ("" or " ")."""

    surface: str
    words: tuple[str, ...]
    gaps: tuple[str, ...]
    casefree: bool  # may match in another case (a surface with a digit or hyphen is no common word)
    payload: Any


def make_phrase(surface: str, payload: Any, casefree: bool | None = None) -> Phrase:
    toks = list(_TOKEN.finditer(surface))
    gaps = tuple("" if surface[a.end():b.start()] == "" else " " for a, b in zip(toks, toks[1:]))
    if casefree is None:
        casefree = any(c.isdigit() or c == "-" for c in surface)
    return Phrase(surface, tuple(t.group() for t in toks), gaps, casefree, payload)


def _plural(word: str, base: str, casefree: bool) -> bool:
    """`word` is `base` with a plural -s or -es."""
    for suffix in ("s", "es"):
        if word.endswith(suffix) and len(word) == len(base) + len(suffix):
            if suffix == "es" and not base.lower().endswith(("s", "x", "z", "ch", "sh")):
                continue
            stem = word[: len(base)]
            if stem == base or (casefree and stem.casefold() == base.casefold()):
                return True
    return False


class PhraseIndex:
    """Phrases keyed by their first word: finds the longest phrase starting at a word."""

    def __init__(self, phrases: Iterable[Phrase]):
        self.first: dict[str, list[Phrase]] = {}
        for p in phrases:
            if p.words:
                self.first.setdefault(p.words[0].casefold(), []).append(p)
        for lst in self.first.values():
            lst.sort(key=lambda p: (-len(p.words), -len(p.surface)))

    def match(self, toks: Tokens, i: int, *, plural: bool = True) -> tuple[Phrase, int, int] | None:
        """(phrase, index after its last word, end offset) for the longest phrase at word i."""
        words = toks.words
        w = words[i]
        for p in self.first.get(w.casefold(), ()):
            n = len(p.words)
            if i + n > len(words):
                continue
            for k in range(n):
                tw, pw = words[i + k], p.words[k]
                if k and (toks.gap(i + k) != "" if p.gaps[k - 1] == "" else not toks.spaced(i + k)):
                    break
                if tw == pw or (p.casefree and tw.casefold() == pw.casefold()):
                    continue
                if k == n - 1 and n > 1 and plural and _plural(tw, pw, p.casefree):
                    continue
                break
            else:
                return p, i + n, toks.ends[i + n - 1]
        if plural and w.endswith("s"):
            for stem in (w[:-1], w[:-2]):
                for p in self.first.get(stem.casefold(), ()):
                    if len(p.words) == 1 and _plural(w, p.words[0], p.casefree):
                        return p, i + 1, toks.ends[i]
        if "-" in w:  # "HIMARS-launched", "F-16-capable": the surface without its lower-case tail
            cut = w.find("-")
            while cut > 0:
                if _LOWER_TAIL.fullmatch(w[cut + 1:]):
                    head = w[:cut]
                    for p in self.first.get(head.casefold(), ()):
                        if len(p.words) == 1 and (p.words[0] == head or (p.casefree and p.words[0].casefold() == head.casefold())):
                            return p, i + 1, toks.starts[i] + cut
                cut = w.find("-", cut + 1)
        return None


# ----------------------------------------------------------------------------- the gazetteer

@dataclass(frozen=True)
class GazetteerEntry:
    surface: str
    category: str
    origin: str
    where: str  # "equipment.tsv" or "PATH:LINE"

    @property
    def tier(self) -> str:
        return _tier(self.surface)


def _is_ambiguous(surface: str) -> bool:
    return surface in _context().ambiguous


def _tier(surface: str) -> str:
    """strong: always a mention; name: needs a military article; ambiguous / acronym: needs context."""
    letters = [c for c in surface if c.isalpha()]
    if _is_ambiguous(surface):
        return "acronym" if surface.isupper() else "ambiguous"
    if surface.isupper() and len(letters) <= 3 and not any(c.isdigit() for c in surface):
        return "acronym"
    if any(c.isdigit() for c in surface) or any(c in " -/." for c in surface):
        return "strong"
    if surface.isupper() and len(letters) >= 4:
        return "strong"
    return "name"


def _family_key(word: str) -> str | None:
    """The letters that open a designation, and whether a hyphen follows: "su-" for Su-57M, "t-" for
    T-72, "2s" for 2S19, "cv" for CV9035 (so "A6" is not of the A-50 family)."""
    m = re.match(r"(\d{0,2}[A-Za-z]+)(?:(-)|(?=\d))", word)
    return (m.group(1).casefold() + (m.group(2) or "")) if m else None


class Gazetteer:
    """Equipment surfaces compiled for matching: a phrase index, designations, prefix families."""

    def __init__(self, entries: Sequence[GazetteerEntry]):
        self.entries = tuple(entries)
        self.index = PhraseIndex(make_phrase(e.surface, e) for e in self.entries)
        # Single-word surfaces, for "extends a gazetteer entry" (T-72B3M <- T-72B3).
        self.singles = {e.surface: e for e in self.entries if " " not in e.surface}
        families: dict[str, Counter] = {}
        for e in self.entries:
            if " " in e.surface:
                continue
            key = _family_key(e.surface)
            if key:
                families.setdefault(key, Counter())[e.category] += 1
        self.families = families
        # Series names: the first word of multi-word surfaces ("Leopard" in "Leopard 2A6", "Project"
        # in "Project 22160"), with the categories of those surfaces.
        heads: dict[str, Counter] = {}
        for e in self.entries:
            first, _, rest = e.surface.partition(" ")
            if rest and first.isalpha() and first[:1].isupper() and not first.isupper():
                heads.setdefault(first, Counter())[e.category] += 1
        self.heads = {w: c.most_common(1)[0][0] for w, c in heads.items() if len(c) == 1}

    def __len__(self) -> int:
        return len(self.entries)

    def family(self, word: str, min_members: int = 1) -> str | None:
        """The category of the gazetteer family `word` belongs to, when at least 80% agree."""
        key = _family_key(word)
        counts = self.families.get(key) if key else None
        if not counts:
            return None
        category, n = counts.most_common(1)[0]
        total = sum(counts.values())
        return category if total >= min_members and n / total >= 0.8 else None

    def extended(self, word: str) -> GazetteerEntry | None:
        """The longest gazetteer designation `word` extends by a short variant tail
        ("T-72B3M" <- "T-72B3", "Su-57M" <- "Su-57", "Lancet-5" <- "Lancet"); not "T-720" <- "T-72"."""
        for cut in range(len(word) - 1, 1, -1):
            entry = self.singles.get(word[:cut])
            if entry is None:
                continue
            tail = word[cut:]
            if tail.startswith("-"):
                ok = not any(c.isdigit() for c in entry.surface) and re.fullmatch(r"-[A-Za-z\d]{1,4}", tail)
            elif entry.surface[-1].isdigit():
                ok = re.fullmatch(r"[A-Za-z][A-Za-z\d]{0,3}", tail)
            else:
                ok = re.fullmatch(r"[A-Z\d][A-Za-z\d]{0,3}", tail)
            if ok:
                return entry
        return None


def _builtin_entries() -> list[GazetteerEntry]:
    return [GazetteerEntry(r["surface"].strip(), r["category"].strip(), r.get("origin", "").strip(), "equipment.tsv")
            for r in table("equipment") if r.get("surface", "").strip()]


@functools.lru_cache(maxsize=None)
def categories() -> tuple[str, ...]:
    """The equipment categories: those of the built-in gazetteer (docs/equipment.md lists them)."""
    return tuple(sorted({e.category for e in _builtin_entries()}))


def read_gazetteer_file(path: str | os.PathLike) -> list[GazetteerEntry]:
    """Rows of a user gazetteer (the equipment.tsv format); a bad row raises ValueError naming the
    file and line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ValueError(f"{p}: cannot read equipment file ({exc.strerror or exc})") from None
    valid = set(categories())
    header: list[str] | None = None
    rows: list[GazetteerEntry] = []
    seen: dict[str, tuple[str, int]] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        if header is None:
            if cells[:2] != ["surface", "category"]:
                raise ValueError(
                    f"{p}:{n}: expected the header line 'surface<TAB>category<TAB>origin', got {line.strip()!r}")
            header = cells
            continue
        if len(cells) < 2:
            raise ValueError(f"{p}:{n}: expected tab-separated columns surface, category[, origin]; got {line.strip()!r}")
        if len(cells) > len(header):
            raise ValueError(f"{p}:{n}: {len(cells)} columns, the header names {len(header)}")
        surface, category = cells[0], cells[1]
        origin = cells[2] if len(cells) > 2 else ""
        if not surface or not any(c.isalnum() for c in surface):
            raise ValueError(f"{p}:{n}: empty or meaningless surface {surface!r}")
        if category not in valid:
            raise ValueError(f"{p}:{n}: unknown category {category!r} (one of: {', '.join(sorted(valid))})")
        key = surface.casefold()
        if key in seen and seen[key][0] != category:
            raise ValueError(f"{p}:{n}: {surface!r} is already filed as {seen[key][0]!r} on line {seen[key][1]}")
        seen[key] = (category, n)
        rows.append(GazetteerEntry(surface, category, origin, f"{p}:{n}"))
    if header is None:
        raise ValueError(f"{p}: no header line 'surface<TAB>category<TAB>origin'")
    return rows


@functools.lru_cache(maxsize=None)
def _builtin_gazetteer() -> Gazetteer:
    return Gazetteer(_builtin_entries())


@functools.lru_cache(maxsize=8)
def _gazetteer_with(path: str, _stamp: tuple[int, int]) -> Gazetteer:
    extra = read_gazetteer_file(path)
    override = {e.surface.casefold() for e in extra}
    return Gazetteer([e for e in _builtin_entries() if e.surface.casefold() not in override] + extra)


def load_gazetteer(extra_path: str | os.PathLike | None = None) -> Gazetteer:
    """The built-in gazetteer, plus the rows of `extra_path` (same TSV format; a user row replaces a
    built-in row with the same surface, ignoring case). Compiled once per process (per file version)."""
    if extra_path is None:
        return _builtin_gazetteer()
    p = Path(extra_path)
    try:
        st = p.stat()
    except OSError as exc:
        raise ValueError(f"{p}: cannot read equipment file ({exc.strerror or exc})") from None
    return _gazetteer_with(str(p.resolve()), (st.st_mtime_ns, st.st_size))


_configured: str | None = None


def configure(equipment_file: str | os.PathLike | None = None) -> None:
    """Use the built-in gazetteer plus `equipment_file` in `run` from now on (the CLI's
    --equipment-file). Loads the file at once, so a bad file fails here, with a ValueError."""
    global _configured
    if equipment_file is not None:
        load_gazetteer(equipment_file)
    _configured = None if equipment_file is None else str(equipment_file)


def active_gazetteer() -> Gazetteer:
    return load_gazetteer(_configured)


# ----------------------------------------------------------------------------- context nouns

@dataclass(frozen=True)
class ContextNoun:
    words: tuple[str, ...]
    kind: str  # noun | ship
    category: str | None  # None: a generic noun ("system")
    refines: frozenset[str] | None  # None: any category
    military: bool


@dataclass(frozen=True)
class _Context:
    first: dict[str, tuple[ContextNoun, ...]]
    ship_nouns: frozenset[str]
    military_words: frozenset[str]
    ambiguous: frozenset[str]
    stop: frozenset[str]


@functools.lru_cache(maxsize=None)
def _context() -> _Context:
    first: dict[str, list[ContextNoun]] = {}
    ships, military, ambiguous, stop = set(), set(), set(), set()
    for row in table("equipment_context"):
        word, kind = row["word"].strip(), row["kind"].strip()
        if kind == "ambiguous":
            ambiguous.add(word)
        elif kind == "stop":
            stop.add(word)
        elif kind in ("noun", "ship"):
            refines = row["refines"].strip()
            noun = ContextNoun(tuple(word.split()), kind, row["category"].strip() or None,
                               None if refines == "*" else frozenset(refines.split()), row["military"].strip() == "1")
            first.setdefault(noun.words[0], []).append(noun)
            if kind == "ship" and len(noun.words) == 1:
                ships.add(word)
            if noun.military and noun.category:
                military.add(noun.words[-1])
        else:
            raise ValueError(f"equipment_context.tsv: unknown kind {kind!r} for {word!r}")
    return _Context({k: tuple(sorted(v, key=lambda n: -len(n.words))) for k, v in first.items()},
                    frozenset(ships), frozenset(military), frozenset(ambiguous), frozenset(stop))


def _singulars(word: str) -> tuple[str, ...]:
    out = [word]
    if word.endswith("ies"):
        out.append(word[:-3] + "y")
    if word.endswith("es"):
        out.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss"):
        out.append(word[:-1])
    return tuple(out)


def _word_is(word: str, noun_word: str, last: bool) -> bool:
    return word == noun_word or (last and noun_word in _singulars(word))


def find_noun(window: Sequence[str], *, anchored_end: bool = False) -> ContextNoun | None:
    """The context noun in `window` (lower-case words): the earliest-starting, then the longest. With
    `anchored_end` the noun must end on the window's last word."""
    ctx = _context()
    starts = range(len(window))
    for s in starts:
        best = None
        for key in _singulars(window[s]):
            for noun in ctx.first.get(key, ()):
                n = len(noun.words)
                if s + n > len(window) or (anchored_end and s + n != len(window)):
                    continue
                if all(_word_is(window[s + k], noun.words[k], k == n - 1) for k in range(n)):
                    if best is None or n > len(best.words):
                        best = noun
        if best is not None:
            return best
    return None


def _window_after(toks: Tokens, j: int, limit: int = 5) -> list[str]:
    """Up to `limit` lower-case words from word j on, stopping at punctuation, names and function
    words; an opening quote mark and calibres ("170mm") are stepped over."""
    out: list[str] = []
    k, n = j, len(toks)
    while k < n and len(out) < limit:
        w = toks.words[k]
        if k and "\n" in toks.gap(k):
            break
        if w in _QUOTES and k == j:
            k += 1
            continue
        if _CALIBRE.fullmatch(w):
            k += 1
            continue
        if not w[0].isalpha():
            break
        low = w.lower()
        if low in _STOPWORDS or (w[0].isupper() and not w.isupper()):
            break
        out.append(low)
        k += 1
    return out


def _noun_before(toks: Tokens, i: int) -> ContextNoun | None:
    """A context noun with a category ending right before word i ("the drone Kub-2")."""
    window: list[str] = []
    k = i - 1
    while k >= 0 and len(window) < 3 and toks.words[k].isalpha() and toks.words[k].islower() and toks.spaced(k + 1):
        if toks.words[k] in _STOPWORDS:
            break
        window.insert(0, toks.words[k])
        k -= 1
    for s in range(len(window)):
        noun = find_noun(window[s:], anchored_end=True)
        if noun is not None and noun.category and noun.kind == "noun":
            return noun
    return None


def _noun_after(toks: Tokens, j: int) -> ContextNoun | None:
    return find_noun(_window_after(toks, j))


# ----------------------------------------------------------------------------- spaCy NER

def load_ner():
    """The shared English pipeline (`nlp.load`, which makes the docs) and its NER component, run on
    its own: en_core_web_sm's NER has its own tok2vec, so nothing else is needed."""
    return nlp_module.load(), nlp_module.entity_recognizer()


def chunks(doc: Document, limit: int = CHUNK_CHARS) -> list[tuple[int, int]]:
    """Character ranges of at most `limit` characters covering every paragraph: whole paragraphs
    grouped, a longer paragraph cut at sentence ends, a longer sentence at whitespace."""
    text = doc.text
    paragraphs = [(p.start, p.end) for p in doc.paragraphs] or ([(0, len(text))] if text.strip() else [])
    sent_starts = [s.start for s in doc.sentences]
    sent_ends = [s.end for s in doc.sentences]
    pieces: list[tuple[int, int]] = []
    for ps, pe in paragraphs:
        if pe - ps <= limit:
            pieces.append((ps, pe))
            continue
        lo, hi = bisect.bisect_left(sent_starts, ps), bisect.bisect_left(sent_starts, pe)
        units = list(zip(sent_starts[lo:hi], sent_ends[lo:hi])) or [(ps, pe)]
        for us, ue in units:
            while ue - us > limit:
                cut = text.rfind(" ", us + 1, us + limit)
                cut = cut if cut > us else us + limit
                pieces.append((us, cut))
                us = cut
                while us < ue and text[us].isspace():
                    us += 1
            if ue > us:
                pieces.append((us, ue))
    out: list[list[int]] = []
    for s, e in pieces:
        if out and e - out[-1][0] <= limit:
            out[-1][1] = e
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def ner_windows(doc: Document, start: int, end: int) -> list[tuple[int, int]]:
    """The character ranges of [start, end) that NER runs over: NER_CONTEXT_BEFORE words before and
    NER_CONTEXT_AFTER words after each word with a capital letter (other than a sentence opener),
    merged where they touch. Words here are runs of non-space characters: spaCy never joins two, so
    a window has at least as many tokens of context, and tokenises as the whole text does."""
    text = doc.text
    openers = words("sentence_openers")
    sentence_starts = {s.start for s in doc.sentences}
    runs = [(m.start(), m.end()) for m in _WORD_RUN.finditer(text, start, end)]
    out: list[list[int]] = []
    for k, (rs, rend) in enumerate(runs):
        word = text[rs:rend]
        if word.lower() == word:
            continue
        if rs in sentence_starts and word.strip(_EDGE_PUNCT + ".").lower() in openers:
            continue
        ws = runs[max(0, k - NER_CONTEXT_BEFORE)][0]
        we = runs[min(len(runs) - 1, k + NER_CONTEXT_AFTER)][1]
        if out and ws <= out[-1][1]:
            out[-1][1] = max(out[-1][1], we)
        else:
            out.append([ws, we])
    return [(ws, we) for ws, we in out]


def _batches(parts: Sequence[tuple[int, int]], limit: int = CHUNK_CHARS) -> Iterator[list[tuple[int, int]]]:
    """`parts` in runs of at most `limit` characters (a longer part alone): spaCy's memory grows with
    the text of a batch."""
    batch: list[tuple[int, int]] = []
    size = 0
    for s, e in parts:
        if batch and size + (e - s) > limit:
            yield batch
            batch, size = [], 0
        batch.append((s, e))
        size += e - s
    if batch:
        yield batch


def ner_spans(doc: Document) -> list[tuple[int, int, str]]:
    """spaCy's entities (start, end, spaCy label) in document offsets, from NER run over the windows
    of each chunk (`ner_windows`), with our sentence starts set so that no entity crosses one."""
    nlp, ner = load_ner()
    text = doc.text
    parts = [w for s, e in chunks(doc) for w in ner_windows(doc, s, e)]
    sent_starts = [s.start for s in doc.sentences]

    def spacy_doc(s: int, e: int) -> Any:
        sdoc = nlp.make_doc(text[s:e])
        lo, hi = bisect.bisect_right(sent_starts, s), bisect.bisect_left(sent_starts, e)
        for pos in sent_starts[lo:hi]:
            span = sdoc.char_span(pos - s, pos - s + 1, alignment_mode="expand")
            if span is not None and span[0].i > 0:
                span[0].is_sent_start = True
        return sdoc

    out = []
    for batch in _batches(parts):
        # spaCy's parser-style components step through a sub-batch of a quarter of `batch_size` docs
        # in parallel, and a step has a fixed cost of the order of a token's work: one sub-batch of
        # every window takes half the time of running them one by one (docs/speed.md).
        sdocs = ner.pipe((spacy_doc(s, e) for s, e in batch), batch_size=4 * len(batch))
        for (s, _e), sdoc in zip(batch, sdocs):
            for ent in sdoc.ents:
                out.append((s + ent.start_char, s + ent.end_char, ent.label_))
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """A name span without a leading "the", quote marks, edge punctuation, a possessive ’s or
    trailing numbers."""
    changed = True
    while changed and start < end:
        changed = False
        seg = text[start:end]
        for det in _DETERMINERS:
            if seg.startswith(det):
                start += len(det)
                changed = True
                break
        seg = text[start:end]
        if seg and (seg[0] in _EDGE_PUNCT or seg[0].isspace()):
            start += 1
            changed = True
        elif seg and (seg[-1] in _EDGE_PUNCT or seg[-1].isspace()):
            end -= 1
            changed = True
        elif seg.endswith(("’s", "'s")):
            end -= 2
            changed = True
        elif seg.endswith(".") and not re.search(r"(?:\b[A-Za-z]\.){2,}$", seg):
            end -= 1
            changed = True
        else:
            m = re.search(r"\s+[\d.,]+$", seg)
            if m and m.start() > 0:
                end = start + m.start()
                changed = True
    return start, end


# ----------------------------------------------------------------------------- label fixes

@dataclass(frozen=True)
class _Fixes:
    names: PhraseIndex
    suffixes: dict[str, str]
    after: PhraseIndex
    before: PhraseIndex
    single_words: frozenset[str]


@functools.lru_cache(maxsize=None)
def _fixes() -> _Fixes:
    names, after, before = [], [], []
    suffixes: dict[str, str] = {}
    for row in table("entity_fixes"):
        surface, label, match = row["surface"].strip(), row["label"].strip(), row["match"].strip()
        if label not in NER_LABELS.values():
            raise ValueError(f"entity_fixes.tsv: bad label {label!r} for {surface!r}")
        if match == "name":
            names.append(make_phrase(surface, label, casefree=False))
        elif match == "suffix":
            suffixes[surface] = label
        elif match == "after":
            after.append(make_phrase(surface, label, casefree=False))
        elif match == "before":
            before.append(make_phrase(surface, label, casefree=False))
        else:
            raise ValueError(f"entity_fixes.tsv: bad match {match!r} for {surface!r}")
    singles = frozenset(p.surface for p in names if len(p.words) == 1)
    return _Fixes(PhraseIndex(names), suffixes, PhraseIndex(after), PhraseIndex(before), singles)


def _title_run_before(toks: Tokens, i: int, limit: int = 4) -> int:
    """The index of the first of up to `limit` capitalised words right before word i."""
    k = i
    while k > 0 and i - k < limit and _TITLE_WORD.fullmatch(toks.words[k - 1]) and toks.spaced(k):
        k -= 1
    while k < i and toks.words[k] in ("The", "A", "An"):
        k += 1
    return k


def _fix_spans(toks: Tokens) -> list[tuple[int, int, str]]:
    fx = _fixes()
    out: list[tuple[int, int, str]] = []
    n = len(toks)
    i = 0
    while i < n:
        w = toks.words[i]
        if w in fx.suffixes:
            k = _title_run_before(toks, i)
            if k < i:
                out.append((toks.starts[k], toks.ends[i], fx.suffixes[w]))
        hit = fx.before.match(toks, i, plural=False)
        if hit:
            k = _title_run_before(toks, i, 3)
            if k < i:
                out.append((toks.starts[k], toks.ends[i - 1], hit[0].payload))
        hit = fx.after.match(toks, i, plural=False)
        if hit:
            span = _name_after(toks, hit[1])
            if span:
                out.append((span[0], span[1], hit[0].payload))
        hit = fx.names.match(toks, i, plural=False)
        if hit:
            out.append((toks.starts[i], hit[2], hit[0].payload))
            i = hit[1]
            continue
        i += 1
    return out


def _name_after(toks: Tokens, j: int) -> tuple[int, int] | None:
    """The name at word j: the words inside quote marks, or a run of capitalised words."""
    n = len(toks)
    if j >= n or "\n" in toks.gap(j):
        return None
    if toks.words[j] in _QUOTES:
        k = j + 1
        while k < n and k - j <= 10 and toks.words[k] not in _QUOTES and "\n" not in toks.gap(k):
            k += 1
        if k >= n or toks.words[k] not in _QUOTES or k == j + 1:
            return None
        last = k - 1
        while last > j and toks.words[last] in ",.;:":
            last -= 1
        return (toks.starts[j + 1], toks.ends[last]) if last > j else None
    k = j
    while k < n and k - j < 4 and _TITLE_WORD.fullmatch(toks.words[k]) and (k == j or toks.spaced(k)):
        k += 1
    return (toks.starts[j], toks.ends[k - 1]) if k > j else None


# ----------------------------------------------------------------------------- equipment

@dataclass
class _Cand:
    start: int
    end: int
    i: int  # first word
    j: int  # index after the last word
    category: str
    how: str  # gazetteer | designation | ship
    tier: str
    key: str = ""
    noun: ContextNoun | None = None  # the context noun next to it
    vetoed: bool = False
    accepted: bool = False


class _NerIndex:
    def __init__(self, spans: Sequence[tuple[int, int, str]]):
        self.spans = sorted(spans)
        self.starts = [s for s, _, _ in self.spans]

    def covering(self, start: int, end: int) -> list[tuple[int, int, str]]:
        """Entities that overlap [start, end)."""
        i = bisect.bisect_right(self.starts, end)
        out = []
        for k in range(i - 1, max(-1, i - 12), -1):
            s, e, label = self.spans[k]
            if s < end and start < e:
                out.append(self.spans[k])
        return out


class _Equipment:
    """Finds the equipment mentions of one document."""

    def __init__(self, doc: Document, toks: Tokens, gaz: Gazetteer, ner: _NerIndex):
        self.doc, self.toks, self.gaz, self.ner = doc, toks, gaz, ner
        self.text = doc.text
        self.sents = SpanIndex(doc.sentences) if doc.sentences else None
        self.ctx = _context()

    # -- helpers
    def sentence(self, pos: int) -> int:
        if self.sents is None:
            return 0
        i = self.sents.index_at(pos)
        return -1 if i is None else i

    def extend(self, j: int, *, known: bool) -> int:
        """The word index after a designation's tail starting at word j: "Obr. 2016", or one
        capitalised name word ("BMP-2M Berezhok"). `known`: the designation is a gazetteer entry, so a
        following gazetteer name is a second mention, not a tail."""
        toks, n = self.toks, len(self.toks)
        w = toks.words
        if (j + 2 < n and w[j] in ("Obr", "obr") and w[j + 1] == "." and _YEAR.fullmatch(w[j + 2])
                and toks.spaced(j) and toks.spaced(j + 2) and toks.gap(j + 1) == ""):
            return j + 3
        if j < n and toks.spaced(j) and _NAME_WORD.fullmatch(w[j]) and w[j] not in _NAME_STOP:
            if w[j] in _fixes().single_words:
                return j
            if known and self.gaz.index.first.get(w[j].casefold()):
                return j
            nxt = w[j + 1] if j + 1 < n else ""
            if nxt and toks.spaced(j + 1) and nxt[0].isupper() and nxt.isalpha():
                return j  # a run of capitalised words is a name or a headline, not a tail
            for s, e, label in self.ner.covering(toks.starts[j], toks.ends[j]):
                if label in _NAME_VETO_LABELS or (s >= toks.starts[j] and label in ("PERSON", "ORG") and e > toks.ends[j]):
                    return j
            return j + 1
        return j

    def vetoed(self, c: _Cand) -> bool:
        """A surface that is part of a person's or place's name, follows a title, or speaks."""
        toks = self.toks
        k = c.i - 1
        if k >= 0 and toks.words[k] == "." and k >= 1:
            k -= 1
            prev = toks.words[k].lower() + "."
        else:
            prev = toks.words[k].lower() if k >= 0 else ""
        if prev and prev in words("honorifics") and toks.words[k][:1].isupper():
            return True
        if c.j < len(toks) and toks.words[c.j].lower() in verb_forms("speech_verbs"):
            return True
        for s, e, label in self.ner.covering(c.start, c.end):
            if label not in _VETO_LABELS or (s >= c.start and e <= c.end):
                continue
            outside = [m.group() for m in _TOKEN.finditer(self.text, s, e)
                       if m.end() <= c.start or m.start() >= c.end]
            if any(self._name_word(x) for x in outside):
                return True
        return False

    def _name_word(self, word: str) -> bool:
        """A capitalised word that can be part of a person's or place's name: not a determiner, a
        nationality or place from the fixes lexicon, a designation or another equipment name."""
        return (bool(_TITLE_WORD.fullmatch(word)) and word not in _NAME_STOP
                and word not in _fixes().single_words and not any(ch.isdigit() for ch in word)
                and word.casefold() not in self.gaz.index.first)

    # -- candidates
    def gazetteer_candidates(self) -> list[_Cand]:
        toks, out = self.toks, []
        i, n = 0, len(self.toks)
        index = self.gaz.index
        first = index.first
        words_ = toks.words
        while i < n:
            w = words_[i]
            if w.casefold() not in first and not (w.endswith("s") and (w[:-1].casefold() in first or w[:-2].casefold() in first)) and "-" not in w:
                i += 1
                continue
            hit = index.match(toks, i)
            if hit is None:
                i += 1
                continue
            phrase, j, end = hit
            entry: GazetteerEntry = phrase.payload
            c = _Cand(toks.starts[i], end, i, j, entry.category, "gazetteer", entry.tier, key=entry.surface)
            if end == toks.ends[j - 1] and any(ch.isdigit() for ch in phrase.words[-1]):
                j2 = self.extend(j, known=True)
                if j2 > j:
                    c.j, c.end = j2, toks.ends[j2 - 1]
            c.noun = _noun_after(toks, c.j) if c.end == toks.ends[c.j - 1] else None
            out.append(c)
            i = c.j
        return out

    def designation_candidates(self, covered: list[tuple[int, int]], military: Callable[[int], bool]) -> list[_Cand]:
        toks, gaz, out = self.toks, self.gaz, []
        cov_starts = [s for s, _ in covered]
        for m in _DESIGNATION_START.finditer(self.text):
            i = toks.index_at(m.start())
            if i is None:
                continue
            k = bisect.bisect_right(cov_starts, toks.starts[i]) - 1
            if k >= 0 and covered[k][1] > toks.starts[i]:
                continue
            word = toks.words[i]
            cut = word.find("-")
            while cut > 0:  # "Su-57-based": the designation without its lower-case tail
                if _LOWER_TAIL.fullmatch(word[cut + 1:]):
                    word = word[:cut]
                    break
                cut = word.find("-", cut + 1)
            stem = word[:-1] if word.endswith("s") and len(word) > 3 and _DESIGNATION.fullmatch(word[:-1]) else word
            if not _DESIGNATION.fullmatch(stem) or stem in self.ctx.stop or word in self.ctx.stop:
                continue
            end = toks.starts[i] + len(word)
            j = i + 1
            if end == toks.ends[i]:
                j = self.extend(i + 1, known=False)
                end = toks.ends[j - 1]
            noun = _noun_after(toks, j) if end == toks.ends[j - 1] else None
            noun = noun or _noun_before(toks, i)
            variant = gaz.extended(stem)
            family = variant.category if variant else gaz.family(stem)
            category = None
            if noun is not None:
                if not (military(toks.starts[i]) or noun.military or variant
                        or (family and _fits(family, noun))):  # the noun and the family agree
                    continue
                category = noun.category
                if family and (noun.refines is None or family in noun.refines or family == category):
                    category = family
                category = category or "other"
            elif variant is not None:
                category = variant.category
            elif military(toks.starts[i]) and gaz.family(stem, min_members=2):
                category = gaz.family(stem, min_members=2)
            if category is None:
                continue
            out.append(_Cand(toks.starts[i], end, i, j, category, "designation", "strong", key=stem, noun=noun,
                             accepted=True))
        return out

    def series_candidates(self, covered: list[tuple[int, int]], military: Callable[[int], bool]) -> list[_Cand]:
        """A series name and a model number the gazetteer lacks: "Leopard 2A7", "Challenger 3",
        "Project 22350" take the category of the series' gazetteer entries, when they agree."""
        toks, heads, out = self.toks, self.gaz.heads, []
        cov_starts = [s for s, _ in covered]
        for i in range(len(toks) - 1):
            w = toks.words[i]
            if w not in heads:
                continue
            nxt = toks.words[i + 1]
            if not (toks.spaced(i + 1) and re.fullmatch(r"[A-Za-z\d]*\d[A-Za-z\d]*(?:[-.][A-Za-z\d]+)*", nxt)
                    and not _YEAR.fullmatch(nxt)):
                continue
            k = bisect.bisect_right(cov_starts, toks.starts[i + 1]) - 1
            if k >= 0 and covered[k][1] > toks.starts[i + 1]:
                continue  # the gazetteer has the pair ("Leopard 2A6"); the head alone may be a mention
            noun = _noun_after(toks, i + 2)
            category = heads[w]
            if noun is not None and not _fits(category, noun):
                if not noun.category:
                    continue
                category = noun.category
            model = any(c.isalpha() for c in nxt)  # "2A7", "V7": a model code, not a bare number ("Type 2")
            if not (military(toks.starts[i]) or model or (noun is not None and noun.military)):
                continue
            out.append(_Cand(toks.starts[i], toks.ends[i + 1], i, i + 2, category, "series", "strong",
                             key=f"{w} {nxt}", noun=noun, accepted=True))
        return out

    def ship_candidates(self, military: Callable[[int], bool]) -> list[_Cand]:
        toks, out = self.toks, []
        n = len(toks)
        ships = self.ctx.ship_nouns
        for i in range(n - 1):
            w = toks.words[i]
            if w not in ships:
                continue
            j = i + 1
            if j + 2 < n and toks.words[j] == "," and toks.words[j + 1] == "the" and toks.spaced(j + 2):
                j += 2
            elif not toks.spaced(j):
                continue
            k = j
            while k < n and k - j < 3 and _TITLE_WORD.fullmatch(toks.words[k]) and (k == j or toks.spaced(k)):
                k += 1
            if k == j or toks.words[j] in _NAME_STOP:
                continue
            start, end = toks.starts[j], toks.ends[k - 1]
            if any(label in _SHIP_VETO_LABELS for _, _, label in self.ner.covering(start, end)):
                continue
            noun = find_noun([w])
            if not (military(start) or (noun and noun.military)):
                continue
            out.append(_Cand(start, end, j, k, "ship", "ship", "strong", key=self.text[start:end], accepted=True))
        return out

    # -- the decision
    def find(self) -> list[_Cand]:
        cands = self.gazetteer_candidates()
        for c in cands:
            if c.tier != "strong":
                c.vetoed = self.vetoed(c)
        evidence = sorted(c.start for c in cands
                          if c.tier == "strong" or (c.tier == "name" and not c.vetoed and _fits(c.category, c.noun)))

        def military(pos: int) -> bool:
            """Other equipment is named within REACH characters of `pos`."""
            k = bisect.bisect_left(evidence, pos - REACH)
            return k < len(evidence) and evidence[k] <= pos + REACH

        sentence_military: dict[int, bool] = {}

        def military_sentence(pos: int) -> bool:
            si = self.sentence(pos)
            if si not in sentence_military:
                span = self.doc.sentences[si] if self.sents is not None and si >= 0 else None
                text = span.text.lower() if span is not None else ""
                sentence_military[si] = any(_singulars(w)[-1] in self.ctx.military_words or w in self.ctx.military_words
                                            for w in re.findall(r"[a-z][a-z-]+", text))
            return sentence_military[si]

        for c in cands:
            if c.tier == "strong":
                c.accepted = True
            elif c.tier == "name":
                c.accepted = not c.vetoed and (military(c.start) or c.noun is not None or military_sentence(c.start))
        covered = sorted((c.start, c.end) for c in cands)
        series = self.series_candidates(covered, military)
        evidence[:] = sorted(evidence + [c.start for c in series])
        covered = sorted([(c.start, c.end) for c in cands] + [(c.start, c.end) for c in series])
        designations = self.designation_candidates(covered, military)
        if designations:  # a designation taken on its own is evidence for the others near it
            evidence[:] = sorted(evidence + [c.start for c in designations])
            designations = self.designation_candidates(covered, military)
        cands += series + designations + self.ship_candidates(military)
        for c in cands:
            if c.tier in ("ambiguous", "acronym") and not c.vetoed and c.noun is not None:
                if _fits(c.category, c.noun):
                    c.accepted = True
                elif c.noun.military and c.noun.category:
                    c.accepted = True  # "Puma infantry fighting vehicles": the noun says what it is
                    c.category = c.noun.category
        firm_by_sentence: dict[int, int] = Counter(self.sentence(c.start) for c in cands
                                                   if c.accepted and c.tier in ("strong", "name"))
        confirmed: dict[str, list[int]] = {}
        for c in cands:
            if c.accepted and c.tier in ("ambiguous", "acronym"):
                confirmed.setdefault(c.key, []).append(c.start)
        for c in cands:
            if c.accepted or c.vetoed or c.tier not in ("ambiguous", "acronym"):
                continue
            si = self.sentence(c.start)
            near = (si - 1, si, si + 1) if c.tier == "acronym" else (si,)
            if any(firm_by_sentence.get(s) for s in near):
                c.accepted = True
                confirmed.setdefault(c.key, []).append(c.start)
        for positions in confirmed.values():
            positions.sort()
        for c in cands:
            if c.accepted or c.vetoed or c.key not in confirmed or not military(c.start):
                continue
            positions = confirmed[c.key]
            k = bisect.bisect_left(positions, c.start - REACH)
            if k < len(positions) and positions[k] <= c.start + REACH:
                c.accepted = True  # the same surface was confirmed nearby
        return _resolve([c for c in cands if c.accepted])


def _fits(category: str, noun: ContextNoun | None) -> bool:
    """`noun` may name equipment of `category`: the same category, one it refines to, or a generic noun."""
    if noun is None:
        return False
    return (noun.category is None or noun.category == category or noun.refines is None
            or category in noun.refines)


def _resolve(cands: list[_Cand]) -> list[_Cand]:
    """Non-overlapping mentions, longer first, then earlier."""
    kept: list[_Cand] = []
    starts: list[int] = []
    for c in sorted(cands, key=lambda c: (-(c.end - c.start), c.start)):
        k = bisect.bisect_left(starts, c.start)
        if k > 0 and kept[k - 1].end > c.start:
            continue
        if k < len(kept) and kept[k].start < c.end:
            continue
        kept.insert(k, c)
        starts.insert(k, c.start)
    return kept


# ----------------------------------------------------------------------------- the stage

def find_equipment(doc: Document, gazetteer: Gazetteer | None = None,
                   ner: Sequence[tuple[int, int, str]] = (), toks: Tokens | None = None) -> list[Entity]:
    """EQUIPMENT entities of `doc` (needs doc.sentences); `ner` (spaCy entities) sharpens the checks
    on ambiguous names but is optional."""
    gaz = gazetteer or active_gazetteer()
    toks = toks or Tokens(doc.text)
    found = _Equipment(doc, toks, gaz, _NerIndex(ner)).find()
    return [Entity(doc.span(c.start, c.end), EQUIPMENT, c.category) for c in found]


def _non_overlapping(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Spans that do not overlap, longer first, then earlier, then first listed (a lexicon name
    before a pattern's guess at the same words); sorted by start."""
    kept: list[tuple[int, int, str]] = []
    starts: list[int] = []
    # dict.fromkeys, not set: equal spans with two labels must be ordered the same in every process
    for sp in sorted(dict.fromkeys(spans), key=lambda x: (-(x[1] - x[0]), x[0])):
        k = bisect.bisect_left(starts, sp[0])
        if (k > 0 and kept[k - 1][1] > sp[0]) or (k < len(kept) and kept[k][0] < sp[1]):
            continue
        kept.insert(k, sp)
        starts.insert(k, sp[0])
    return kept


def _overlapping(spans: Sequence[tuple[int, int, str]], starts: Sequence[int], s: int, e: int) -> list[tuple[int, int, str]]:
    """The spans (sorted, not overlapping each other) that overlap [s, e)."""
    out = []
    k = bisect.bisect_left(starts, e) - 1
    while k >= 0 and spans[k][1] > s:
        out.append(spans[k])
        k -= 1
    return out


def name_entities(doc: Document, ner: Sequence[tuple[int, int, str]], toks: Tokens) -> list[tuple[int, int, str]]:
    """PERSON/ORG/GPE/LOC/NORP spans: spaCy's, trimmed, with the lexicon's fixes applied. A fix wins
    over a model name it equals, contains or crosses; a longer model name around a fix, with more
    capitalised words, keeps its label ("DPRK’s Ministry of Foreign Affairs")."""
    text = doc.text
    model: list[tuple[int, int, str]] = []
    for s, e, label in ner:
        if label not in NER_LABELS:
            continue
        s, e = _trim(text, s, e)
        seg = text[s:e]
        if e <= s or "\n" in seg or not any(c.isupper() for c in seg):
            continue
        model.append((s, e, NER_LABELS[label]))
    model = _non_overlapping(model)
    fixes = _non_overlapping(_fix_spans(toks))
    fix_starts = [f[0] for f in fixes]
    kept_model: list[tuple[int, int, str]] = []
    for s, e, label in model:
        keep = True
        for fs, fe, _fl in _overlapping(fixes, fix_starts, s, e):
            longer = s <= fs and fe <= e and (s, e) != (fs, fe) and any(
                _TITLE_WORD.fullmatch(m.group()) for m in _TOKEN.finditer(text, s, e)
                if m.end() <= fs or m.start() >= fe)
            if not longer:
                keep = False
                break
        if keep:
            kept_model.append((s, e, label))
    model_starts = [m[0] for m in kept_model]
    out = list(kept_model)
    for f in fixes:
        if not _overlapping(kept_model, model_starts, f[0], f[1]):
            out.append(f)
    return sorted(out)


def find_entities(doc: Document, gazetteer: Gazetteer | None = None, *, use_ner: bool = True) -> tuple[Entity, ...]:
    """All entities of `doc` (names and equipment), without source ids."""
    toks = Tokens(doc.text)
    ner = ner_spans(doc) if use_ner and doc.text.strip() else []
    equipment = find_equipment(doc, gazetteer, ner, toks)
    eq_starts = [e.span.start for e in equipment]
    names = []
    for s, e, label in name_entities(doc, ner, toks):
        k = bisect.bisect_left(eq_starts, e)
        if any(eq.span.start < e and s < eq.span.end for eq in equipment[max(0, k - 3):k + 1]):
            continue
        names.append(Entity(doc.span(s, e), label))
    return tuple(sorted(names + equipment, key=lambda x: (x.span.start, x.span.end)))


_SOURCE_LABELS = frozenset({"PERSON", "ORG", "GPE"})


def _with_sources(doc: Document, entities: Iterable[Entity]) -> tuple[Entity, ...]:
    """Entities with `source_id`: in each source mention, the name (PERSON, ORG or GPE) that ends
    last names the source ("Vladimir Putin" in "Russian President Vladimir Putin", "Military Review"
    in "the Telegram channel ‘Military Review’"); "Russian" in "a Russian defense official" does not."""
    entities = tuple(entities)
    named: dict[int, str] = {}
    names = [(e.span.start, e.span.end, k) for k, e in enumerate(entities) if e.label in _SOURCE_LABELS]
    starts = [n[0] for n in names]
    for source in doc.sources:
        for m in source.mentions:
            lo, hi = bisect.bisect_left(starts, m.start - 200), bisect.bisect_left(starts, m.end)
            inside = [n for n in names[lo:hi] if n[0] < m.end and m.start < n[1]]
            if inside:
                named.setdefault(max(inside, key=lambda n: (n[1], n[0]))[2], source.id)
    return tuple(Entity(e.span, e.label, e.category, named[k]) if k in named else e
                 for k, e in enumerate(entities))


def run(doc: Document, gazetteer: Gazetteer | None = None) -> Document:
    try:
        entities = find_entities(doc, gazetteer)
    except nlp_module.ModelNotFound as exc:
        entities = find_entities(doc, gazetteer, use_ner=False)
        doc = doc.warn(NAME, "ner-unavailable", f"names not found: {exc}")
    return doc.evolve(entities=_with_sources(doc, entities))
