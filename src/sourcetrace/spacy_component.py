"""A spaCy pipeline component for people already in spaCy.

    import spacy
    nlp = spacy.blank("en")          # or any English pipeline
    nlp.add_pipe("sourcetrace")
    doc = nlp(text)
    doc._.quotes, doc._.sources      # the same records as the JSON "quotes" and "sources"
    doc._.sourcetrace                # the whole JSON document

spaCy finds the factory through the `spacy_factories` entry point (pyproject.toml) once the
package is installed, so importing this module first is not needed.

The component analyses `doc.text` with sourcetrace's own pipeline (which loads its parser once
per process) and stores plain dicts, so offsets are character offsets into `doc.text`;
`doc.char_span(q["start"], q["end"])` turns one into a spaCy Span. `published` can be passed in
the component config.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

for _name in ("quotes", "sources", "sourcetrace"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


class SourcetraceComponent:
    def __init__(self, published: str | None = None):
        self.published = published

    def __call__(self, doc: Doc) -> Doc:
        import sourcetrace

        data = sourcetrace.to_dict(sourcetrace.analyze(doc.text, published=self.published))
        doc._.sourcetrace = data
        doc._.quotes = data["quotes"]
        doc._.sources = data["sources"]
        return doc


@Language.factory("sourcetrace", default_config={"published": None})
def make_sourcetrace(nlp: Language, name: str, published: str | None) -> SourcetraceComponent:
    return SourcetraceComponent(published)
