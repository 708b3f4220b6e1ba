"""Paragraphs and sentences as character spans.

requires: (nothing)
assigns:  paragraphs, sentences

Paragraphs are runs of text separated by line breaks. Sentences are found by a rule-based
splitter (no model): a stop, question or exclamation mark, optionally followed by closing quote
marks or brackets, then whitespace and something that can start a sentence. Known abbreviations
and initials do not end a sentence. Sentences never cross a paragraph break.
"""

from __future__ import annotations

import re

from ..document import Document, Span
from ..lexicons import words

NAME = "segment"
REQUIRES: tuple[str, ...] = ()
ASSIGNS = ("paragraphs", "sentences")

_PARAGRAPH = re.compile(r"[^\n]+")
_CLOSERS = "\"'”’»“)]"
# Candidate sentence ends: terminal punctuation, closers, then whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[" + re.escape(_CLOSERS) + r"]*(?=\s)")
_STARTER = re.compile(r"\s+([\"'“‘«„(\[]*)([A-Z0-9À-Ý]|[\"“‘«„])")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")


def paragraph_spans(doc: Document) -> tuple[Span, ...]:
    spans = []
    for m in _PARAGRAPH.finditer(doc.text):
        start, end = m.start(), m.end()
        # Trim surrounding whitespace so paragraphs start and end on text.
        while start < end and doc.text[start].isspace():
            start += 1
        while end > start and doc.text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append(doc.span(start, end))
    return tuple(spans)


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the '.' at `dot` closes an abbreviation or an initial, not a sentence."""
    m = _WORD_BEFORE.search(text, max(0, dot - 20), dot + 1)
    if not m:
        return False
    word = m.group(1).lower()
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "J. Smith", "U. S."
    if "." in word:
        # "U.S.", "a.m.", "Ph.D." are abbreviations; "MoveOn.org" and "Tchadinfos.com" are not.
        return all(len(part) <= 2 for part in word.split("."))
    return word in words("abbreviations")


def sentence_spans_in(doc: Document, para: Span) -> list[Span]:
    text = doc.text
    out = []
    start = para.start
    for m in _BOUNDARY.finditer(text, para.start, para.end):
        end = m.end()
        nxt = _STARTER.match(text, end, para.end)
        if not nxt:
            continue
        if text[m.start()] == "." and m.end() - m.start() == 1 and _is_abbreviation(text, m.start()):
            continue
        out.append(doc.span(start, end))
        start = nxt.start(1)
    if start < para.end:
        out.append(doc.span(start, para.end))
    return out


def run(doc: Document) -> Document:
    paragraphs = paragraph_spans(doc)
    sentences = tuple(s for p in paragraphs for s in sentence_spans_in(doc, p))
    return doc.evolve(paragraphs=paragraphs, sentences=sentences)
