"""The per-article sourcing profile: counts and shares a reader can compare across articles.

requires: quotes, sources, quoted, vague_attributions, unattributed_claims
assigns:  profile

Every figure is documented in docs/profile.md.
"""

from __future__ import annotations

from collections import Counter

from ..document import Document

NAME = "profile"
REQUIRES = ("quotes", "sources", "quoted", "vague_attributions", "unattributed_claims")
ASSIGNS = ("profile",)

SHARE_TYPES = ("anonymous", "vague", "state_media", "social_media", "unknown")


def _words(text: str) -> int:
    return len(text.split())


def profile(doc: Document) -> dict:
    type_of = {s.id: s.type for s in doc.sources}
    quoted_words: Counter = Counter()
    for q in doc.quotes:
        quoted_words[type_of.get(q.source_id, "no_source")] += _words(q.span.text)
    total_quoted = sum(quoted_words.values())
    n_words = _words(doc.text)
    anonymous = [s for s in doc.sources if s.type == "anonymous"]
    return {
        "words": n_words,
        "quotes": len(doc.quotes),
        "quotes_by_kind": dict(sorted(Counter(q.kind for q in doc.quotes).items())),
        "sources": len(doc.sources),
        "sources_by_type": dict(sorted(Counter(s.type for s in doc.sources).items())),
        "named_sources": sum(1 for s in doc.sources if s.type == "named_person"),
        "quoted_words": total_quoted,
        "quoted_word_share": {t: round(quoted_words[t] / total_quoted, 4) if total_quoted else 0.0
                              for t in SHARE_TYPES + ("no_source",)},
        "anonymous_without_reason": sum(1 for s in anonymous if s.anonymity and not s.anonymity.reason_given),
        "vague_attributions": len(doc.vague_attributions),
        "unattributed_claims": len(doc.unattributed_claims),
        "unattributed_claims_per_1000_words": round(1000 * len(doc.unattributed_claims) / n_words, 2) if n_words else 0.0,
        "scare_quotes": sum(1 for t in doc.quoted if t.function == "scare"),
    }


def run(doc: Document) -> Document:
    return doc.evolve(profile=profile(doc))
