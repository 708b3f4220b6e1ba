"""Train the quote-function classifier and write src/sourcetrace/models/quote_function.json.

    python -m sourcetrace.train_quote_function            # train, print k-fold CV, write weights
    python -m sourcetrace.train_quote_function --check    # exit 1 if the shipped weights differ

Training data: eval/gold/quoted_terms.jsonl and eval/gold/quoted_terms_train.jsonl (never
quoted_terms_heldout.jsonl, which is kept for an honest score). Each gold term is one example,
classified on its gold span, with features from `sourcetrace.quote_function.features`. The model
is a multinomial logistic regression with L2, class-balanced, fitted by full-batch gradient
descent from zero for a fixed number of steps: the same data always gives the same weights.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .quote_function import FUNCTIONS, MODEL_FILE, decide, features

ROOT = Path(__file__).resolve().parents[2]
TRAIN_FILES = ("eval/gold/quoted_terms.jsonl", "eval/gold/quoted_terms_train.jsonl",
               "eval/gold/quoted_terms_train2.jsonl")
MODEL_PATH = Path(__file__).resolve().parent / "models" / MODEL_FILE

L2 = 0.0003
BALANCE = 0.5  # exponent on the inverse class frequency: 1 = fully balanced, 0 = plain
STEPS = 3000
RATE = 0.5
MIN_COUNT = 1
FOLDS = 5
DECIMALS = 4


def examples(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """One example per gold term: record id, gold function and active feature names."""
    from .pipeline import build_pipeline, run
    from .spans import SpanIndex
    from .stages.ingest import from_record

    stages = build_pipeline(["segment"])
    out = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                record = json.loads(line)
                doc = run(from_record({"text": record["text"], "id": record["id"]}), stages)
                sents = SpanIndex(doc.sentences)
                for term in record["terms"]:
                    span = doc.span(term["start"], term["end"])
                    out.append({"id": record["id"], "source": path.name, "label": term["function"],
                                "features": features(doc, span, sents.at(span.start))})
    return out


def _matrix(exs: list[dict[str, Any]], vocab: list[str]) -> np.ndarray:
    index = {name: i for i, name in enumerate(vocab)}
    x = np.zeros((len(exs), len(vocab)))
    for row, ex in enumerate(exs):
        for name in ex["features"]:
            if name in index:
                x[row, index[name]] = 1.0
    return x


def fit(exs: list[dict[str, Any]]) -> dict[str, Any]:
    """Weights for the examples: {"classes", "weights": {feature: [per class]}, ...}."""
    counts: dict[str, int] = {}
    for ex in exs:
        for name in ex["features"]:
            counts[name] = counts.get(name, 0) + 1
    vocab = sorted(n for n, c in counts.items() if c >= MIN_COUNT or n == "bias")
    x = _matrix(exs, vocab)
    y = np.array([FUNCTIONS.index(ex["label"]) for ex in exs])
    k = len(FUNCTIONS)
    onehot = np.eye(k)[y]
    per_class = np.bincount(y, minlength=k).astype(float)
    # Class-balanced: each class weighs the same in the loss, which is what macro-F1 rewards.
    sample_w = ((len(y) / (k * np.maximum(per_class, 1.0))) ** BALANCE)[y] / len(y)
    penalty = np.ones((len(vocab), 1))
    penalty[vocab.index("bias")] = 0.0
    w = np.zeros((len(vocab), k))
    velocity = np.zeros_like(w)
    for _ in range(STEPS):
        logits = x @ w
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = x.T @ ((p - onehot) * sample_w[:, None]) + L2 * penalty * w
        velocity = 0.9 * velocity - RATE * grad
        w += velocity
    weights = {name: [round(float(v), DECIMALS) + 0.0 for v in w[i]] for i, name in enumerate(vocab)}
    return {"classes": list(FUNCTIONS), "weights": weights,
            "trained_on": {"files": list(TRAIN_FILES), "examples": len(exs),
                           "per_class": {c: int(per_class[i]) for i, c in enumerate(FUNCTIONS)}},
            "settings": {"l2": L2, "balance": BALANCE, "steps": STEPS, "rate": RATE, "min_count": MIN_COUNT}}


def predict(model: dict[str, Any], active: list[str]) -> str:
    return decide(active, model)


def cross_validate(exs: list[dict[str, Any]], folds: int = FOLDS) -> list[str]:
    """Out-of-fold predictions; whole records go to one fold (fold = record order mod k)."""
    ids = sorted({ex["id"] for ex in exs})
    fold_of = {rid: i % folds for i, rid in enumerate(ids)}
    predicted = [""] * len(exs)
    for f in range(folds):
        model = fit([ex for ex in exs if fold_of[ex["id"]] != f])
        for i, ex in enumerate(exs):
            if fold_of[ex["id"]] == f:
                predicted[i] = predict(model, ex["features"])
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
    args = parser.parse_args(argv)
    model, exs = train()
    if not args.no_cv:
        predicted = cross_validate(exs)
        gold = [ex["label"] for ex in exs]
        print(_render(f"{FOLDS}-fold CV, all training gold", report(gold, predicted)))
        first = [i for i, ex in enumerate(exs) if ex["source"] == Path(TRAIN_FILES[0]).name]
        print(_render(f"{FOLDS}-fold CV, {TRAIN_FILES[0]} terms only",
                      report([gold[i] for i in first], [predicted[i] for i in first])))
    text = dumps(model)
    if args.check:
        same = MODEL_PATH.exists() and MODEL_PATH.read_text(encoding="utf-8") == text
        print("shipped weights are up to date" if same else f"{MODEL_PATH} differs from a fresh training run",
              file=sys.stderr)
        return 0 if same else 1
    MODEL_PATH.parent.mkdir(exist_ok=True)
    MODEL_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {MODEL_PATH} ({len(model['weights'])} features, {len(exs)} examples)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
