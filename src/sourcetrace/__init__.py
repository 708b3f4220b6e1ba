"""sourcetrace: who says what, on whose authority, and what is left unsourced.

    >>> import sourcetrace
    >>> doc = sourcetrace.analyze('"We will win," the general said.')
    >>> doc.quotes[0].speaker.text
    'the general'
"""

from __future__ import annotations

from typing import Any

from .document import Document, Quote, QuotedSpan, Source, Span, Warning
from .pipeline import DEFAULT_STAGES, build_pipeline, run

__all__ = [
    "analyze",
    "analyze_document",
    "to_dict",
    "Document",
    "Quote",
    "QuotedSpan",
    "Source",
    "Span",
    "Warning",
]
__version__ = "0.1.0"

_PIPELINE = None


def _default_pipeline():
    global _PIPELINE
    if _PIPELINE is None:
        _PIPELINE = build_pipeline(DEFAULT_STAGES)
    return _PIPELINE


def analyze_document(doc: Document) -> Document:
    """Run the default pipeline over a Document made by `sourcetrace.stages.ingest`."""
    return run(doc, _default_pipeline())


def analyze(text: str, *, published: str | None = None, **meta: Any) -> Document:
    """Analyse one article's text; metadata (id, title, url, outlet, language) is optional."""
    from .stages.ingest import from_text

    return analyze_document(from_text(text, published=published, **meta))


def to_dict(doc: Document) -> dict[str, Any]:
    from .output.schema import to_dict as _to_dict

    return _to_dict(doc)
