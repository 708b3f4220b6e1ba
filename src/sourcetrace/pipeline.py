"""The stage table: which stages run, in which order, and what each needs and adds.

A stage is a module in `sourcetrace.stages` exposing `NAME`, `REQUIRES`, `ASSIGNS` and
`run(doc) -> Document`. `build_pipeline` checks at build time that every requirement is assigned
by an earlier stage, so disabling a stage fails with a clear message instead of empty output.
"""

from __future__ import annotations

import importlib
import logging
import traceback
from dataclasses import dataclass
from types import ModuleType
from typing import Callable, Sequence

from .document import Document

log = logging.getLogger(__name__)

DEFAULT_STAGES: tuple[str, ...] = (
    "segment", "quotes", "attribution", "sources", "entities", "signals", "dates", "profile")


@dataclass(frozen=True)
class Stage:
    name: str
    requires: tuple[str, ...]
    assigns: tuple[str, ...]
    func: Callable[[Document], Document]

    def __call__(self, doc: Document) -> Document:
        return self.func(doc)


class PipelineError(ValueError):
    pass


def stage_from_module(module: ModuleType) -> Stage:
    return Stage(module.NAME, tuple(module.REQUIRES), tuple(module.ASSIGNS), module.run)


def load_stage(name: str) -> Stage:
    try:
        module = importlib.import_module(f"sourcetrace.stages.{name}")
    except ModuleNotFoundError as exc:
        raise PipelineError(f"unknown stage {name!r}") from exc
    return stage_from_module(module)


def build_pipeline(names: Sequence[str] = DEFAULT_STAGES, *, disable: Sequence[str] = ()) -> list[Stage]:
    stages = [load_stage(n) for n in names if n not in set(disable)]
    assigned: set[str] = set()
    for stage in stages:
        missing = [r for r in stage.requires if r not in assigned]
        if missing:
            raise PipelineError(
                f"stage {stage.name!r} requires {', '.join(missing)}, which no earlier stage assigns"
            )
        assigned.update(stage.assigns)
    return stages


def run(doc: Document, stages: Sequence[Stage]) -> Document:
    """Run the stages in order. A stage that raises leaves a warning, never a lost article."""
    for stage in stages:
        try:
            doc = stage(doc)
        except Exception as exc:  # an article is never dropped because one stage failed on it
            log.debug("stage %s failed on %s:\n%s", stage.name, doc.id, traceback.format_exc())
            doc = doc.warn(stage.name, "stage-failed", f"{type(exc).__name__}: {exc}")
        doc = doc.evolve(done=doc.done | {stage.name})
    return doc
