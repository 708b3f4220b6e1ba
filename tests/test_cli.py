"""The command line, called through main(argv) with captured stdout/stderr."""

import io
import json
import sys

import pytest

from sourcetrace.cli import main
from sourcetrace.output.schema import validate


def run(capsys, *argv, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")), encoding="utf-8"))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_analyze_example_prints_a_readable_report(capsys):
    code, out, _ = run(capsys, "analyze", "example", "--format", "text")
    assert code == 0
    assert "a source close to the Russian military" in out and "anonymous" in out
    assert "‘liberate’" in out and "scare" in out


def test_analyze_file_gives_valid_json(capsys, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text('"We will win," the general said.\r\n', encoding="utf-8")
    code, out, _ = run(capsys, "analyze", str(path), "--published", "2025-05-02")
    assert code == 0
    data = json.loads(out)
    validate(data)
    assert data["document"]["published"] == "2025-05-02"
    assert data["quotes"][0]["speaker"]["text"] == "the general"


def test_analyze_stdin_keeps_the_text(capsys, monkeypatch):
    code, out, _ = run(capsys, "analyze", "-", stdin="“Yes,” she said.", monkeypatch=monkeypatch)
    assert code == 0 and json.loads(out)["document"]["text"] == "“Yes,” she said."


@pytest.mark.parametrize(
    "content, problem",
    [(b"\xff\xfe\x00bad", "binary"), (b"caf\xe9 latin-1", "not UTF-8")],
)
def test_bad_file_gets_a_clear_error_naming_it(capsys, tmp_path, content, problem):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    code, out, err = run(capsys, "analyze", str(path))
    assert code == 1 and out == ""
    assert str(path) in err and problem in err


def test_missing_file_and_bad_date_are_errors(capsys, tmp_path):
    code, _, err = run(capsys, "analyze", str(tmp_path / "nope.txt"))
    assert code == 1 and "nope.txt" in err
    good = tmp_path / "ok.txt"
    good.write_text("Text.")
    code, _, err = run(capsys, "analyze", str(good), "--published", "02/05/2025")
    assert code == 1 and "published" in err


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["analyze"]) == 2
    assert main(["analyze", "x", "--format", "pdf"]) == 2


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "analyze" in capsys.readouterr().out


def test_batch_keeps_order_and_turns_bad_lines_into_error_records(capsys, tmp_path):
    src = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"id": "a", "text": '"One," he said.'}),
        "{not json",
        json.dumps({"id": "c", "title": "no text"}),
        json.dumps({"id": "d", "text": "Plain.", "published": "yesterday"}),
        json.dumps({"id": "e", "text": '"Two," she said.'}),
    ]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, _, err = run(capsys, "batch", str(src), "-o", str(out))
    assert code == 1  # some articles failed; the rest were still written
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 5
    assert [r.get("document", {}).get("id") or r["error"]["id"] for r in records] == ["a", None, "c", "d", "e"]
    assert [("error" in r) for r in records] == [False, True, True, True, False]
    assert "in.jsonl:2" in records[1]["error"]["message"] and "JSON" in records[1]["error"]["message"]
    assert "no 'text'" in records[2]["error"]["message"]
    assert "3 failed" in err
    for r in records:
        if "error" not in r:
            validate(r)


def test_evaluate_prints_scores(capsys, polnear_sample):
    code, out, _ = run(capsys, "evaluate", str(polnear_sample), "--limit", "2", "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert result["articles"] == 2 and "direct" in result["by_kind"]


def _quoted_gold(path, functions):
    text = "Officials praised the ‘orderly’ withdrawal. The channel ‘Rybar’ said “We held.”"
    spans = ["‘orderly’", "‘Rybar’", "“We held.”"]
    terms = [{"start": text.index(s), "end": text.index(s) + len(s), "text": s, "function": f}
             for s, f in zip(spans, functions)]
    path.write_text(json.dumps({"id": "r1", "origin": "written", "text": text, "terms": terms}) + "\n",
                    encoding="utf-8")
    return path


def test_evaluate_scores_a_second_annotator_against_the_gold(capsys, tmp_path):
    gold = _quoted_gold(tmp_path / "gold.jsonl", ["scare", "name", "quotation"])
    same = _quoted_gold(tmp_path / "same.jsonl", ["scare", "name", "quotation"])
    other = _quoted_gold(tmp_path / "other.jsonl", ["quotation", "name", "quotation"])
    code, out, _ = run(capsys, "evaluate", str(gold), "--task", "quoted", "--annotator", str(same), "--format", "json")
    assert code == 0 and json.loads(out)["accuracy"] == 1.0
    code, out, _ = run(capsys, "evaluate", str(gold), "--task", "quoted", "--annotator", str(other), "--format", "json")
    result = json.loads(out)
    assert code == 0 and result["accuracy"] == round(2 / 3, 4)
    assert result["confusion"]["scare"] == {"quotation": 1}


def test_evaluate_annotator_errors_name_the_file(capsys, tmp_path):
    gold = _quoted_gold(tmp_path / "gold.jsonl", ["scare", "name", "quotation"])
    stranger = tmp_path / "stranger.jsonl"
    stranger.write_text(json.dumps({"id": "zz", "text": "x", "terms": []}) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "evaluate", str(gold), "--task", "quoted", "--annotator", str(stranger))
    assert code == 2 and "stranger.jsonl" in err and "'r1'" in err
    code, _, err = run(capsys, "evaluate", str(gold), "--task", "sources", "--annotator", str(stranger))
    assert code == 2 and "--task quoted" in err
