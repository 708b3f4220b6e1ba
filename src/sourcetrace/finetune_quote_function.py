"""Fine-tune the encoder for the quote-mark function and train the cascade's context model.

    make train-quote                                       # a venv with torch (.venv-train), then both trainers
    python -m sourcetrace.finetune_quote_function          # train on the training gold, write the models
    python -m sourcetrace.finetune_quote_function --cv     # first, blocked 5-fold CV of the whole cascade

The context model reads two vectors of the encoder's layer LAYER (0-based): the mean of the quoted
words' tokens and the mean of the two marks' tokens (`quote_function.context_window`), and the
feature model's sparse features. Layers 0..LAYER carry LoRA adapters (rank RANK) on every linear
projection; the adapters, a linear head over the two vectors and the sparse weights are trained
together, from the pretrained encoder, with AdamW and class-balanced cross-entropy. The examples
and the feature model come from `sourcetrace.train_quote_function`.

Written: models/quote_encoder.npz, the adapters as low-rank factors that `encoder.adapted` adds to
the pretrained weights, and models/quote_context.json, the head and sparse weights in the form
`quote_function.scores` reads (the head's bias joins the "bias" feature), the threshold under which
the feature model hands a pair over, and `probes`: this model's probabilities for a few training
examples, which tests/test_quote_function.py checks the numpy inference reproduces.

Torch on the CPU with fixed seeds gives the same weights run after run on one machine; another CPU
may round differently, so the shipped files are the record (regenerated only on purpose).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from . import encoder
from .quote_function import CONTEXT_FILE, FUNCTIONS, decide_with_probability, needs_context
from .train_quote_function import (BLIND_FILE, FOLDS, MODEL_PATH, ROOT, TRAIN_FILES, _render, _rounded,
                                   _rounded_rows, class_weights, examples, fit, folds_of, report)

CONTEXT_PATH = MODEL_PATH.parent / CONTEXT_FILE
ADAPTER_FILE = "quote_encoder.npz"
LAYER = 3
RANK = 8
ALPHA = 16.0  # LoRA's update is scaled by ALPHA / RANK
EPOCHS = 3
BATCH = 16
ENCODER_RATE = 5e-4
HEAD_RATE = 2e-3
SPARSE_RATE = 2e-2
DROPOUT = 0.1
WARMUP = 0.06  # share of the steps over which the learning rates rise; then they fall linearly to 0
THRESHOLD = 0.9
SEED = 0
PROBES = 12
DECIMALS = 5
_LINEAR = {"attention.self.query": "q", "attention.self.key": "k", "attention.self.value": "v",
           "attention.output.dense": "o", "intermediate.dense": "up", "output.dense": "down"}


def _torch():
    try:
        import torch
    except ImportError:
        sys.exit("sourcetrace.finetune_quote_function needs torch (training only): `make train-quote` "
                 "sets up .venv-train with it (pip install -r requirements-train.txt)")
    return torch


def build(vocab_size: int):
    """The torch model: the encoder's first LAYER + 1 layers with zero-initialised LoRA updates, a
    linear head over the two part vectors, and a bag of sparse feature weights."""
    torch = _torch()
    nn, F = torch.nn, torch.nn.functional

    with zipfile.ZipFile(encoder.model_zip()) as zf, zf.open("model.safetensors") as stream:
        raw = encoder._read_safetensors(stream, lambda name: not encoder._beyond(name, LAYER + 1))
    w = {k.removeprefix("bert."): torch.tensor(np.array(v)) for k, v in raw.items()}

    class LoRALinear(nn.Module):
        def __init__(self, name: str):
            super().__init__()
            self.name = name
            self.register_buffer("weight", w[name + ".weight"])
            self.register_buffer("bias", w[name + ".bias"])
            out, inp = self.weight.shape
            self.lora_A = nn.Parameter(torch.randn(RANK, inp) / math.sqrt(inp))
            self.lora_B = nn.Parameter(torch.zeros(out, RANK))

        def forward(self, x):
            return F.linear(x, self.weight, self.bias) + (x @ self.lora_A.T @ self.lora_B.T) * (ALPHA / RANK)

    def frozen_norm(name: str):
        norm = nn.LayerNorm(encoder.WIDTH, eps=1e-12)
        norm.weight.data, norm.bias.data = w[name + ".weight"].clone(), w[name + ".bias"].clone()
        return norm.requires_grad_(False)

    class Context(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("word", w["embeddings.word_embeddings.weight"])
            self.register_buffer("position", w["embeddings.position_embeddings.weight"])
            self.register_buffer("token_type", w["embeddings.token_type_embeddings.weight"][0])
            self.embed_norm = frozen_norm("embeddings.LayerNorm")
            self.layers = nn.ModuleList()
            for i in range(LAYER + 1):
                layer = nn.Module()
                for key, short in _LINEAR.items():
                    setattr(layer, short, LoRALinear(f"encoder.layer.{i}.{key}"))
                layer.norm1 = frozen_norm(f"encoder.layer.{i}.attention.output.LayerNorm")
                layer.norm2 = frozen_norm(f"encoder.layer.{i}.output.LayerNorm")
                self.layers.append(layer)
            self.head = nn.Linear(2 * encoder.WIDTH, len(FUNCTIONS))
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)
            self.sparse = nn.EmbeddingBag(vocab_size, len(FUNCTIONS), mode="sum")
            nn.init.zeros_(self.sparse.weight)
            self.dropout = nn.Dropout(DROPOUT)

        def vectors(self, ids, mask, parts):
            """The mean of each part's tokens at layer LAYER, side by side (as encoder.focus_vectors)."""
            n, t = ids.shape
            d = encoder.WIDTH // encoder.HEADS
            x = self.embed_norm(self.word[ids] + self.position[:t] + self.token_type)
            key_bias = torch.where(mask, 0.0, -1e9)[:, None, None, :]
            for layer in self.layers:
                q, k, v = (m(x).view(n, t, encoder.HEADS, d).transpose(1, 2) for m in (layer.q, layer.k, layer.v))
                attention = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + key_bias, -1)
                x = layer.norm1(layer.o((attention @ v).transpose(1, 2).reshape(n, t, encoder.WIDTH)) + x)
                x = layer.norm2(layer.down(F.gelu(layer.up(x), approximate="tanh")) + x)
            return torch.cat([(x * p[..., None]).sum(1) / p.sum(1, keepdim=True) for p in parts], -1)

        def forward(self, ids, mask, parts, feature_ids, offsets):
            return self.head(self.dropout(self.vectors(ids, mask, parts))) + self.sparse(feature_ids, offsets)

    return Context()


def encoded(exs: list[dict[str, Any]], vocab: dict[str, int]) -> list[dict[str, Any]]:
    """Token ids, each part's token positions (as encoder.focus_vectors picks them), feature ids, label."""
    tokenizer = encoder.load(LAYER + 1).tokenizer
    out = []
    for ex, e in zip(exs, tokenizer.encode_batch([ex["window"] for ex in exs])):
        out.append({"ids": e.ids, "parts": encoder.part_positions(e.offsets, ex["parts"]),
                    "label": FUNCTIONS.index(ex["label"]),
                    "features": [vocab[n] for n in ex["features"] if n in vocab]})
    return out


def _batch(items: list[dict[str, Any]]):
    torch = _torch()
    t = max(len(it["ids"]) for it in items)
    ids = torch.zeros(len(items), t, dtype=torch.long)
    mask = torch.zeros(len(items), t, dtype=torch.bool)
    parts = [torch.zeros(len(items), t) for _ in range(2)]
    feature_ids, offsets = [], []
    for row, it in enumerate(items):
        ids[row, :len(it["ids"])] = torch.tensor(it["ids"])
        mask[row, :len(it["ids"])] = True
        for part, positions in zip(parts, it["parts"]):
            part[row, positions] = 1.0
        offsets.append(len(feature_ids))
        feature_ids.extend(it["features"])
    return (ids, mask, parts, torch.tensor(feature_ids, dtype=torch.long), torch.tensor(offsets),
            torch.tensor([it["label"] for it in items]))


def train_context(exs: list[dict[str, Any]], log=None):
    """The trained torch model and its feature vocabulary."""
    torch = _torch()
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    rng = random.Random(SEED)
    vocab = {name: i for i, name in enumerate(sorted({n for ex in exs for n in ex["features"]}))}
    items = encoded(exs, vocab)
    model = build(len(vocab))
    per_class = np.bincount([it["label"] for it in items], minlength=len(FUNCTIONS)).astype(float)
    loss_weights = torch.tensor(class_weights(per_class), dtype=torch.float32)
    lora = [p for name, p in model.named_parameters() if "lora_" in name]
    optimiser = torch.optim.AdamW([{"params": lora, "lr": ENCODER_RATE, "weight_decay": 0.01},
                                   {"params": model.head.parameters(), "lr": HEAD_RATE, "weight_decay": 0.01},
                                   {"params": model.sparse.parameters(), "lr": SPARSE_RATE, "weight_decay": 0.0}])
    steps = EPOCHS * math.ceil(len(items) / BATCH)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / (WARMUP * steps)) * max(0.0, (steps - s) / steps))
    model.train()
    for epoch in range(EPOCHS):
        started, total = time.time(), 0.0
        # batches of similar lengths (little padding), in random order
        order = sorted(range(len(items)), key=lambda i: (len(items[i]["ids"]), rng.random()))
        batches = [order[i:i + BATCH] for i in range(0, len(order), BATCH)]
        rng.shuffle(batches)
        for batch in batches:
            *inputs, labels = _batch([items[i] for i in batch])
            loss = torch.nn.functional.cross_entropy(model(*inputs), labels, weight=loss_weights)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item()
        if log:
            log(f"  epoch {epoch + 1}/{EPOCHS}: loss {total / len(batches):.3f}, {time.time() - started:.0f} s")
    model.eval()
    return model, vocab


def probabilities(model, vocab: dict[str, int], exs: list[dict[str, Any]]) -> np.ndarray:
    torch = _torch()
    items = encoded(exs, vocab)
    out = np.zeros((len(items), len(FUNCTIONS)))
    order = sorted(range(len(items)), key=lambda i: len(items[i]["ids"]))
    with torch.no_grad():
        for b in range(0, len(order), 64):
            rows = order[b:b + 64]
            *inputs, _ = _batch([items[i] for i in rows])
            out[rows] = torch.softmax(model(*inputs), -1).numpy()
    return out


def exported(model, vocab: dict[str, int], exs: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The context model as quote_context.json holds it, and the adapter's arrays."""
    adapter = {}
    for module in model.modules():
        if hasattr(module, "lora_A"):
            adapter[module.name + ".weight.lora_A"] = module.lora_A.detach().numpy().astype(np.float32)
            adapter[module.name + ".weight.lora_B"] = (module.lora_B.detach().numpy() * (ALPHA / RANK)).astype(np.float32)
    names = sorted(vocab, key=vocab.get)
    sparse = model.sparse.weight.detach().numpy().astype(np.float64).copy()
    sparse[vocab["bias"]] += model.head.bias.detach().numpy()
    head = model.head.weight.detach().numpy().astype(np.float64).T
    per_class = {c: sum(ex["label"] == c for ex in exs) for c in FUNCTIONS}
    context = {
        "classes": list(FUNCTIONS),
        "weights": _rounded_rows(names, sparse),
        "dense": {"layers": [LAYER], "adapter": ADAPTER_FILE, "weights": [_rounded(row, DECIMALS) for row in head]},
        "context_threshold": THRESHOLD,
        "trained_on": {"files": list(TRAIN_FILES), "examples": len(exs), "per_class": per_class},
        "settings": {"layer": LAYER, "rank": RANK, "alpha": ALPHA, "epochs": EPOCHS, "batch": BATCH,
                     "encoder_rate": ENCODER_RATE, "head_rate": HEAD_RATE, "sparse_rate": SPARSE_RATE,
                     "dropout": DROPOUT, "warmup": WARMUP, "seed": SEED},
    }
    picks = [i for c in FUNCTIONS for i in _spread([j for j, ex in enumerate(exs) if ex["label"] == c], PROBES // 4)]
    probe_probabilities = probabilities(model, vocab, [exs[i] for i in picks])
    context["probes"] = [{"window": exs[i]["window"], "parts": exs[i]["parts"], "features": exs[i]["features"],
                          "probabilities": _rounded(p, 6)} for i, p in zip(picks, probe_probabilities)]
    return context, adapter


def _spread(items: list[int], n: int) -> list[int]:
    """n items evenly spaced through the list (probes from every part of the training files)."""
    return items[::max(1, len(items) // n)][:n]


def cross_validate(exs: list[dict[str, Any]], block: int, thresholds: list[float], log) -> dict[str, Any]:
    """Blocked k-fold CV (`train_quote_function.folds_of`) of the feature model, the context model
    alone and the cascade at each threshold: {name: report}, each cascade's name saying the share
    of terms it hands to the context model."""
    fold_of = folds_of(exs, block=block)
    first: list[tuple[str, float]] = [("", 0.0)] * len(exs)
    context = np.zeros((len(exs), len(FUNCTIONS)))
    for f in range(FOLDS):
        train_exs = [ex for ex in exs if fold_of[ex["id"]] != f]
        test = [i for i, ex in enumerate(exs) if fold_of[ex["id"]] == f]
        log(f"fold {f + 1}/{FOLDS}: {len(train_exs)} training, {len(test)} test terms")
        feature_model = fit(train_exs)
        for i in test:
            first[i] = decide_with_probability(exs[i]["features"], feature_model)
        model, vocab = train_context(train_exs, log)
        context[test] = probabilities(model, vocab, [exs[i] for i in test])
    gold = [ex["label"] for ex in exs]
    second = [FUNCTIONS[int(p.argmax())] for p in context]
    out = {"feature model": report(gold, [f for f, _ in first]), "context model": report(gold, second)}
    for threshold in thresholds:
        unsure = [needs_context(p, {"context_threshold": threshold}) for _, p in first]
        out[f"cascade at {threshold} ({sum(unsure) / len(exs):.0%} to the context model)"] = report(
            gold, [s if u else f for (f, _), s, u in zip(first, second, unsure)])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sourcetrace.finetune_quote_function")
    parser.add_argument("--cv", action="store_true", help="first run blocked k-fold CV of the cascade")
    parser.add_argument("--cv-only", action="store_true", help="run the CV and write nothing")
    parser.add_argument("--block", type=int, default=40, metavar="N", help="CV folds take runs of N records")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    exs = examples(ROOT / f for f in TRAIN_FILES)
    log(f"{len(exs)} training terms (blind set {BLIND_FILE} left out)")
    if args.cv or args.cv_only:
        for name, result in cross_validate(exs, args.block, [0.8, THRESHOLD, 0.95], log).items():
            print(_render(f"{FOLDS}-fold CV, folds in blocks of {args.block}, {name}", result))
        if args.cv_only:
            return 0
    model, vocab = train_context(exs, log)
    context, adapter = exported(model, vocab, exs)
    np.savez(CONTEXT_PATH.parent / ADAPTER_FILE, **adapter)
    CONTEXT_PATH.write_text(json.dumps(context, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"wrote {CONTEXT_PATH} and {ADAPTER_FILE} ({len(adapter) // 2} adapted matrices, {len(exs)} examples)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
