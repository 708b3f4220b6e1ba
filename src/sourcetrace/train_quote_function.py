"""Train the quote-function feature model and write src/sourcetrace/models/quote_function.json.

    python -m sourcetrace.train_quote_function            # train, print k-fold CV, write weights
    python -m sourcetrace.train_quote_function --check    # exit 1 if the shipped weights differ

Training data: the TRAIN_FILES in eval/gold/, less every record from an article that the blind
set (BLIND_FILE, kept for an honest score) draws on. The earlier held-out sets were scored and so
spent; they are training data now, but a sentence of theirs from the same PolNeAR article as a
blind sentence would leak the article's quotes into training. Each gold term is one example,
classified on its gold span, with features from `sourcetrace.quote_function.features`.

The feature model is a multinomial logistic regression with L2, class-balanced, fitted by
full-batch gradient descent from zero for a fixed number of steps; its weights are sums in a fixed
order and come out the same on every machine. The cascade's second model, which reads the
fine-tuned encoder, is trained by `sourcetrace.finetune_quote_function` (it needs torch), which
also cross-validates the whole cascade; the CV here is the feature model's alone.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import re
import sys
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .quote_function import FUNCTIONS, MODEL_FILE, context_window, decide, features

ROOT = Path(__file__).resolve().parents[2]
TRAIN_FILES = ("eval/gold/quoted_terms.jsonl", "eval/gold/quoted_terms_train.jsonl",
               "eval/gold/quoted_terms_train2.jsonl", "eval/gold/quoted_terms_heldout.jsonl",
               "eval/gold/quoted_terms_heldout2.jsonl", "eval/gold/quoted_terms_train3.jsonl",
               "eval/gold/quoted_terms_train4.jsonl", "eval/gold/quoted_terms_heldout3.jsonl",
               "eval/gold/quoted_terms_train5.jsonl", "eval/gold/quoted_terms_train6.jsonl",
               "eval/gold/quoted_terms_heldout4.jsonl", "eval/gold/quoted_terms_train7.jsonl")
BLIND_FILE = "eval/gold/quoted_terms_heldout5.jsonl"
MODEL_PATH = Path(__file__).resolve().parent / "models" / MODEL_FILE

L2 = 0.0003
BALANCE = 0.5  # exponent on the inverse class frequency: 1 = fully balanced, 0 = plain
STEPS = 3000
RATE = 0.5
MIN_COUNT = 1
FOLDS = 5
DECIMALS = 4


SHARED_RUN = 6  # words in a row that a training record may not share with a blind record
SHARED_TERM = 9  # characters (of words, spaces between) from which a shared quoted phrase counts


def training_records(path: Path, root: Path = ROOT) -> list[dict[str, Any]]:
    """The records of one training file that share with the blind set no PolNeAR article, no run of
    SHARED_RUN words and no quoted phrase of SHARED_TERM characters or more. Written records come
    from helpers writing on the same themes, with guidelines (eval/gold/quoted_terms.md) that name
    the blind set's contrast phrases: a record reusing a blind sentence's words or its phrase
    would score the blind set on what training already saw (a stock phrase is left out too,
    which makes the blind score a little harsher, not kinder)."""
    articles, runs, phrases = _blind_marks(root)
    return [r for r in _records(path) if r["origin"] not in articles and not _word_runs(r["text"]) & runs
            and not _quoted_phrases(r) & phrases]


@functools.lru_cache(maxsize=None)
def _blind_marks(root: Path) -> tuple[frozenset, frozenset, frozenset]:
    """The blind set's PolNeAR articles, word runs and quoted phrases, read once for all training files."""
    blind = _records(root / BLIND_FILE)
    return (frozenset(r["origin"] for r in blind if r["origin"] != "written"),
            frozenset().union(*(_word_runs(r["text"]) for r in blind)),
            frozenset(t for r in blind for t in _quoted_phrases(r)))


def _word_runs(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + SHARED_RUN]) for i in range(len(words) - SHARED_RUN + 1)}


def _quoted_phrases(record: dict[str, Any]) -> set[str]:
    """The record's quoted words, lower-cased, punctuation dropped, if SHARED_TERM characters or more."""
    phrases = {" ".join(re.findall(r"\w+", t["text"].lower())) for t in record["terms"]}
    return {p for p in phrases if len(p) >= SHARED_TERM}


def _records(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def examples(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """One example per gold term of the training records: record id, gold function, active
    feature names, and what the encoder reads for it (`window`: the text of its context window;
    `parts`: the quoted words' and the marks' character ranges in that text)."""
    from .pipeline import build_pipeline, run
    from .spans import SpanIndex
    from .stages.ingest import from_record

    stages = build_pipeline(["segment"])
    out = []
    for path in paths:
        for record in training_records(path):
            doc = run(from_record({"text": record["text"], "id": record["id"]}), stages)
            sents = SpanIndex(doc.sentences)
            spans = [doc.span(term["start"], term["end"]) for term in record["terms"]]
            pairs = [(span, sents.at(span.start)) for span in spans]
            for term, (span, sentence) in zip(record["terms"], pairs):
                window = context_window(span, sentence, len(doc.text))
                out.append({"id": record["id"], "source": path.name, "label": term["function"],
                            "features": features(doc, span, sentence),
                            "window": doc.text[window.start:window.end],
                            "parts": [[(a - window.start, b - window.start) for a, b in part] for part in window.parts]})
    return out


class _Binary:
    """A 0/1 example-by-feature matrix held as the column of each 1, row by row.

    Each example has a few dozen active features out of thousands, so products with the weights are
    sums of gathered rows; this is ten times faster than a dense matrix product and sums in a fixed
    order, so the weights do not depend on the BLAS library.
    """

    def __init__(self, exs: list[dict[str, Any]], vocab: list[str]):
        index = {name: i for i, name in enumerate(vocab)}
        rows = [sorted(index[n] for n in ex["features"] if n in index) for ex in exs]
        assert all(rows), "every example has the bias feature"
        self.cols = np.array([c for r in rows for c in r], dtype=np.int64)
        self.row_of = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
        self.row_starts = np.cumsum([0] + [len(r) for r in rows[:-1]])
        order = np.argsort(self.cols, kind="stable")
        self.by_col = order
        self.active_cols, self.col_starts = np.unique(self.cols[order], return_index=True)
        self.n_cols = len(vocab)

    def dot(self, w: np.ndarray) -> np.ndarray:
        """X @ w."""
        return np.add.reduceat(w[self.cols], self.row_starts, axis=0)

    def t_dot(self, g: np.ndarray) -> np.ndarray:
        """X.T @ g."""
        out = np.zeros((self.n_cols, g.shape[1]))
        out[self.active_cols] = np.add.reduceat(g[self.row_of[self.by_col]], self.col_starts, axis=0)
        return out


def fit(exs: list[dict[str, Any]]) -> dict[str, Any]:
    """Weights for the examples: {"classes", "weights": {feature: [per class]}, "trained_on", "settings"}."""
    counts: dict[str, int] = {}
    for ex in exs:
        for name in ex["features"]:
            counts[name] = counts.get(name, 0) + 1
    vocab = sorted(n for n, c in counts.items() if c >= MIN_COUNT or n == "bias")
    x = _Binary(exs, vocab)
    y = np.array([FUNCTIONS.index(ex["label"]) for ex in exs])
    k = len(FUNCTIONS)
    onehot = np.eye(k)[y]
    per_class = np.bincount(y, minlength=k).astype(float)
    sample_w = class_weights(per_class)[y] / len(y)
    penalty = np.ones((len(vocab), 1))
    penalty[vocab.index("bias")] = 0.0
    w = np.zeros((len(vocab), k))
    velocity = np.zeros_like(w)
    for _ in range(STEPS):
        logits = x.dot(w)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = x.t_dot((p - onehot) * sample_w[:, None]) + L2 * penalty * w
        velocity = 0.9 * velocity - RATE * grad
        w += velocity
    return {"classes": list(FUNCTIONS), "weights": _rounded_rows(vocab, w),
            "trained_on": {"files": list(TRAIN_FILES), "examples": len(exs),
                           "per_class": {c: int(per_class[i]) for i, c in enumerate(FUNCTIONS)}},
            "settings": {"l2": L2, "balance": BALANCE, "steps": STEPS, "rate": RATE, "min_count": MIN_COUNT}}


def class_weights(per_class: np.ndarray) -> np.ndarray:
    """Each class's weight in the loss: the inverse of its frequency to the power BALANCE
    (each class weighing the same, at BALANCE 1, is what macro-F1 rewards)."""
    return (per_class.sum() / (len(per_class) * np.maximum(per_class, 1.0))) ** BALANCE


def _rounded(values: Iterable[float], decimals: int) -> list[float]:
    return [round(float(v), decimals) + 0.0 for v in values]  # + 0.0: no "-0.0" in the file


def _rounded_rows(vocab: list[str], w: np.ndarray) -> dict[str, list[float]]:
    return {name: _rounded(w[i], DECIMALS) for i, name in enumerate(vocab)}


def folds_of(exs: list[dict[str, Any]], folds: int = FOLDS, shuffle: int | None = None,
             block: int = 1) -> dict[str, int]:
    """Record id -> CV fold; whole records go to one fold (fold = record order // block mod k, the
    records sorted by id, or shuffled by the seed `shuffle`). With block > 1, runs of neighbouring
    ids stay in one fold: written records come in sets by one annotator on one theme, often the
    same sentence twice with the words in two functions, and a fold that holds one of a pair while
    training on the other scores too high."""
    ids = sorted({ex["id"] for ex in exs})
    if shuffle is not None:
        random.Random(shuffle).shuffle(ids)
    return {rid: (i // block) % folds for i, rid in enumerate(ids)}


def cross_validate(exs: list[dict[str, Any]], folds: int = FOLDS, shuffle: int | None = None,
                   block: int = 1) -> list[str]:
    """The feature model's out-of-fold predictions (folds as `folds_of` deals them)."""
    fold_of = folds_of(exs, folds, shuffle, block)
    predicted = [""] * len(exs)
    for f in range(folds):
        model = fit([ex for ex in exs if fold_of[ex["id"]] != f])
        for i, ex in enumerate(exs):
            if fold_of[ex["id"]] == f:
                predicted[i] = decide(ex["features"], model)
    return predicted


def report(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    per_class = {}
    for c in FUNCTIONS:
        tp = sum(g == c and p == c for g, p in zip(gold, predicted))
        fp = sum(g != c and p == c for g, p in zip(gold, predicted))
        fn = sum(g == c and p != c for g, p in zip(gold, predicted))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per_class[c] = {"precision": round(prec, 3), "recall": round(rec, 3), "f1": round(f1, 3),
                        "support": tp + fn}
    macro = sum(d["f1"] for d in per_class.values()) / len(FUNCTIONS)
    return {"terms": len(gold), "macro_f1": round(macro, 4), "per_class": per_class}


def _render(title: str, result: dict[str, Any]) -> str:
    lines = [f"{title}: {result['terms']} terms, macro-F1 {result['macro_f1']:.3f}"]
    for c, d in result["per_class"].items():
        lines.append(f"  {c:10} P {d['precision']:.3f}  R {d['recall']:.3f}  F1 {d['f1']:.3f}  "
                     f"(n {d['support']})")
    return "\n".join(lines)


def train(root: Path = ROOT) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    exs = examples(root / f for f in TRAIN_FILES)
    return fit(exs), exs


def dumps(model: dict[str, Any]) -> str:
    return json.dumps(model, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sourcetrace.train_quote_function")
    parser.add_argument("--check", action="store_true", help="compare with the shipped weights, write nothing")
    parser.add_argument("--no-cv", action="store_true", help="skip the k-fold cross-validation")
    parser.add_argument("--repeats", type=int, default=0, metavar="N",
                        help="also run CV on N shuffled fold partitions and print their mean (CV moves by "
                             "about 0.01 between partitions, so compare settings on the mean)")
    parser.add_argument("--block", type=int, default=1, metavar="N",
                        help="CV folds take runs of N neighbouring records (an annotator's contrast pairs "
                             "stay together); 1, the default, deals records out one by one")
    args = parser.parse_args(argv)
    model, exs = train()
    if args.repeats:
        gold = [ex["label"] for ex in exs]
        runs = [report(gold, cross_validate(exs, shuffle=seed)) for seed in range(1, args.repeats + 1)]
        mean = {c: sum(r["per_class"][c]["f1"] for r in runs) / len(runs) for c in FUNCTIONS}
        print(f"{FOLDS}-fold CV on {len(runs)} shuffled partitions: macro-F1 mean "
              f"{sum(r['macro_f1'] for r in runs) / len(runs):.3f} (runs "
              + ", ".join(f"{r['macro_f1']:.3f}" for r in runs) + "); per class "
              + ", ".join(f"{c} {v:.3f}" for c, v in mean.items()))
    if not args.no_cv:
        predicted = cross_validate(exs, block=args.block)
        gold = [ex["label"] for ex in exs]
        blocks = f", folds in blocks of {args.block}" if args.block > 1 else ""
        print(_render(f"{FOLDS}-fold CV{blocks} of the feature model alone, all training gold",
                      report(gold, predicted)))
        first = [i for i, ex in enumerate(exs) if ex["source"] == Path(TRAIN_FILES[0]).name]
        print(_render(f"{FOLDS}-fold CV, {TRAIN_FILES[0]} terms only",
                      report([gold[i] for i in first], [predicted[i] for i in first])))
    text = dumps(model)
    if args.check:
        same = MODEL_PATH.exists() and model == json.loads(MODEL_PATH.read_text(encoding="utf-8"))
        print("shipped weights are up to date" if same else f"{MODEL_PATH} differs from a fresh training run",
              file=sys.stderr)
        return 0 if same else 1
    MODEL_PATH.parent.mkdir(exist_ok=True)
    MODEL_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {MODEL_PATH} ({len(model['weights'])} features, {len(exs)} examples)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
