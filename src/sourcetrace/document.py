"""The records that flow through the pipeline.

A `Document` holds the article text, which never changes after ingest, its metadata, and the
annotations each stage adds. Every annotation points into the text with a `Span` made by
`Document.span`, so `doc.text[span.start:span.end] == span.text` holds by construction.

Documents are immutable: a stage returns `doc.evolve(field=...)`, a new Document sharing the text.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    text: str

    def overlaps(self, other: "Span") -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, pos: int) -> bool:
        return self.start <= pos < self.end


@dataclass(frozen=True, slots=True)
class QuotedSpan:
    """A pair of quote marks and what they enclose, marks included.

    `function` says what the marks do: quotation (reported words), name (a title or proper name),
    scare (the author's own word held at a distance) or mention (a word talked about).
    `pieces` lists the per-paragraph runs of a quote that spans several paragraphs.
    `confidence` is the classifier's probability for `function` (None when no classifier decided:
    a quote running over several paragraphs is a quotation by construction).
    """

    span: Span
    function: str
    pieces: tuple[Span, ...] = ()
    nested: bool = False
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    id: str
    kind: str  # direct | partial | indirect | mixed
    span: Span
    speaker: Span | None = None
    cue: Span | None = None
    source_id: str | None = None
    # The speaker's whole noun phrase ("a military analyst under the condition of anonymity"):
    # typing evidence for the sources stage, not part of the JSON contract.
    speaker_phrase: Span | None = None
    # How the speaker was found (e.g. "cue-after", "previous-quote"); kept for debugging/eval.
    how: str | None = None


@dataclass(frozen=True, slots=True)
class Anonymity:
    reason_given: bool
    reason: Span | None


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    name: str
    type: str
    mentions: tuple[Span, ...]
    quote_ids: tuple[str, ...]
    evidence: str
    anonymity: Anonymity | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    """A named thing: label PERSON, ORG, GPE, LOC, NORP or EQUIPMENT; equipment has a category."""

    span: Span
    label: str
    category: str | None = None
    source_id: str | None = None


@dataclass(frozen=True, slots=True)
class DateMention:
    """A temporal expression. `value` is ISO-like: YYYY-MM-DD, YYYY-MM, YYYY or YYYY-Www, with
    XXXX for a year that cannot be resolved (no publication date)."""

    span: Span
    value: str
    year_resolved: bool
    granularity: str  # day | week | month | year


@dataclass(frozen=True, slots=True)
class VagueAttribution:
    """An unspecified group used as a source ("some analysts", "it is widely believed")."""

    span: Span
    cue: Span | None = None
    source_id: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """A sentence asserting a checkable fact in the author's own voice, with no attribution.
    `carried_from` is the id of the nearest attribution before it, which it may lean on."""

    span: Span
    reason: str
    carried_from: str | None = None


@dataclass(frozen=True, slots=True)
class Warning:
    stage: str
    code: str
    message: str
    span: Span | None = None


@dataclass(frozen=True)
class Document:
    text: str
    id: str | None = None
    title: str | None = None
    author: str | None = None
    published: str | None = None  # ISO date YYYY-MM-DD
    url: str | None = None
    outlet: str | None = None
    language: str = "en"
    # Annotations, added by stages (see each stage's `assigns`).
    paragraphs: tuple[Span, ...] = ()
    sentences: tuple[Span, ...] = ()
    quoted: tuple[QuotedSpan, ...] = ()
    quotes: tuple[Quote, ...] = ()
    sources: tuple[Source, ...] = ()
    entities: tuple[Entity, ...] = ()
    dates: tuple[DateMention, ...] = ()
    vague_attributions: tuple[VagueAttribution, ...] = ()
    unattributed_claims: tuple[Claim, ...] = ()
    profile: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[Warning, ...] = ()
    # Stages record here that they ran; the pipeline checks requirements against it.
    done: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise TypeError(f"Document.text must be str, not {type(self.text).__name__}")
        if self.id is None:
            object.__setattr__(self, "id", content_id(self.text))

    def span(self, start: int, end: int) -> Span:
        """The span [start, end) of this document's text; the only way spans are made."""
        if not (0 <= start <= end <= len(self.text)):
            raise ValueError(f"span [{start}, {end}) outside text of length {len(self.text)}")
        return Span(start, end, self.text[start:end])

    def evolve(self, **changes: Any) -> "Document":
        if "text" in changes:
            raise ValueError("Document.text never changes after ingest")
        return dataclasses.replace(self, **changes)

    def warn(self, stage: str, code: str, message: str, span: Span | None = None) -> "Document":
        return self.evolve(warnings=self.warnings + (Warning(stage, code, message, span),))


def content_id(text: str) -> str:
    """A stable id from the text: the same article gets the same id on every run."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
