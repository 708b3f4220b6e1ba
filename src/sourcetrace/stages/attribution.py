"""Cues and speakers for quotes.

requires: sentences, paragraphs, quoted, quotes
assigns:  quotes (speaker, cue, speaker_phrase filled in)

For each quotation, in order:
1. the parse link from the quote to a speech verb outside it ("'...,' said a source": the quote's
   clause depends on "said"), then the nearest speech verb in the quote's own sentence outside
   any quotation, after the quote first, then before it ("Putin stated, '...'"), or
   "according to X";
2. the speaker is that verb's subject (or the object of "according to"), as a noun phrase;
3. a quote with no cue of its own takes the speaker of the previous quote in the same or the
   previous paragraph ("'X,' he said. 'Y.'", consecutive quote paragraphs) or the subject of a
   speech verb in the sentence just before it ("Earnest said on Monday: ... '...'"), whichever is
   nearer.
Only the windows around quotes are parsed (see `sourcetrace.parse`).
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..document import Document, Quote, Span
from ..lexicons import words
from ..parse import Parsed, Tok, parse_windows
from ..reported import find_reported, has_cue
from ..spans import Intervals, SpanIndex

NAME = "attribution"
REQUIRES = ("sentences", "paragraphs", "quoted", "quotes")
ASSIGNS = ("quotes",)

CONTEXT = 400  # characters of frame parsed on each side of a quote
TAIL_CHARS = 120  # characters after a quote parsed even past its sentence ('"...!" Maher replied.')
NEAR_TOKENS = 12  # a cue this close after a quote is taken before any other
TAIL_TOKENS = 6  # a cue in the next sentence counts only within its first tokens
EDGE = 300  # characters of a long quote's own text parsed at each end

_SUBJECT_DEPS = {"nsubj", "nsubjpass", "csubj"}
# '"…" ― Veronica Cruz' at the end of a line: a reader's or interviewee's signature. The name is
# one to six capitalised words (particles like "de" allowed), nothing else before the line ends.
_NAME_WORD = r"[A-Z][\w.'’-]*"
_SIGNATURE = re.compile(
    rf"[ \t\u00a0]*[―—–-][ \t\u00a0]*({_NAME_WORD}(?:[ \t\u00a0]+(?:(?:de|da|del|la|van|von|y)[ \t\u00a0]+)?{_NAME_WORD}){{0,5}})"
    r"[.\s\u00a0]*(?:\n|$)")
_NOUNISH = {"NOUN", "PROPN", "PRON", "NUM", "X"}


def _is_cue(tok: Tok, parsed: Parsed | None = None) -> bool:
    if tok.lower == "according":
        return True
    if tok.pos not in ("VERB", "AUX"):
        return False
    if tok.lemma in words("speech_verbs"):
        return True
    # "as X put it", "as X pointed out": idioms whose verb alone is not a speech verb.
    return parsed is not None and any(
        (tok.lemma == "put" and c.lower == "it") or (tok.lemma == "point" and c.lower == "out")
        or (tok.lemma in ("shoot", "fire", "hit", "push", "chime") and c.lower in ("back", "in"))
        for c in parsed.children(tok))


def _windows(doc: Document, sents: SpanIndex) -> list[tuple[int, int]]:
    out = []
    for q in doc.quotes:
        first = sents.index_at(q.span.start) or 0
        s_start = sents[max(0, first - 1)].start if len(sents) else 0
        s_end_i = sents.index_at(max(q.span.start, q.span.end - 1))
        s_end = sents[s_end_i].end if s_end_i is not None else q.span.end
        left = max(s_start, q.span.start - CONTEXT)
        right = max(min(max(s_end, q.span.end), q.span.end + CONTEXT), q.span.end + TAIL_CHARS)
        if q.span.end - q.span.start > 2 * EDGE:
            out.append((left, q.span.start + EDGE))
            out.append((q.span.end - EDGE, right))
        else:
            out.append((left, right))
    return out


class _Frames:
    """Which characters lie inside a quotation (not usable as a frame)."""

    def __init__(self, doc: Document, spans=None):
        self._index = Intervals(
            ((q.span.start, q.span.end) for q in doc.quoted if q.function == "quotation" and not q.nested)
            if spans is None else spans)

    def inside(self, tok: Tok) -> bool:
        return self._index.covers(tok.start)

    def next_start(self, pos: int) -> int | None:
        """Where the first quotation starting at or after `pos` starts."""
        return self._index.first_start_from(pos)


def speaker_span(doc: Document, parsed: Parsed, head: Tok) -> tuple[Span, Span]:
    """The speaker mention (head noun and its left modifiers, plus close/familiar/for phrases)
    and the whole noun phrase (for typing evidence)."""
    if head.pos == "PRON":
        s = doc.span(head.start, head.end)
        return s, s
    subtree = parsed.subtree(head)
    left = [t for t in subtree if t.i <= head.i]
    start_tok = left[0]
    end_tok = head
    keep = words("speaker_modifiers")
    for child in parsed.children(head):
        if child.i < head.i:
            continue
        if child.dep in ("compound", "flat", "nummod") or (
            child.dep in ("amod", "prep", "acl") and child.lower in keep
        ):
            end_tok = max(end_tok, parsed.subtree(child)[-1], key=lambda t: t.i)
        elif child.dep == "appos" and child.pos == "PROPN":
            end_tok = max(end_tok, parsed.subtree(child)[-1], key=lambda t: t.i)
        else:
            break
    cut = {t.i for child in parsed.children(head) if child.dep == "acl"
           for prep in parsed.children(child) if prep.dep == "prep" and prep.lower in _TIME_PLACE_PREPS
           for t in parsed.subtree(prep)}
    toks = [t for t in subtree if start_tok.i <= t.i <= end_tok.i]
    if cut:
        toks = [t for t in toks if t.i < min(cut)]
    while toks and (toks[0].pos == "PUNCT" or toks[0].lower in ("and", "but", "—")):
        toks.pop(0)
    while toks and toks[-1].pos == "PUNCT" and not _closes_a_mark_inside(toks):
        toks.pop()
    if not toks:
        toks = [head]
    toks = _with_closing_mark(parsed, toks)
    phrase_toks = [t for t in subtree if t.pos != "PUNCT" or subtree[0].i < t.i < subtree[-1].i]
    mention = doc.span(toks[0].start, toks[-1].end)
    phrase = doc.span(phrase_toks[0].start, phrase_toks[-1].end) if phrase_toks else mention
    return mention, phrase


_TIME_PLACE_PREPS = {"on", "in", "at", "during", "after", "before", "last", "this"}
_OPENING_MARKS = {"‘": "’", "“": "”", '"': '"', "«": "»", "''": "''"}


def _closes_a_mark_inside(toks: list[Tok]) -> bool:
    """'the Telegram channel ‘Military Review,’': the last mark closes one opened in the mention."""
    last = toks[-1].text
    opened = [t.text for t in toks[:-1] if t.text in _OPENING_MARKS]
    return bool(opened) and _OPENING_MARKS[opened[-1]] == last


def _with_closing_mark(parsed: Parsed, toks: list[Tok]) -> list[Tok]:
    """Extend a mention that opens a quote mark it does not close over the next two tokens."""
    opened = [t.text for t in toks if t.text in _OPENING_MARKS]
    if not opened:
        return toks
    want = _OPENING_MARKS[opened[-1]]
    texts = [t.text for t in toks]
    balanced = texts.count(want) % 2 == 0 if want == opened[-1] else texts.count(want) >= texts.count(opened[-1])
    if balanced:
        return toks
    nxt = toks[-1].i + 1
    for j in range(nxt, min(nxt + 2, len(parsed.toks))):
        if parsed.toks[j].text == want:
            return toks + [parsed.toks[k] for k in range(nxt, j + 1)]
    return toks


def _speaker_of(parsed: Parsed, cue: Tok, frames: _Frames, first_after: int = -1) -> Tok | None:
    """The cue's speaker token; `first_after` is the index of the first word after the quote."""
    if cue.lower == "according":
        for child in parsed.children(cue):
            if child.lower == "to":
                for obj in parsed.children(child):
                    if obj.dep == "pobj":
                        return obj
        return None
    verb = cue
    for _ in range(3):
        for child in parsed.children(verb):
            if child.dep in _SUBJECT_DEPS and not frames.inside(child):
                if child.dep == "nsubjpass":
                    continue
                if child.lower in ("who", "which", "that") and verb.dep == "relcl":
                    return parsed.head(verb)  # "Capt. Christian Pardo, who said ...": Pardo
                return child
            if child.dep == "agent":
                for obj in parsed.children(child):
                    if obj.dep == "pobj":
                        return obj
        if verb.i == first_after:
            # Inverted frame right after a quote: '"...," read the email.' (parsed as an object)
            for child in parsed.children(verb):
                if child.dep in ("dobj", "attr", "npadvmod") and child.pos in ("NOUN", "PROPN"):
                    return child
        if verb.dep in ("conj", "xcomp", "advcl", "pcomp") and verb.head != verb.i:
            # "..., adding, '...'", "before saying, '...'": the subject of the verb it hangs on.
            verb = parsed.head(verb)
            if verb.dep == "prep" and verb.head != verb.i:
                verb = parsed.head(verb)
            continue
        break
    # "with state media emphasizing ...": spaCy may attach the subject to the preposition.
    return None


def _linked_cue(parsed: Parsed, quote: Quote, frames: _Frames) -> Tok | None:
    """A speech verb outside the quote that the quote's clause depends on."""
    inside = parsed.in_range(quote.span.start, quote.span.end)
    for tok in inside:
        head = parsed.head(tok)
        if quote.span.start <= head.start < quote.span.end:
            continue
        for _ in range(3):
            if frames.inside(head):
                break
            if _is_cue(head, parsed):
                return head
            if head.head == head.i:
                break
            head = parsed.head(head)
    return None


def _nearest_cue(parsed: Parsed, toks: list[Tok], frames: _Frames, reverse: bool, first_after: int = -1) -> Tok | None:
    seq = reversed(toks) if reverse else toks
    for tok in seq:
        if not frames.inside(tok) and _is_cue(tok, parsed) and _speaker_of(parsed, tok, frames, first_after) is not None:
            return tok
    return None


def _cue_and_speaker(
    doc: Document, parsed: Parsed, quote: Quote, sentence_start: int, sentence_end: int, frames: _Frames,
    tail: Span | None = None,
) -> tuple[Tok, Tok] | None:
    after = [t for t in parsed.in_range(quote.span.end, sentence_end) if not frames.inside(t)]
    next_quote = frames.next_start(quote.span.end)
    if next_quote is not None:
        after = [t for t in after if t.start < next_quote]
    # '"...," he said' is the commonest frame in news: a cue right after the quote wins.
    words_after = [t for t in after if t.pos not in ("PUNCT", "SPACE")]
    first_after = words_after[0].i if words_after else -1
    cue = _nearest_cue(parsed, words_after[:NEAR_TOKENS], frames, False, first_after)
    if cue is None:
        cue = _linked_cue(parsed, quote, frames)
        limit = tail.end if tail is not None else sentence_end
        if cue is not None and not sentence_start <= cue.start < limit:
            cue = None  # the parser linked across a sentence or paragraph break
        if cue is not None and _speaker_of(parsed, cue, frames) is not None:
            return cue, _speaker_of(parsed, cue, frames)
        cue = _nearest_cue(parsed, after, frames, reverse=False)
    if cue is None and tail is not None:
        tail_toks = [t for t in parsed.in_range(tail.start, tail.end) if t.pos not in ("PUNCT", "SPACE")]
        cue = _nearest_cue(parsed, tail_toks[:TAIL_TOKENS], frames, reverse=False)
    before = parsed.in_range(sentence_start, quote.span.start)
    if cue is None:
        cue = _nearest_cue(parsed, before, frames, reverse=True)
    if cue is None:
        return _colon_introduction(doc, parsed, before, frames)
    speaker = _speaker_of(parsed, cue, frames, first_after)
    return (cue, speaker) if speaker is not None else None


def _colon_introduction(doc: Document, parsed: Parsed, before: list[Tok], frames: _Frames) -> tuple[Tok, Tok] | None:
    """'Rep. Trey Gowdy (R-S.C.): "..."', 'Kasich resisted: "..."': the clause before a colon."""
    toks = [t for t in before if not t.text.isspace()]
    if not toks or not toks[-1].text.endswith(":"):
        return None
    colon = toks[-1]
    clause = [t for t in toks[:-1] if not frames.inside(t)]
    dashes = [k for k, t in enumerate(clause) if t.text in ("-", "–", "—", "―")]
    if dashes:
        clause = clause[dashes[-1] + 1:]  # 'HEADLINE - Pew Research: "..."
    ids = {t.i for t in clause}
    roots = [t for t in clause if t.head not in ids or t.head == t.i]
    for root in reversed(roots):
        if root.pos in ("VERB", "AUX"):
            speaker = _speaker_of(parsed, root, frames)
            if speaker is None:
                for child in parsed.children(root):
                    if child.dep in _SUBJECT_DEPS:
                        speaker = child
            return (colon, speaker) if speaker is not None else None
        if root.pos in ("PROPN", "NOUN"):
            return colon, root
    return None


def _previous_sentence_cue(
    parsed: Parsed, sents: SpanIndex, quote: Quote, frames: _Frames
) -> tuple[Tok, Tok] | None:
    i = sents.index_at(quote.span.start)
    if i is None or i == 0:
        return None
    prev = sents[i - 1]
    toks = parsed.in_range(prev.start, prev.end)
    if prev.text.rstrip().endswith(":"):
        # "President Clinton released the following statement:" then the quote.
        found = _colon_introduction(None, parsed, toks, frames)
        if found is not None:
            return found
    cue = _nearest_cue(parsed, toks, frames, reverse=True)
    if cue is None:
        return None
    speaker = _speaker_of(parsed, cue, frames)
    return (cue, speaker) if speaker is not None else None


def _tail_sentence(doc: Document, sents: SpanIndex, paras: SpanIndex, quote: Quote, s_end: int) -> Span | None:
    """The next sentence of the paragraph when the quote ends its own sentence."""
    if doc.text[quote.span.end:s_end].strip():
        return None
    i = sents.index_at(max(quote.span.start, quote.span.end - 1))
    if i is None or i + 1 >= len(sents):
        return None
    nxt = sents[i + 1]
    if paras.index_at(nxt.start) != paras.index_at(quote.span.start):
        return None
    return nxt


def _starts_sentence(doc: Document, sents: SpanIndex, quote: Quote) -> bool:
    s = sents.at(quote.span.start)
    return s is None or not doc.text[s.start:quote.span.start].strip()


def _cue_sentences(doc: Document) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in doc.sentences if has_cue(doc.text, s.start, s.end)]


def run(doc: Document) -> Document:
    sents = SpanIndex(doc.sentences)
    paras = SpanIndex(doc.paragraphs)
    frames = _Frames(doc)
    cue_windows = _cue_sentences(doc)
    if not doc.quotes and not cue_windows:
        return doc
    parsed = parse_windows(doc.text, _windows(doc, sents) + cue_windows)
    direct = _attribute_quotes(doc, parsed, sents, paras, frames)
    reported = _reported_quotes(doc, parsed, frames, cue_windows, direct)
    covered = [r.span for r in reported if r.kind == "mixed"]
    kept = [q for q in direct if not (q.kind == "partial" and any(c.start <= q.span.start and q.span.end <= c.end for c in covered))]
    merged = sorted(kept + reported, key=lambda q: (q.span.start, q.span.end))
    return doc.evolve(quotes=tuple(replace(q, id=f"q{i + 1}") for i, q in enumerate(merged)))


def _reported_quotes(doc: Document, parsed: Parsed, frames: _Frames, windows, direct: list[Quote]) -> list[Quote]:
    """Indirect and mixed attributions, minus those a direct quote already stands for."""
    direct_cues = {q.cue.start for q in direct if q.cue is not None and q.kind == "direct"}
    direct_spans = [q.span for q in direct if q.kind == "direct"]
    partial_spans = [q.span for q in direct if q.kind == "partial"]
    out = []
    in_direct = _Frames(doc, [(q.span.start, q.span.end) for q in direct if q.kind == "direct"])
    for r in find_reported(doc, parsed, windows, in_direct.inside):
        if r.cue.start in direct_cues:
            continue
        if r.cue.lemma in words("evidence_verbs") and not _can_be_source(parsed, r.speaker):
            continue  # "This equipment suggests ...": the author's inference, not a source's claim
        content = r.content
        quoted_chars = sum(max(0, min(content.end, d.end) - max(content.start, d.start)) for d in direct_spans)
        if quoted_chars * 2 >= content.end - content.start:
            continue  # 'He said, "..."': the direct quote is this attribution
        inner = [p for p in partial_spans if p.start < content.end and content.start < p.end]
        if inner:  # the parse may leave a closing mark outside: the content covers whole quotes
            content = doc.span(min(content.start, *(p.start for p in inner)), max(content.end, *(p.end for p in inner)))
        kind = "mixed" if inner else "indirect"
        speaker = phrase = None
        if r.speaker is not None:
            speaker, phrase = speaker_span(doc, parsed, r.speaker)
        out.append(Quote(id="", kind=kind, span=content, speaker=speaker, cue=doc.span(r.cue.start, r.cue.end),
                         speaker_phrase=phrase, how="reported"))
    return out


def _can_be_source(parsed: Parsed, head: Tok | None) -> bool:
    """Whether a subject can be a source: a name, a personal pronoun, or a person, group,
    organisation or document noun."""
    if head is None:
        return False
    if head.pos == "PROPN":
        return True
    if head.pos == "PRON":
        return head.lower in words("speaker_pronouns")
    noun = head.lower
    if any(d.lower in ("this", "these", "that", "those") for d in parsed.children(head) if d.dep == "det"):
        return False
    return any(noun in words(name) or noun.rstrip("s") in words(name)
               for name in ("person_nouns", "official_nouns", "expert_nouns", "document_nouns",
                            "org_words", "vague_groups", "platforms"))


def _attribute_quotes(doc: Document, parsed: Parsed, sents: SpanIndex, paras: SpanIndex, frames: _Frames) -> list[Quote]:
    out: list[Quote] = []
    for quote in doc.quotes:
        signed = _signature(doc, quote)
        if signed is not None:
            out.append(replace(quote, speaker=signed, speaker_phrase=signed, cue=None, how="signature"))
            continue
        s_first = sents.at(quote.span.start)
        s_last = sents.at(max(quote.span.start, quote.span.end - 1))
        s_start = s_first.start if s_first else quote.span.start
        s_end = s_last.end if s_last else quote.span.end
        if s_end < quote.span.end:
            s_end = quote.span.end
        found = _cue_and_speaker(doc, parsed, quote, s_start, s_end, frames,
                                 _tail_sentence(doc, sents, paras, quote, s_end))
        if found is not None:
            cue, head = found
            mention, phrase = speaker_span(doc, parsed, head)
            how = "cue"
            out.append(replace(quote, speaker=mention, speaker_phrase=phrase,
                               cue=doc.span(cue.start, cue.end), how=how))
            continue
        out.append(_inherit(doc, parsed, sents, paras, frames, quote, out))
    return out


def _signature(doc: Document, quote: Quote) -> Span | None:
    """The name signed after a quote with a dash at the end of its line, if any."""
    m = _SIGNATURE.match(doc.text, quote.span.end)
    if m is None:
        return None
    name = m.group(1).rstrip(".")
    return doc.span(m.start(1), m.start(1) + len(name))


def _inherit(doc, parsed, sents, paras, frames, quote: Quote, previous: list[Quote]) -> Quote:
    """A quote with no cue of its own: the previous quote's speaker or the last sentence's."""
    prev_q = next((q for q in reversed(previous) if q.speaker is not None), None)
    pi = paras.index_at(quote.span.start)
    candidates = []
    if prev_q is not None and pi is not None:
        prev_pi = paras.index_at(prev_q.span.start)
        same_para = prev_pi == pi
        para_before = prev_pi == pi - 1 and _starts_sentence(doc, sents, quote)
        if (same_para or para_before) and not _cue_between(parsed, frames, prev_q.span.end, quote.span.start):
            candidates.append((prev_q.span.end, "previous-quote", prev_q))
    if _starts_sentence(doc, sents, quote):
        found = _previous_sentence_cue(parsed, sents, quote, frames)
        if found is not None:
            cue, head = found
            candidates.append((cue.end, "previous-sentence", (cue, head)))
    if not candidates:
        return quote
    _, how, what = max(candidates, key=lambda c: c[0])
    if how == "previous-quote":
        return replace(quote, speaker=what.speaker, speaker_phrase=what.speaker_phrase, cue=None, how=how)
    cue, head = what
    mention, phrase = speaker_span(doc, parsed, head)
    return replace(quote, speaker=mention, speaker_phrase=phrase, cue=doc.span(cue.start, cue.end), how=how)


def _cue_between(parsed: Parsed, frames: _Frames, start: int, end: int) -> bool:
    """Whether a new attribution (speech verb with its own subject) stands between two quotes."""
    return _nearest_cue(parsed, parsed.in_range(start, end), frames, reverse=False) is not None
