"""The text report (`--format text`): a sourcing audit to paste into a note."""

import dataclasses

from sourcetrace.output.text import UNSURE_BELOW, render


def test_unsure_quote_mark_functions_are_marked_with_their_probability(analyze):
    doc = analyze("The operation to ‘liberate’ the town began at dawn, and the ‘Rybar’ channel cheered.")
    sure = render(doc)
    assert "‘liberate’" in sure and "(unsure" not in sure
    shaky = tuple(dataclasses.replace(t, confidence=UNSURE_BELOW - 0.12) for t in doc.quoted)
    report = render(doc.evolve(quoted=shaky))
    line = next(ln for ln in report.splitlines() if ln.lstrip().startswith("[") and " scare " in ln)
    assert line.endswith(f"(unsure: {UNSURE_BELOW - 0.12:.2f})")
