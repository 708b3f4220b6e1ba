"""Temporal expressions, resolved against the publication date.

requires: sentences
assigns:  dates

Finding. A small grammar of our own (compiled regexes, built once per process from the word lists
in `lexicons/dates.tsv`), never a general date searcher, so numbers that are not dates stay out:
- explicit dates: "April 28th", "Sept. 11", "8 May 2025", "the 9th of May", "October 8, 2022",
  "2024-05-08"; months with a year ("March 2023"); "early June", "mid-April", "mid-2023";
- a bare month name only after a temporal preposition ("in March", "since October") or "last /
  this / next" ("last March"); month and weekday names must be capitalised ("may", "march" the
  verbs are not dates, nor is "March on" at the start of a sentence);
- a bare year (1000-2099; 1800-2099 without a temporal preposition before it) unless it is part
  of a designation ("T-72B3 Obr. 2016", "T-90M Proryv 2023", "MICH2000", "Article 2024"), a
  thousands number ("1,500"), money or a percentage, or a quantity ("2000 troops", "2000 km":
  a round hundred before a plural noun, or any number before a unit, with no temporal
  preposition before it; "the 2025 budget", "2023 figures" are years);
- weekdays ("Monday", "last Thursday", "this Friday", "next Tuesday"; not "Black Friday"),
  "the 9th" (an ordinal 1-31 after "the" that no noun follows: not "the 19th sanctions package"),
  holidays after a preposition ("before Christmas", "on Palm Sunday"; not "marked Victory Day");
- relative expressions: "today", "yesterday", "tomorrow", "this morning", "last night",
  "last / this / next / earlier this / later this week|month|year", "two years ago",
  "Three years ago today", and phrases anchored to the narrative: "two days later",
  "the next morning", "the same day".
Prepositions are left out of spans ("on Monday" -> "Monday"); modifiers that change the value
are kept ("last Thursday", "earlier this month", "mid-2023"). Spans never overlap; the longest
candidate wins.

Resolving (anchor = `doc.published`; the machine's clock is never read). Values are YYYY-MM-DD
(day), YYYY-Www (ISO week), YYYY-MM (month) or YYYY (year).
- Tense comes from the clause around the expression (split at commas, semicolons, dashes, quote
  marks and words like "that", "which", "when"): the nearest strong cue wins ("will", "is to",
  "plans to", "expected", "may", "likely", "tomorrow" -> future; "was", "had", "said", irregular
  past forms, "has/have" + participle -> past; a participle after "be" is not past: "is to be
  held"); failing that a lower-case "-ed" word means past; failing that the same search over the
  whole sentence; failing that the tense is unknown. Words inside date expressions are not cues
  ("May" in "May 8"). "since X" is always past.
- A date without a year ("December 28"), a bare month, "the 9th" and a weekday take the nearest
  such date on the side of publication the tense implies: past = on or before publication,
  future = on or after (so a weekday equal to the publication day is the publication day in
  either tense); unknown tense = the nearest either side (ties go to the past).
  One exception for month-day dates and holidays: when the tense points a year away but the
  same date lies within 7 days on the other side of publication, the near date is taken
  ("has declared a ceasefire from May 8", published May 2 -> this May 8).
- "last Thursday" = the Thursday of the previous ISO week, "this Friday" = the Friday of the
  publication's ISO week, "next Tuesday" = the Tuesday of the following ISO week.
- The end of a range takes the first such date on or after its start ("from May 8 to May 10",
  "between October 8 and October 13", "from March to May").
- "last week" / "next week" = ISO week of publication -/+ 7 days; "this week", "earlier this
  week" = the publication's ISO week; months and years likewise; "N units ago" counts back from
  publication; "last March" = the most recent March before the publication month, "next March"
  the first after it; "March of next year", "June 16th of last year" use that year.
- Anchored phrases ("two days later", "the next morning", "the same day") count from the
  previous resolved day date in the text (for "N months/years later" the previous date at
  least that fine: "in December 2011 ... a month later" -> 2012-01); with no such date before
  them they stay unresolved ("XXXX").

Without a publication date only explicit years resolve (year_resolved true). A date with a
month but no year keeps the month: "XXXX-04-28", "XXXX-04" (year_resolved false). Expressions
that need the publication date (weekdays, "yesterday", "last week", "the 9th", Easter-based
holidays...) are still emitted, so a reader sees them flagged, with value "XXXX" and their own
granularity, year_resolved false. The same "XXXX" marks an anchored phrase with nothing to
count from.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as _dt
import functools
import re
from dataclasses import dataclass
from typing import Iterable

from ..document import DateMention, Document, Span
from ..lexicons import table

NAME = "dates"
REQUIRES: tuple[str, ...] = ("sentences",)
ASSIGNS = ("dates",)

FLIP_DAYS = 7  # see "One exception" in the module docstring


# --------------------------------------------------------------------------- lexicon and regexes


def _alt(phrases: Iterable[str]) -> str:
    """A regex alternation of phrases, longest first, spaces matching any run of whitespace."""
    out = []
    for p in sorted(set(phrases), key=lambda s: (-len(s), s)):
        out.append(r"\s+".join(re.escape(w) for w in p.split()))
    return "(?:" + "|".join(out) + ")"


@dataclass(frozen=True)
class _Lex:
    months: dict[str, int]
    full_months: frozenset[str]
    weekdays: dict[str, int]
    weekday_blockers: frozenset[str]
    holidays: dict[str, str]
    day_words: dict[str, int]
    period_modifiers: dict[str, int]
    units: dict[str, str]
    numbers: dict[str, int]
    anchored: dict[str, int]
    temporal_prepositions: frozenset[str]
    past_prepositions: frozenset[str]
    year_blockers: frozenset[str]
    not_past: frozenset[str]
    patterns: dict[str, re.Pattern[str]]
    cue: re.Pattern[str]
    future_cues: frozenset[str]
    past_cues: frozenset[str]
    perfect: frozenset[str]
    weak_past: re.Pattern[str]
    boundary: re.Pattern[str]


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s.lower().replace("’", "'"))


@functools.lru_cache(maxsize=None)
def _lex() -> _Lex:
    rows: dict[str, list[tuple[str, str]]] = {}
    for row in table("dates"):
        rows.setdefault(row["kind"], []).append((row["phrase"].strip().lower(), row["value"].strip()))

    def kind(name: str) -> dict[str, str]:
        return dict(rows.get(name, []))

    months = {p: int(v) for p, v in kind("month").items()}
    longest: dict[int, str] = {}
    for p, v in months.items():
        if len(p) > len(longest.get(v, "")):
            longest[v] = p
    full = frozenset(longest.values())
    abbrevs = [p for p in months if p not in full]
    weekdays = {p: int(v) for p, v in kind("weekday").items()}
    holidays = kind("holiday")
    day_words = {p: int(v) for p, v in kind("day_word").items()}
    mods = {p: int(v) for p, v in kind("period_modifier").items()}
    units = kind("unit")
    numbers = {p: int(v) for p, v in kind("number").items()}
    anchored = {p: int(v) for p, v in kind("anchored").items()}

    mon_any = rf"(?P<mon>{_alt(full)}|{_alt(abbrevs)}\.?)"
    mon_full = rf"(?P<mon>{_alt(full)})"
    day = r"(?P<day>\d{1,2})(?P<suf>st|nd|rd|th)?(?![\w%]|[.,:/]\d)"
    year = r"(?P<year>1\d{3}|20\d{2})(?![\w%]|[.,]\d)"
    year2 = year.replace("(?P<year>", "(?P<year2>")
    num_word = _alt(numbers)
    num = rf"(?<![\w\-])(?P<num>\d{{1,3}}|{num_word}(?:-{num_word})?)"
    rel_year = r"(?:\s+of\s+(?P<yrmod>last|next|this)\s+year)"
    unit = rf"(?P<unit>{_alt(units)})"
    wd = rf"(?P<wd>{_alt(weekdays)})"
    p = {
        # "Monday, May 5" / "Monday, May 5, 2025": one day expression
        "wd_mdy": rf"\b{wd},?\s+{mon_any}\s+{day}(?:,?\s+{year})?",
        "mdy": rf"\b{mon_any}\s+{day}(?:,?\s+{year}|{rel_year})?",
        "dmy": rf"(?<![\w$€£,.\-])(?:(?P<the>the)\s+)?{day}(?:\s+(?P<of>of))?\s+{mon_any}\b(?:,?\s+{year})?",
        "my": rf"\b{mon_any}\s+{year}",
        "iso": r"(?<![\w\-/.])(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?![\w\-/]|\.\d)",
        "part": rf"\b(?P<part>{_alt(kind('part'))})(?:-|\s+)(?:{mon_full}\b(?:,?\s+{year})?|{year2})",
        "relmonth": rf"\b(?P<mod>last|next|this)\s+{mon_full}\b",
        "month": rf"\b{mon_full}\b{rel_year}?",
        "year": r"(?<![\w$€£/])(?P<year>1\d{3}|20\d{2})(?![\w%]|[.,]\d)",
        "nth": r"\bthe\s+(?P<day>\d{1,2})(?P<suf>st|nd|rd|th)\b",
        "dayword": rf"\b(?P<dw>{_alt(day_words)})\b",
        "ago": rf"{num}\s+{unit}\s+ago(?P<today>\s+today)?\b",
        "later": rf"{num}\s+{unit}\s+(?P<dir>later|earlier)\b",
        "anchored": rf"\b(?P<anch>{_alt(anchored)})\b",
        "relperiod": rf"\b(?P<mod>{_alt(mods)})\s+(?P<unit>week|month|year)\b",
        "weekday": rf"\b(?:(?P<mod>last|this|next)\s+)?{wd}\b",
        "holiday": rf"\b(?P<hol>{_alt(holidays)})\b",
    }
    patterns = {k: re.compile(v, re.IGNORECASE) for k, v in p.items()}

    future = [c for c, _ in rows.get("future_cue", [])]
    past = [c for c, _ in rows.get("past_cue", [])]
    perfect = [c for c, _ in rows.get("perfect_auxiliary", [])]
    words_ = [c for c in future + past + perfect if not c.startswith("'")]
    clitics = [c[1:] for c in future + past + perfect if c.startswith("'")]
    cue_re = rf"(?<![\w'])(?P<cue>{_alt(words_)})(?![\w'])"
    if clitics:
        cue_re += rf"|(?<=\w)(?P<clitic>'{_alt(clitics)})(?!\w)"
    boundary = re.compile(
        r"[,;:()\[\]{}—–“”\"«»]|(?<!\w)['‘’]|['‘’](?!\w)|\s-+\s"
        r"|\b(?:that|which|who|whom|whose|when|where|while|whereas|because|although|though|but)\b",
        re.IGNORECASE,
    )
    return _Lex(
        months=months, full_months=full, weekdays=weekdays,
        weekday_blockers=frozenset(kind("weekday_blocker")), holidays=holidays,
        day_words=day_words, period_modifiers=mods, units=units, numbers=numbers, anchored=anchored,
        temporal_prepositions=frozenset(kind("temporal_preposition")),
        past_prepositions=frozenset(kind("past_preposition")),
        year_blockers=frozenset(kind("year_blocker")), not_past=frozenset(kind("not_past")),
        patterns=patterns, cue=re.compile(cue_re), future_cues=frozenset(future),
        past_cues=frozenset(past), perfect=frozenset(perfect),
        weak_past=re.compile(r"(?<![\w'])[a-z][a-z\-]*[a-z]ed(?![\w'])"), boundary=boundary,
    )


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class _Cand:
    start: int
    end: int
    kind: str
    g: dict[str, str | None]


_WORD_BEFORE = re.compile(r"([\w.'’\-]+)\s*$")
_TWO_WORDS_BEFORE = re.compile(r"([\w.'’\-]+),?\s+(?:and|or|to|through)\s*$", re.IGNORECASE)
_NTH_PAIR = re.compile(r"\s+(?:and|or|to|through)\s+(?:the\s+)?\d{1,2}(?:st|nd|rd|th)(?![\w]|\s+[A-Za-z0-9])")
# Words that may follow "the 9th" when it is a day ("on the 9th in Istanbul", "on the 3rd and left").
_AFTER_DAY = frozenset("in at on when after before with as by from during while following amid near but "
                       "until since this last next".split())
_WORD_AFTER = re.compile(r"^\s*([\w'’\-]+)")
_PLURAL_STOP = frozenset("was is has as this thus its his us yes less unless plus versus across always "
                         "does its perhaps".split())
_UNITS = frozenset("km kilometres kilometers miles metres meters kg tonnes tons feet ft hectares euros "
                   "dollars pounds roubles rubles hryvnias".split())


def _word_before(text: str, pos: int) -> str:
    m = _WORD_BEFORE.search(text, max(0, pos - 40), pos)
    return m.group(1) if m else ""


def _word_after(text: str, pos: int) -> str:
    m = _WORD_AFTER.match(text[pos:pos + 40])
    return m.group(1) if m else ""


def _cap(s: str | None) -> bool:
    return bool(s) and s[0].isupper()


def _prev_is_preposition(text: str, start: int, lex: _Lex) -> bool:
    w = _word_before(text, start).lower().rstrip(".")
    if w in ("and", "or", "to", "through"):
        # "March and April", "from March to May": only when a date word comes before.
        m = _TWO_WORDS_BEFORE.search(text, max(0, start - 60), start)
        b = m.group(1).lower().rstrip(".") if m else ""
        return b in lex.months or b.isdigit() or re.fullmatch(r"\d{1,2}(st|nd|rd|th)", b) is not None
    return w in lex.temporal_prepositions


def _ordinal_ok(day: str, suf: str | None) -> bool:
    if not suf:
        return True
    n = int(day)
    want = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return suf.lower() == want


def _keep(text: str, c: _Cand, lex: _Lex) -> bool:
    g = c.g
    k = c.kind
    if g.get("mon") and not _cap(g["mon"]):
        return False
    if g.get("wd") and not _cap(g["wd"]):
        return False
    if g.get("day") is not None and k != "iso":
        if not 1 <= int(g["day"]) <= 31 or not _ordinal_ok(g["day"], g.get("suf")):
            return False
    if k == "dmy":
        # "the 9th of May" needs the ordinal or "of"; a bare "the 8 May" is not taken.
        if g.get("the") and not (g.get("suf") or g.get("of")):
            return False
    if k == "month" and not _prev_is_preposition(text, c.start, lex):
        return False
    if k == "weekday":
        prev = _word_before(text, c.start).lower()
        if prev in lex.weekday_blockers:
            return False
        # "the Sunday Times": a weekday between "the" and a capitalised word is a name.
        if not g.get("mod") and prev == "the" and _cap(_word_after(text, c.end)):
            return False
    if k == "holiday":
        if not _cap(text[c.start:c.end]) or not _prev_is_preposition(text, c.start, lex):
            return False
    if k == "dayword":
        s = text[c.start:c.end]
        # "Russia Today", "USA Today": a capitalised "Today" after a capitalised word is a name.
        if s[:1].isupper() and s.lower() == "today":
            prev = _word_before(text, c.start)
            if _cap(prev) and not text[:c.start].rstrip().endswith((".", "!", "?", "\"", "“", "‘")):
                return False
    if k == "nth":
        after = text[c.end:c.end + 40]
        # "the 19th sanctions package", "the 155th Brigade" are ordinals, not days; "on the 3rd and
        # the 5th" is two days.
        nxt = re.match(r"\s+([A-Za-z0-9]+)", after)
        if re.match(r"\s*\d", after):
            return False
        if nxt and not re.match(r"\s*[,.;:!?)]", after):
            w = nxt.group(1).lower()
            if w in ("and", "or", "to", "through"):
                if re.match(r"\s+\w+\s+(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b", after) and not _NTH_PAIR.match(after):
                    return False  # "the 1st and 2nd battalions"
            elif w not in _AFTER_DAY:
                return False
    if k == "relperiod":
        if _word_before(text, c.start).lower() in ("the", "a", "every", "each", "per", "that"):
            return False  # "in the last week" is a duration
    if k == "anchored":
        a = _norm(g["anch"] or "")
        if a in ("the day before", "the day after") and re.match(r"\s*[A-Za-z0-9]", text[c.end:c.end + 5]):
            return False  # "the day before the vote" names the vote, not a date
    if k in ("ago", "later") and g.get("num") and g["num"].isdigit() and int(g["num"]) == 0:
        return False
    if k == "iso":
        try:
            _dt.date(int(g["year"]), int(g["month"]), int(g["day"]))
        except ValueError:
            return False
    if k == "year":
        return _keep_year(text, c, lex)
    return True


def _keep_year(text: str, c: _Cand, lex: _Lex) -> bool:
    y = int(c.g["year"] or 0)
    before = text[max(0, c.start - 6):c.start]
    after = text[c.end:c.end + 6]
    if before.endswith(("-", "–")):
        # only the second year of a range ("2014-2022"); "Su-2024" and "mid-" (handled elsewhere) are not
        if not re.search(r"(?<!\d)\d{4}[-–]$", before):
            return False
    if before.endswith((".", ",")) and re.search(r"\d[.,]$", before):
        return False
    if re.match(r"[-–/]\d", after):
        # "2014-2022" and "2022-23" ranges: the first year counts; "2024/25" too
        if not re.match(r"[-–/](\d{2}|\d{4})(?!\d)", after):
            return False
    prev = _word_before(text, c.start)
    prev_l = prev.lower()
    if prev_l in lex.year_blockers or prev_l.rstrip(".") in lex.year_blockers:
        return False
    if _is_code(prev):
        return False  # a designation before it: "T-72B3 2016"
    if _cap(prev) and _is_code(_word_before(text, c.start - len(prev) - 1)):
        return False  # a designation and a name before it: "T-90M Proryv 2023"
    preposition = _prev_is_preposition(text, c.start, lex)
    if not preposition:
        if not 1800 <= y <= 2099:
            return False
        nxt = _word_after(text, c.end)
        if nxt and nxt[0].islower():
            n = nxt.lower()
            if n in _UNITS:
                return False  # "2000 km"
            if y % 100 == 0 and n.endswith("s") and not n.endswith(("'s", "’s", "ss")) and n not in _PLURAL_STOP:
                return False  # "2000 troops" is a quantity; "2023 figures" is a year
    return True


def _is_code(word: str) -> bool:
    """A model designation: letters and digits in one token ("T-72B3", "Su-57", "F-16")."""
    return bool(re.search(r"[A-Za-z]", word) and re.search(r"\d", word))


def candidates(text: str) -> list[_Cand]:
    """All date expressions in `text`, non-overlapping, in text order (longest candidate wins)."""
    lex = _lex()
    found: list[_Cand] = []
    for kind, pat in lex.patterns.items():
        for m in pat.finditer(text):
            c = _Cand(m.start(), m.end(), kind, m.groupdict())
            if _keep(text, c, lex):
                found.append(c)
    found.sort(key=lambda c: (-(c.end - c.start), c.start))
    used = bytearray(len(text))
    taken: list[_Cand] = []
    for c in found:
        if not any(used[c.start:c.end]):
            used[c.start:c.end] = b"\x01" * (c.end - c.start)
            taken.append(c)
    taken.sort(key=lambda c: c.start)
    return taken


# --------------------------------------------------------------------------- tense


def _cues(text: str, lo: int, hi: int, lex: _Lex, skip: Iterable[tuple[int, int]]
          ) -> tuple[list[tuple[int, int, str]], bool]:
    """Strong cues (start, end, 'past'|'future') in text[lo:hi], and whether a weak past cue is there.
    Words inside date expressions (`skip`: "May" in "9 May", "next" in "next week") are not cues."""
    low = text[lo:hi].lower().replace("’", "'")
    skip = [(a, b) for a, b in skip if a < hi and lo < b]

    def skipped(s: int, e: int) -> bool:
        return any(s < b and a < e for a, b in skip)

    def passive(i: int) -> bool:  # "to be held", "will be signed": a participle after "be" is not past
        return re.search(r"\b(?:be|being)\s+$", low[max(0, i - 7):i]) is not None

    strong = []
    for m in lex.cue.finditer(low):
        s, e = lo + m.start(), lo + m.end()
        if skipped(s, e):
            continue
        cue = _norm(m.group("cue") or m.group("clitic") or "")
        if cue in lex.perfect and not _perfect_tense(low, m.start(), m.end(), lex):
            continue
        if cue in lex.past_cues and passive(m.start()):
            continue
        strong.append((s, e, "future" if cue in lex.future_cues else "past"))
    weak = False
    for m in lex.weak_past.finditer(low):
        s, e = lo + m.start(), lo + m.end()
        if skipped(s, e) or m.group(0) in lex.not_past or not text[s].islower() or passive(m.start()):
            continue
        weak = True
        break
    return strong, weak


_NEXT_WORDS = re.compile(r"\s+([a-z][a-z'\-]*)(?:\s+([a-z][a-z'\-]*))?")
_ADVERBS = frozenset("also already not never since just now long still yet recently repeatedly reportedly "
                     "previously largely".split())


def _perfect_tense(low: str, start: int, end: int, lex: _Lex) -> bool:
    """True when has/have at low[start:end] is a perfect auxiliary: a participle follows it and no "to"
    comes before it ("has declared", "have already held"; not "to have a framework agreed")."""
    if re.search(r"\bto\s+$", low[max(0, start - 4):start]):
        return False
    m = _NEXT_WORDS.match(low, end)
    if not m:
        return False
    words_ = [w for w in m.groups() if w]
    if words_ and (words_[0] in _ADVERBS or words_[0].endswith("ly")) and len(words_) > 1:
        words_ = words_[1:]
    w = words_[0] if words_ else ""
    return w == "been" or (w.endswith("ed") and len(w) > 4) or w in lex.past_cues


def _nearest(strong: list[tuple[int, int, str]], span: tuple[int, int]) -> str:
    def dist(c: tuple[int, int, str]) -> tuple[int, int]:
        if c[1] <= span[0]:
            return (span[0] - c[1], 0)
        return (c[0] - span[1], 1)
    return min(strong, key=dist)[2]


def tense(text: str, sentence: Span | None, start: int, end: int,
          dates: Iterable[tuple[int, int]] = ()) -> str | None:
    """'past', 'future' or None (unknown) for the expression text[start:end] in `sentence`;
    `dates` are the spans of all date expressions, whose words are not tense cues."""
    lex = _lex()
    if _word_before(text, start).lower() in lex.past_prepositions:
        return "past"
    lo, hi = (sentence.start, sentence.end) if sentence else (max(0, start - 200), min(len(text), end + 200))
    lo, hi = min(lo, start), max(hi, end)
    c_lo, c_hi = lo, hi
    for m in lex.boundary.finditer(text, lo, hi):
        if m.end() <= start:
            c_lo = m.end()
        elif m.start() >= end:
            c_hi = m.start()
            break
    for a, b in ((c_lo, c_hi), (lo, hi)):
        strong, weak = _cues(text, a, b, lex, [(start, end), *dates])
        if strong:
            return _nearest(strong, (start, end))
        if weak:
            return "past"
    return None


# --------------------------------------------------------------------------- resolution


def _choose(cands: list, pivot, t: str | None, near=None):
    """The candidate on the tense's side of `pivot` (inclusive); `near(a, b)` is the distance."""
    cands = sorted(cands)
    past = [c for c in cands if c <= pivot]
    fut = [c for c in cands if c >= pivot]
    p = past[-1] if past else None
    f = fut[0] if fut else None
    if p is None or f is None:
        return p if f is None else f
    if t == "past":
        if near is not None and near(f, pivot) <= FLIP_DAYS < near(pivot, p):
            return f
        return p
    if t == "future":
        if near is not None and near(pivot, p) <= FLIP_DAYS < near(f, pivot):
            return p
        return f
    return p if _distance(pivot, p) <= _distance(f, pivot) else f


def _distance(a, b) -> int:
    if isinstance(a, _dt.date):
        return (a - b).days
    return a - b


def _days(a: _dt.date, b: _dt.date) -> int:
    return (a - b).days


def _valid(y: int, m: int, d: int) -> _dt.date | None:
    try:
        return _dt.date(y, m, d)
    except ValueError:
        return None


def _easter(y: int) -> _dt.date:
    """Western (Gregorian) Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = y % 19, y // 100, y % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return _dt.date(y, month, day)


def _orthodox_easter(y: int) -> _dt.date:
    """Orthodox Easter Sunday (Julian computus), as a Gregorian date (valid 1900-2099)."""
    a, b, c = y % 4, y % 7, y % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month = (d + e + 114) // 31
    day = (d + e + 114) % 31 + 1
    return _dt.date(y, month, day) + _dt.timedelta(days=13)


def _holiday(rule: str, y: int) -> _dt.date | None:
    m = re.fullmatch(r"(easter|orthodox_easter)([+-]\d+)", rule)
    if m:
        base = _easter(y) if m.group(1) == "easter" else _orthodox_easter(y)
        return base + _dt.timedelta(days=int(m.group(2)))
    mm, dd = rule.split("-")
    return _valid(y, int(mm), int(dd))


def _iso_week(d: _dt.date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def _month_index(y: int, m: int) -> int:
    return y * 12 + m - 1


def _month_str(i: int) -> str:
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def _add_months(d: _dt.date, n: int) -> _dt.date:
    i = _month_index(d.year, d.month) + n
    y, m = i // 12, i % 12 + 1
    return _dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


@dataclass
class _Anchor:
    """A resolved date in the text, for "two days later" and "the next morning"."""

    date: _dt.date | None = None  # a real date, or a year-2000 stand-in when year_known is false
    granularity: str | None = None
    year_known: bool = True


class _Anchors:
    """The last resolved date of each granularity, in text order. A phrase counting in days or weeks
    counts from the last day date ("on Saturday ... in September ... the next morning" -> Sunday);
    one counting in months or years from the last date at least that fine."""

    def __init__(self) -> None:
        self.last: dict[str, tuple[int, _Anchor]] = {}
        self.n = 0

    def add(self, a: _Anchor) -> None:
        self.n += 1
        self.last[a.granularity or "year"] = (self.n, a)

    def for_unit(self, unit: str) -> _Anchor:
        allowed = ("day",) if unit in ("day", "week") else [g for g in _GRAN_ORDER if _GRAN_ORDER[g] <= _GRAN_ORDER[unit]]
        best = max((self.last[g] for g in allowed if g in self.last), default=None, key=lambda t: t[0])
        return best[1] if best else _Anchor()


_GRAN_ORDER = {"day": 0, "week": 1, "month": 2, "year": 3}
_UNKNOWN = "XXXX"


def _number(s: str, lex: _Lex) -> int:
    s = _norm(s)
    return int(s) if s.isdigit() else sum(lex.numbers[w] for w in s.split("-"))


def _resolve(c: _Cand, text: str, pub: _dt.date | None, t_fn, anchors: _Anchors, lex: _Lex,
             range_from: _Anchor | None = None):
    """(value, year_resolved, granularity, anchor update (date, granularity, year_known) or None).
    `range_from` is the resolved start of a range this expression ends ("from May 8 to May 10")."""
    g, k = c.g, c.kind
    after_day = range_from.date if range_from and range_from.granularity == "day" else None
    after_month = (_month_index(range_from.date.year, range_from.date.month)
                   if range_from and range_from.granularity == "month" else None)

    def day_out(d: _dt.date | None, known: bool = True):
        if d is None:
            return (_UNKNOWN, False, "day", None)
        if known:
            return (d.isoformat(), True, "day", (d, "day", True))
        return (f"XXXX-{d.month:02d}-{d.day:02d}", False, "day", (d, "day", False))

    def month_num() -> int:
        return lex.months[(g["mon"] or "").lower().rstrip(".")]

    if k == "iso":
        return day_out(_dt.date(int(g["year"]), int(g["month"]), int(g["day"])))

    if k in ("mdy", "dmy", "wd_mdy"):
        mon, day = month_num(), int(g["day"])
        if g.get("yrmod") and pub is not None:  # "June 16th of last year"
            d = _valid(pub.year + lex.period_modifiers[g["yrmod"].lower()], mon, day)
            return day_out(d) if d else None
        if g.get("year"):
            d = _valid(int(g["year"]), mon, day)
            return day_out(d) if d else None
        if _valid(2000, mon, day) is None:
            return None
        if pub is None:
            return day_out(_dt.date(2000, mon, day), known=False)
        cands = [d for y in range(pub.year - 4, pub.year + 5) if (d := _valid(y, mon, day))]
        if after_day is not None and any(d >= after_day for d in cands):
            return day_out(min(d for d in cands if d >= after_day))
        return day_out(_choose(cands, pub, t_fn(), near=_days))

    if k == "holiday":
        rule = lex.holidays[_norm(g["hol"])]
        fixed = not rule.startswith(("easter", "orthodox"))
        if pub is None:
            return day_out(_holiday(rule, 2000), known=False) if fixed else (_UNKNOWN, False, "day", None)
        cands = [d for y in range(pub.year - 1, pub.year + 2) if (d := _holiday(rule, y))]
        return day_out(_choose(cands, pub, t_fn(), near=_days))

    if k == "my":
        y, mon = int(g["year"]), month_num()
        return (f"{y:04d}-{mon:02d}", True, "month", (_dt.date(y, mon, 1), "month", True))

    if k in ("month", "relmonth") or (k == "part" and g.get("mon")):
        mon = month_num()
        if k == "part" and g.get("year"):
            i = _month_index(int(g["year"]), mon)
            return (_month_str(i), True, "month", (_dt.date(i // 12, i % 12 + 1, 1), "month", True))
        if pub is None:
            return (f"XXXX-{mon:02d}", False, "month", None)
        p = _month_index(pub.year, pub.month)
        cands = [_month_index(y, mon) for y in range(pub.year - 1, pub.year + 2)]
        mod = (g.get("mod") or "").lower()
        if g.get("yrmod"):  # "March of next year"
            i = _month_index(pub.year + lex.period_modifiers[g["yrmod"].lower()], mon)
        elif mod == "last":
            i = max(x for x in cands if x < p)
        elif mod == "next":
            i = min(x for x in cands if x > p)
        elif mod == "this":
            i = _month_index(pub.year, mon)
        elif after_month is not None and any(x >= after_month for x in cands):
            i = min(x for x in cands if x >= after_month)
        else:
            i = _choose(cands, p, t_fn())
        return (_month_str(i), True, "month", (_dt.date(i // 12, i % 12 + 1, 1), "month", True))

    if k in ("year", "part"):
        y = int(g.get("year") or g["year2"])
        return (f"{y:04d}", True, "year", (_dt.date(y, 1, 1), "year", True))

    if k == "weekday":
        if pub is None:
            return (_UNKNOWN, False, "day", None)
        wd = lex.weekdays[g["wd"].lower()]
        mod = (g.get("mod") or "").lower()
        monday = pub - _dt.timedelta(days=pub.isoweekday() - 1)
        if mod in ("last", "this", "next"):
            shift = {"last": -7, "this": 0, "next": 7}[mod]
            return day_out(monday + _dt.timedelta(days=shift + wd - 1))
        cands = [pub + _dt.timedelta(days=n) for n in range(-7, 8)
                 if (pub + _dt.timedelta(days=n)).isoweekday() == wd]
        return day_out(_choose(cands, pub, t_fn()))

    if k == "nth":
        if pub is None:
            return (_UNKNOWN, False, "day", None)
        n = int(g["day"])
        cands = []
        for off in range(-3, 4):
            d0 = _add_months(pub.replace(day=1), off)
            if d := _valid(d0.year, d0.month, n):
                cands.append(d)
        return day_out(_choose(cands, pub, t_fn()))

    if k == "dayword":
        if pub is None:
            return (_UNKNOWN, False, "day", None)
        return day_out(pub + _dt.timedelta(days=lex.day_words[_norm(g["dw"])]))

    if k == "relperiod":
        unit = g["unit"].lower()
        off = lex.period_modifiers[_norm(g["mod"])]
        if pub is None:
            return (_UNKNOWN, False, unit, None)
        if unit == "week":
            d = pub + _dt.timedelta(days=7 * off)
            return (_iso_week(d), True, "week", (d, "week", True))
        if unit == "month":
            i = _month_index(pub.year, pub.month) + off
            return (_month_str(i), True, "month", (_dt.date(i // 12, i % 12 + 1, 1), "month", True))
        y = pub.year + off
        return (f"{y:04d}", True, "year", (_dt.date(y, 1, 1), "year", True))

    if k == "ago":
        unit = lex.units[g["unit"].lower()]
        n = _number(g["num"], lex)
        gran = "day" if g.get("today") else unit
        if pub is None:
            return (_UNKNOWN, False, gran, None)
        d = _shift(pub, unit, -n)
        return _out(d, gran)

    if k in ("later", "anchored"):
        if k == "later":
            unit = lex.units[g["unit"].lower()]
            n = _number(g["num"], lex) * (1 if g["dir"].lower() == "later" else -1)
        else:
            unit, n = "day", lex.anchored[_norm(g["anch"])]
        gran = unit
        anchor = anchors.for_unit(unit)
        if anchor.date is None:
            return (_UNKNOWN, False, gran, None)
        d = _shift(anchor.date, unit, n)
        if not anchor.year_known:
            if gran == "day":
                return (f"XXXX-{d.month:02d}-{d.day:02d}", False, "day", (d, "day", False))
            if gran == "month":
                return (f"XXXX-{d.month:02d}", False, "month", None)
            return (_UNKNOWN, False, gran, None)
        return _out(d, gran)
    return None


def _shift(d: _dt.date, unit: str, n: int) -> _dt.date:
    if unit == "day":
        return d + _dt.timedelta(days=n)
    if unit == "week":
        return d + _dt.timedelta(days=7 * n)
    if unit == "month":
        return _add_months(d, n)
    return _add_months(d, 12 * n)


def _out(d: _dt.date, gran: str):
    if gran == "day":
        return (d.isoformat(), True, "day", (d, "day", True))
    if gran == "week":
        return (_iso_week(d), True, "week", (d, "week", True))
    if gran == "month":
        return (f"{d.year:04d}-{d.month:02d}", True, "month", (d, "month", True))
    return (f"{d.year:04d}", True, "year", (d, "year", True))


# What joins the two ends of a range: "May 8 to May 10", "between October 8 and October 13", "March-May".
_RANGE_LINK = re.compile(r"\s*(?:to|and|until|till|through|-|–|—)\s*", re.IGNORECASE)


def find_dates(doc: Document) -> tuple[DateMention, ...]:
    lex = _lex()
    text = doc.text
    pub = _dt.date.fromisoformat(doc.published[:10]) if doc.published else None
    starts = [s.start for s in doc.sentences]
    anchors = _Anchors()
    out = []
    cands = candidates(text)
    spans = [(c.start, c.end) for c in cands]
    prev: tuple[int, _Anchor] | None = None  # end of the previous expression and its resolved date
    for c in cands:
        range_from = None
        if prev is not None and prev[1].year_known and _RANGE_LINK.fullmatch(text, prev[0], c.start):
            range_from = prev[1]
        i = bisect.bisect_right(starts, c.start) - 1
        sent = doc.sentences[i] if i >= 0 and doc.sentences[i].end > c.start else None

        def t_fn(c=c, sent=sent):
            return tense(text, sent, c.start, c.end, spans)

        r = _resolve(c, text, pub, t_fn, anchors, lex, range_from)
        if r is None:
            continue
        value, resolved, gran, upd = r
        prev = None
        if upd is not None:
            anchors.add(_Anchor(*upd))
            prev = (c.end, _Anchor(*upd))
        out.append(DateMention(doc.span(c.start, c.end), value, resolved, gran))
    return tuple(out)


def run(doc: Document) -> Document:
    return doc.evolve(dates=find_dates(doc))
