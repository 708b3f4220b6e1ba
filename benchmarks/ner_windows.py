"""NER over windows around capitalised words against NER over the whole text: same entities? how fast?

    .venv/bin/python benchmarks/ner_windows.py [--train N]

Texts: PolNeAR dev, eval/gold/equipment.jsonl, the web pages of tests/gold/html (extracted text) and
the first N (default 300) PolNeAR train articles. For each, the entities stage's `find_entities` with
its NER run over `ner_windows` (as shipped) and over every chunk whole (as before), compared entity by
entity (span, label, category); prints the differences, the share of characters the windows cover
and the CPU time of the NER both ways (best of 3 alternating rounds: the machine may be shared).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import bisect  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from sourcetrace.document import Document  # noqa: E402
from sourcetrace.stages import entities, segment  # noqa: E402
from sourcetrace.stages.ingest import from_html  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
POLNEAR = ROOT.parent / "shared" / "data" / "polnear"


def whole_text_ner(doc: Document) -> list[tuple[int, int, str]]:
    """spaCy's NER over every chunk, one chunk at a time: the stage before NER windows."""
    nlp, ner = entities.load_ner()
    text = doc.text
    starts = [s.start for s in doc.sentences]
    out = []
    for s, e in entities.chunks(doc):
        sdoc = nlp.make_doc(text[s:e])
        for pos in starts[bisect.bisect_right(starts, s):bisect.bisect_left(starts, e)]:
            span = sdoc.char_span(pos - s, pos - s + 1, alignment_mode="expand")
            if span is not None and span[0].i > 0:
                span[0].is_sent_start = True
        out.extend((s + x.start_char, s + x.end_char, x.label_) for x in ner(sdoc).ents)
    return out


def texts(n_train: int) -> list[str]:
    def jsonl(path: Path) -> list[str]:
        return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    pages = [from_html(p.read_text(encoding="utf-8")).text for p in sorted((ROOT / "tests/gold/html").glob("*.html"))]
    return (jsonl(POLNEAR / "dev.jsonl") + jsonl(ROOT / "eval/gold/equipment.jsonl") + pages
            + jsonl(POLNEAR / "train.jsonl")[:n_train])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=int, default=300, help="PolNeAR train articles to add (default 300)")
    args = ap.parse_args()
    docs = [segment.run(Document(t)) for t in texts(args.train)]
    windowed_ner = entities.ner_spans
    covered = sum(e - s for d in docs for cs, ce in entities.chunks(d) for s, e in entities.ner_windows(d, cs, ce))

    def entities_with(ner_spans) -> list:
        entities.ner_spans = ner_spans
        try:
            return [entities.find_entities(d) for d in docs]
        finally:
            entities.ner_spans = windowed_ner

    def cpu(ner_spans) -> float:
        t0 = time.process_time()
        for d in docs:
            ner_spans(d)
        return time.process_time() - t0

    whole, windows = entities_with(whole_text_ner), entities_with(windowed_ner)
    t_whole, t_windows = [], []
    for _ in range(3):
        t_whole.append(cpu(whole_text_ner))
        t_windows.append(cpu(windowed_ner))
    diffs = 0
    for doc, a, b in zip(docs, whole, windows):
        keys_a = {(e.span.start, e.span.end, e.label, e.category) for e in a}
        keys_b = {(e.span.start, e.span.end, e.label, e.category) for e in b}
        for key in sorted(keys_a ^ keys_b):
            diffs += 1
            print("  whole text only" if key in keys_a else "  windows only", key, repr(doc.text[key[0]:key[1]]))
    print(f"{len(docs)} texts; context {entities.NER_CONTEXT_BEFORE} words before, {entities.NER_CONTEXT_AFTER} after; "
          f"windows cover {covered / sum(len(d.text) for d in docs):.1%} of the characters")
    print(f"entities: {diffs} differences in {sum(len(a) for a in whole)}; "
          f"NER CPU: whole text {min(t_whole):.1f} s, windows {min(t_windows):.1f} s")


if __name__ == "__main__":
    main()
