"""Quote marks -> quoted spans -> quotations.

requires: paragraphs, sentences
assigns:  quoted, quotes (direct and partial, no speaker yet), warnings

Every quote-mark character is read with its neighbours to decide whether it can open, close, or
is an apostrophe (O'Brien, soldiers'). Marks are paired with a stack per document, so nested
quotes pair inside their outer quote. A quote left open at the end of a paragraph continues when
the next paragraph opens with a mark of the same family (the multi-paragraph convention);
otherwise the mark is unbalanced and becomes a warning. Each top-level pair is then given a
function (quotation, name, scare, mention); only quotations become quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..document import Document, Quote, QuotedSpan, Span
from ..lexicons import verb_forms
from ..quote_function import classify_all as classify_functions, inner_text
from ..spans import SpanIndex

NAME = "quotes"
REQUIRES = ("paragraphs", "sentences")
ASSIGNS = ("quoted", "quotes", "warnings")

DOUBLE, SINGLE, GUILLEMET = "double", "single", "guillemet"

# glyph -> family. Multi-character glyphs ('' and ``) are matched first.
_GLYPHS = {
    "''": DOUBLE, "``": DOUBLE, '"': DOUBLE, "“": DOUBLE, "”": DOUBLE, "„": DOUBLE, "‟": DOUBLE,
    "'": SINGLE, "‘": SINGLE, "’": SINGLE, "‚": SINGLE, "‛": SINGLE,
    "«": GUILLEMET, "»": GUILLEMET, "‹": SINGLE, "›": SINGLE,
}
_MARK = re.compile(r"''|``|[\"“”„‟'‘’‚‛«»‹›]")
_OPEN_CONTEXT = set("([{—–-/ \t\n\r\u00a0\u2009\u200b:;")
_CLOSE_CONTEXT = set(")]}—–-/.,;:!?…")
_TERMINAL = set(".,!?…—–:;-")
_AFTER_A_CLOSER = set(",.;:!?)")


@dataclass
class Mark:
    pos: int
    glyph: str
    family: str
    can_open: bool
    can_close: bool
    weak_close: bool = False  # "soldiers’ " — a closer, or a plural possessive
    para: int = 0

    @property
    def end(self) -> int:
        return self.pos + len(self.glyph)


def _is_quote_char(ch: str) -> bool:
    return ch in _GLYPHS or ch == "`"


def read_marks(text: str, paras: SpanIndex) -> list[Mark]:
    """Every candidate quote mark, with whether its context lets it open or close."""
    marks = []
    for m in _MARK.finditer(text):
        glyph, pos = m.group(), m.start()
        prev = text[pos - 1] if pos > 0 else " "
        nxt = text[m.end()] if m.end() < len(text) else " "
        family = _GLYPHS[glyph]
        left = not nxt.isspace() and (prev in _OPEN_CONTEXT or prev.isspace() or _is_quote_char(prev) or pos == 0)
        right = not prev.isspace() and (
            nxt.isspace() or nxt in _CLOSE_CONTEXT or _is_quote_char(nxt) or m.end() == len(text)
        )
        weak = False
        if glyph in ("'", "’", "‛"):
            if prev.isalnum() and nxt.isalnum():
                continue  # apostrophe inside a word: O'Brien, People’s, don't
            if not prev.isalnum() and prev not in _CLOSE_CONTEXT and nxt.isdigit():
                continue  # '90s
            # "soldiers’ families" may be a possessive; "‘Cartel de los Soles’," is not: a possessive
            # is followed by its noun, never by punctuation
            weak = right and prev in "sSzZ" and nxt not in _AFTER_A_CLOSER
        if glyph in ("”", "»", "›") and not left:
            can_open, can_close = False, True
        elif glyph in ("„", "‚", "«", "‹", "``"):
            can_open, can_close = True, False
        elif glyph in ("“", "‘"):
            # Opening marks in English; closing marks after „ / ‚ (German style), decided in pairing.
            can_open, can_close = True, right and not left
        else:
            can_open, can_close = left or not right, right or not left
        para_i = paras.index_at(pos)
        marks.append(Mark(pos, glyph, family, can_open, can_close, weak, para_i if para_i is not None else 0))
    return marks


def _closes(opener: Mark, closer: Mark) -> bool:
    if opener.family != closer.family:
        return False
    if opener.glyph in ("„", "‚"):
        return closer.glyph in ("“", "‘", "”", "’", '"', "'")
    if closer.glyph in ("“", "‘"):
        return closer.can_close
    return closer.can_close


def _next_same_family(marks: list[Mark], i: int) -> Mark | None:
    m = marks[i]
    for other in marks[i + 1:]:
        if other.para != m.para:
            return None
        if other.family == m.family:
            return other
    return None


@dataclass
class Pair:
    opener: Mark
    closer: Mark
    pieces: list[tuple[int, int]]  # one (start, end) run per paragraph


@dataclass
class _Open:
    mark: Mark
    pieces: list[tuple[int, int]]  # finished runs of a multi-paragraph quote
    resume: int  # where the current run starts
    reopener: Mark | None = None


def _can_close_any(stack: list[_Open], mark: Mark) -> int | None:
    """Depth of the open quote `mark` closes; single quotes left open inside may be skipped."""
    if not mark.can_close:
        return None
    for d in range(len(stack) - 1, -1, -1):
        if _closes(stack[d].mark, mark):
            return d
        if stack[d].mark.family != SINGLE:
            return None  # never close across an open double quote or guillemet
    return None


def pair_marks(doc: Document, marks: list[Mark]) -> tuple[list[Pair], list[tuple[Mark, str]]]:
    """Pair openers with closers; return the pairs and the unbalanced marks with a reason."""
    stack: list[_Open] = []
    pairs: list[Pair] = []
    problems: list[tuple[Mark, str]] = []
    paras = doc.paragraphs

    def drop_open(reason: str) -> None:
        while stack:
            opened = stack.pop()
            if opened.mark.glyph in ("'", "’"):
                continue  # a stray apostrophe ('em, 'n') is not worth a warning
            problems.append((opened.mark, reason))

    def end_paragraph(para_i: int, first_of_next: Mark | None) -> None:
        """A quote open at a paragraph break goes on only if the next paragraph reopens it."""
        if not stack:
            return
        if (
            len(stack) == 1
            and first_of_next is not None
            and first_of_next.para == para_i + 1
            and first_of_next.pos == paras[first_of_next.para].start
            and first_of_next.can_open
            and first_of_next.family == stack[0].mark.family
        ):
            opened = stack[0]
            opened.pieces.append((opened.resume, paras[para_i].end))
            opened.resume = first_of_next.pos
            opened.reopener = first_of_next
            return
        if (
            len(stack) == 1
            and first_of_next is not None
            and first_of_next.para == para_i + 1
            and first_of_next.family == stack[0].mark.family
            and first_of_next.can_close
            and not first_of_next.can_open
        ):
            return  # a line break inside one quote: the next paragraph closes it
        drop_open("opening quote mark never closed in its paragraph")

    for i, mark in enumerate(marks):
        if i > 0 and mark.para != marks[i - 1].para:
            for p in range(marks[i - 1].para, mark.para):
                end_paragraph(p, mark if p == mark.para - 1 else None)
            if stack and stack[0].reopener is mark:
                continue
        depth = _can_close_any(stack, mark)
        if depth is not None and mark.weak_close:
            nxt = _next_same_family(marks, i)
            if nxt is not None and nxt.can_close and not nxt.can_open:
                continue  # "soldiers’ families,’" — the later mark closes; this is a possessive
        if depth is not None:
            while len(stack) > depth + 1:
                stray = stack.pop()
                if stray.mark.family != SINGLE:
                    problems.append((stray.mark, "opening quote mark never closed"))
            opened = stack.pop()
            pairs.append(Pair(opened.mark, mark, opened.pieces + [(opened.resume, mark.end)]))
        elif mark.can_open:
            stack.append(_Open(mark, [], mark.pos))
        elif mark.family == SINGLE and mark.glyph in ("'", "’"):
            continue  # after a word with nothing open: a plural possessive or an elision
        else:
            problems.append((mark, "closing quote mark with no opening mark"))
    if marks:
        end_paragraph(marks[-1].para, None)
    pairs.sort(key=lambda p: p.opener.pos)
    return pairs, problems


# --- kind of a quotation ------------------------------------------------------------------

_WORD = re.compile(r"[\w][\w'’\-]*")


def quote_kind(doc: Document, span: Span, sentence: Span | None) -> str:
    """direct for a quote that stands as its own statement, partial for a fragment."""
    text = doc.text
    content = inner_text(span)
    start = sentence.start if sentence else 0
    lead = text[start:span.start].rstrip()
    lead_words = _WORD.findall(lead[-40:].lower())
    after_cue = bool(lead_words) and (
        lead_words[-1] in verb_forms("speech_verbs")
        or len(lead_words) > 1 and lead_words[-1] == "that" and lead_words[-2] in verb_forms("speech_verbs")
    )
    stands_alone = not lead or lead[-1] in ",:—–-(" or lead[-1] in "\"'”’»“‘«" or lead.endswith("...")
    if after_cue and len(_WORD.findall(content)) >= 3 and not content[:1].islower():
        return "direct"  # the quote is the whole content of its cue: 'Gingrich called "the ..."'

    ends = content[-1:] in _TERMINAL or content.endswith("...")
    if not ends:
        tail = text[span.end:span.end + 3].lstrip()
        ends = not tail or tail[0] in ".!?,;"
    if stands_alone and ends and content[:1] and not content[:1].islower():
        return "direct"
    if stands_alone and ends and len(_WORD.findall(content)) >= 6:
        return "direct"
    return "partial"


def run(doc: Document) -> Document:
    paras = SpanIndex(doc.paragraphs)
    sents = SpanIndex(doc.sentences)
    marks = read_marks(doc.text, paras)
    pairs, problems = pair_marks(doc, marks)
    quoted: list[QuotedSpan] = []
    quotes: list[Quote] = []
    top_end = -1
    spans = [doc.span(pair.opener.pos, pair.closer.end) for pair in pairs]
    sentences = [sents.at(span.start) for span in spans]
    # Multi-paragraph quotes are quotations by their form; every other pair is classified, all at once.
    single = [i for i, pair in enumerate(pairs) if len(pair.pieces) == 1]
    functions, over_budget = classify_functions(doc, [(spans[i], sentences[i]) for i in single])
    classified = dict(zip(single, functions))
    if over_budget:
        doc = doc.warn(NAME, "quote-function-budget",
                       f"{over_budget} quote-mark pairs kept the feature model's function: the encoder "
                       "had read as many distinct sentences in this document as it may")
    function_of = [classified.get(n, ("quotation", None)) for n in range(len(pairs))]
    for pair, span, sentence, (function, confidence) in zip(pairs, spans, sentences, function_of):
        nested = pair.opener.pos < top_end
        pieces = tuple(doc.span(s, e) for s, e in pair.pieces)
        quoted.append(QuotedSpan(span, function, pieces, nested, confidence))
        if nested:
            continue
        top_end = span.end
        if function != "quotation":
            continue
        for piece in pieces:
            kind = "direct" if len(pieces) > 1 else quote_kind(doc, piece, sentence)
            quotes.append(Quote(id=f"q{len(quotes) + 1}", kind=kind, span=piece))
    for mark, reason in problems:
        doc = doc.warn(NAME, "unbalanced-quote", reason, doc.span(mark.pos, mark.end))
    return doc.evolve(quoted=tuple(quoted), quotes=tuple(quotes))
