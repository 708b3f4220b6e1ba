"""Word lists and tables the stages read, kept as data files beside this module.

Each file starts with `#` comment lines saying what it holds. `.txt` files hold one entry per
line; `.tsv` files have a header line naming their columns. Entries are lower-cased phrases unless
a file says otherwise. Files are read once per process.
"""

from __future__ import annotations

import functools
from importlib import resources


def _lines(name: str) -> list[str]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return [ln.rstrip("\n") for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@functools.lru_cache(maxsize=None)
def words(name: str) -> frozenset[str]:
    """The entries of `name`.txt, lower-cased."""
    return frozenset(ln.strip().lower() for ln in _lines(f"{name}.txt"))


@functools.lru_cache(maxsize=None)
def table(name: str) -> tuple[dict[str, str], ...]:
    """The rows of `name`.tsv as dicts keyed by the header's column names."""
    lines = _lines(f"{name}.tsv")
    header = lines[0].split("\t")
    rows = []
    for ln in lines[1:]:
        cells = ln.split("\t")
        rows.append(dict(zip(header, cells + [""] * (len(header) - len(cells)))))
    return tuple(rows)


def _inflections(lemma: str, irregular: dict[str, str]) -> set[str]:
    """Regular English inflections of a verb, plus its irregular past forms."""
    forms = {lemma}
    if lemma in irregular:
        forms.update(irregular[lemma].split())
    if lemma.endswith("e"):
        stem = lemma[:-1]
        forms |= {lemma + "s", lemma + "d", stem + "ing"}
    elif lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        forms |= {lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"}
    elif lemma.endswith(("s", "sh", "ch", "x", "z")):
        forms |= {lemma + "es", lemma + "ed", lemma + "ing"}
    else:
        forms |= {lemma + "s", lemma + "ed", lemma + "ing"}
    return forms


@functools.lru_cache(maxsize=None)
def verb_forms(name: str) -> frozenset[str]:
    """Every inflected form of the verbs (lemmas) listed in `name`.txt."""
    irregular = {row["lemma"]: row["forms"] for row in table("irregular_verbs")}
    return frozenset(f for lemma in words(name) for f in _inflections(lemma, irregular))


VERB_LISTS = ("speech_verbs", "belief_verbs", "intention_verbs", "stance_verbs", "evidence_verbs",
              "naming_verbs", "idiom_verbs")


@functools.lru_cache(maxsize=None)
def _form_to_lemma() -> dict[str, str]:
    irregular = {row["lemma"]: row["forms"] for row in table("irregular_verbs")}
    out: dict[str, str] = {}
    for name in VERB_LISTS:
        for lemma in words(name):
            for form in _inflections(lemma, irregular):
                out.setdefault(form, lemma)
    return out


def lemma_of(word: str) -> str:
    """The lemma of a verb form listed in any verb lexicon, else the word lower-cased.

    The pipeline runs spaCy without its lemmatizer (a third of the parse cost): the only lemmas
    sourcetrace needs are those of the verbs its lexicons list."""
    low = word.lower()
    return _form_to_lemma().get(low, low)
