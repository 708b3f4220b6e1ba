"""Reported speech: indirect and mixed attributions, found on the dependency parse.

Used by the attribution stage, which parses the windows around quotes and the sentences holding
a cue word once and hands the parse to both direct-quote attribution and this module.

An attribution is a cue (a speech, report, belief or intention verb, or "according to") with
content: the verb's clausal complement ("X said (that) ...", "..., officials said", "X warned
...", "X vowed to ..."), or for "according to X" the rest of its sentence. The speaker is the
verb's subject (or the passive agent, or the object of "according to"); "it was reported that
..." has no speaker. Content holding a quotation is `mixed`, otherwise `indirect`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .document import Document, Span
from .lexicons import verb_forms, words
from .parse import Parsed, Tok

_SUBJECTS = {"nsubj", "nsubjpass", "csubj"}
CUE_LISTS = ("speech_verbs", "belief_verbs", "intention_verbs", "stance_verbs")


@functools.lru_cache(maxsize=None)
def cue_pattern() -> re.Pattern[str]:
    """One compiled pattern for every form of every attribution verb, plus "according to"."""
    forms = frozenset().union(*(verb_forms(name) for name in CUE_LISTS))
    alternation = "|".join(sorted((re.escape(f) for f in forms), key=lambda e: (-len(e), e)))
    return re.compile(r"(?<![\w'’-])(?:" + alternation + r"|according to|citing)(?![\w'’-])", re.IGNORECASE)


def has_cue(text: str, start: int, end: int) -> bool:
    return cue_pattern().search(text, start, end) is not None


@dataclass(frozen=True)
class Reported:
    cue: Tok
    content: Span
    speaker: Tok | None


def _lemma_in(tok: Tok, name: str) -> bool:
    return tok.lemma in words(name)


def _trimmed(doc: Document, toks: list[Tok]) -> Span | None:
    toks = [t for t in toks if not t.text.isspace()]
    while toks and (toks[-1].pos == "PUNCT" and toks[-1].text not in ("”", "’", '"', "''")):
        toks.pop()
    while toks and toks[0].pos in ("PUNCT", "CCONJ") and toks[0].text not in ("“", "‘", '"', "''"):
        toks.pop(0)
    if not toks:
        return None
    return doc.span(toks[0].start, toks[-1].end)


_CONTENT_PREPS = {"for", "about", "of", "to", "on", "against", "with", "over"}


def _content_child(parsed: Parsed, verb: Tok, inside_quote) -> Tok | None:
    """The clause (or, for stance verbs, the object) that is the content of `verb`."""
    children = [c for c in parsed.children(verb) if not inside_quote(c)]
    for child in children:
        if child.dep == "ccomp":
            return child
    stance = _lemma_in(verb, "stance_verbs")
    if stance or _lemma_in(verb, "intention_verbs"):
        for child in children:
            if child.dep == "xcomp":
                return child
    if stance:
        for child in children:
            if child.dep == "dobj" and child.pos != "PRON":
                return child
        for child in children:
            if child.dep == "prep" and child.lower in _CONTENT_PREPS and child.i > verb.i:
                obj = next((c for c in parsed.children(child) if c.dep in ("pobj", "pcomp")), None)
                if obj is not None:
                    return obj
    return None


def _speaker(parsed: Parsed, verb: Tok) -> Tok | None:
    v = verb
    for _ in range(3):
        for child in parsed.children(v):
            if child.dep in _SUBJECTS and child.dep != "nsubjpass" and child.dep != "csubj":
                if child.lower in ("who", "which", "that") and v.dep == "relcl":
                    return parsed.head(v)  # "an official who said ...": the official
                return child
            if child.dep == "agent":
                for obj in parsed.children(child):
                    if obj.dep == "pobj":
                        return obj
        if v.dep in ("conj", "xcomp", "advcl") and v.head != v.i:
            v = parsed.head(v)
            continue
        break
    return None


def _according(doc: Document, parsed: Parsed, tok: Tok, sentence: list[Tok]) -> Reported | None:
    to = next((c for c in parsed.children(tok) if c.lower == "to"), None)
    if to is None:
        return None
    obj = next((c for c in parsed.children(to) if c.dep == "pobj"), None)
    if obj is None:
        return None
    phrase = {t.i for t in parsed.subtree(tok)}
    lo, hi = min(phrase), max(phrase)
    before = [t for t in sentence if t.i < lo]
    after = [t for t in sentence if t.i > hi]
    side = after if sum(not t.pos == "PUNCT" for t in after) >= sum(not t.pos == "PUNCT" for t in before) else before
    content = _trimmed(doc, side)
    return Reported(tok, content, obj) if content is not None else None


def _citing(doc: Document, parsed: Parsed, tok: Tok, sentence: list[Tok]) -> Reported | None:
    obj = next((c for c in parsed.children(tok) if c.dep in ("dobj", "pobj")), None)
    if obj is None:
        return None
    phrase = {t.i for t in parsed.subtree(tok)}
    rest = [t for t in sentence if t.i not in phrase]
    content = _trimmed(doc, [t for t in rest if t.i > max(phrase)] or rest)
    return Reported(tok, content, obj) if content is not None else None


def find_reported(doc: Document, parsed: Parsed, windows: list[tuple[int, int]], inside_quote) -> list[Reported]:
    """Every attribution whose cue lies in one of the windows (sentence spans)."""
    found: list[Reported] = []
    for start, end in windows:
        sentence = [t for t in parsed.in_range(start, end) if not t.text.isspace()]
        for tok in sentence:
            if inside_quote(tok):
                continue
            if tok.lower == "according":
                r = _according(doc, parsed, tok, sentence)
            elif tok.lower == "citing":
                r = _citing(doc, parsed, tok, sentence)
            elif tok.pos in ("VERB", "AUX") and any(_lemma_in(tok, name) for name in CUE_LISTS):
                child = _content_child(parsed, tok, inside_quote)
                if child is None:
                    continue
                content = _trimmed(doc, parsed.subtree(child))
                if content is None or content.start <= tok.start < content.end:
                    continue
                r = Reported(tok, content, _speaker(parsed, tok))
            else:
                continue
            if r is not None and len(r.content.text.split()) >= 2:
                found.append(r)
    return found
