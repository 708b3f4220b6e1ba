import pytest

from sourcetrace.document import Document
from sourcetrace.pipeline import PipelineError, build_pipeline, run


def test_disabling_a_needed_stage_fails_at_build_time_with_the_missing_field():
    with pytest.raises(PipelineError, match="requires.*quotes"):
        build_pipeline(["segment", "attribution"])
    with pytest.raises(PipelineError, match="requires"):
        build_pipeline(disable=["quotes"])


def test_unknown_stage_is_named():
    with pytest.raises(PipelineError, match="nonsense"):
        build_pipeline(["segment", "nonsense"])


def test_a_failing_stage_becomes_a_warning_not_a_lost_article(monkeypatch):
    stages = build_pipeline(["segment", "quotes"])
    from sourcetrace.stages import quotes

    def boom(doc):
        raise RuntimeError("kaput")

    broken = [stages[0], type(stages[1])(stages[1].name, stages[1].requires, stages[1].assigns, boom)]
    doc = run(Document('He said "hi."'), broken)
    assert doc.paragraphs
    assert [(w.stage, w.code) for w in doc.warnings] == [("quotes", "stage-failed")]
    assert "kaput" in doc.warnings[0].message
    assert quotes.NAME in doc.done
