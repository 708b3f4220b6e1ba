"""Speed of sourcetrace against spaCy's full English pipeline, on the same texts, in one run.

    .venv/bin/python benchmarks/speed.py [PATH.jsonl] [--limit N]

Default texts: PolNeAR dev (../shared/data/polnear/dev.jsonl). Prints words/second of
(a) sourcetrace's full analysis, one process, and (b) spaCy `nlp.pipe` with the full English
pipeline (tagger, parser, NER, lemmatizer) over the whole texts, and their ratio, so the figure
holds on a noisy machine. Each is run after a warm-up on the first text (model loading excluded).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "polnear" / "dev.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default=str(DEFAULT))
    ap.add_argument("--limit", type=int)
    args = ap.parse_args()
    texts = [json.loads(line)["text"] for line in open(args.path, encoding="utf-8") if line.strip()]
    texts = texts[: args.limit] if args.limit else texts
    n_words = sum(len(t.split()) for t in texts)

    import sourcetrace
    from sourcetrace import nlp as st_nlp

    sourcetrace.analyze(texts[0])  # warm-up: model load, lexicons
    t0 = time.perf_counter()
    for text in texts:
        sourcetrace.analyze(text)
    ours = time.perf_counter() - t0

    full = st_nlp.load(with_ner=True)  # the same package's full pipeline
    list(full.pipe(texts[:1]))
    t0 = time.perf_counter()
    for _ in full.pipe(texts):
        pass
    spacy_full = time.perf_counter() - t0

    print(f"texts: {len(texts)} articles, {n_words} words ({args.path})")
    print(f"sourcetrace full analysis, 1 process: {n_words / ours:9.0f} words/s ({ours:.1f} s)")
    print(f"spaCy full pipeline (nlp.pipe):       {n_words / spacy_full:9.0f} words/s ({spacy_full:.1f} s)")
    print(f"ratio sourcetrace / spaCy:            {spacy_full / ours:9.2f}x")


if __name__ == "__main__":
    main()
