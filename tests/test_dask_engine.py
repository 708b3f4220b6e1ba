"""`sourcetrace batch --engine dask`: the same output and store as the local engine, Parquet written
by the workers, the model loaded once per worker, and clear errors for bad command lines."""

from __future__ import annotations

import json

import pytest

from sourcetrace import dask_engine
from sourcetrace.batch import run_batch
from sourcetrace.cli import main
from sourcetrace.document import content_id

distributed = pytest.importorskip("distributed")

ARTICLES = 12
BAD_LINE = 5          # 0-based position of the line that is not JSON


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def corpus(corpus_file):
    return corpus_file(ARTICLES, "dask", bad_lines={BAD_LINE: "{not json"})


@pytest.fixture(scope="module")
def local_run(corpus, tmp_path_factory):
    """(JSONL output, store) of the local engine over the corpus."""
    folder = tmp_path_factory.mktemp("local")
    out, db = folder / "out.jsonl", folder / "corpus.sqlite"
    assert run_batch(str(corpus), str(out), db=str(db), progress=False) == 1     # the bad line failed
    return out, db


def test_dask_engine_gives_the_local_engines_output_store_and_parquet(cluster, corpus, local_run, tmp_path,
                                                                       capsys, store_snapshot, records):
    pq = pytest.importorskip("pyarrow.parquet")
    out, db, parquet = tmp_path / "out.jsonl", tmp_path / "corpus.sqlite", tmp_path / "parquet"
    capsys.readouterr()
    code = main(["batch", str(corpus), "-o", str(out), "--db", str(db), "--engine", "dask",
                 "--scheduler", cluster.scheduler_address, "--partition-size", "4", "--parquet", str(parquet)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"{ARTICLES} analysed, 1 failed, 0 skipped" in err
    local_out, local_db = local_run
    assert out.read_bytes() == local_out.read_bytes()
    got = records(out)
    assert "not valid JSON" in got[BAD_LINE]["error"]["message"] and got[BAD_LINE]["error"]["line"] == BAD_LINE + 1
    assert store_snapshot(db) == store_snapshot(local_db)

    # Parquet: one file per partition of 4 articles, every article once, its quotes beside it
    assert sorted(p.name for p in (parquet / "articles").iterdir()) == [
        "part-000000001.parquet", "part-000000005.parquet", "part-000000010.parquet"]
    articles = pq.read_table(parquet / "articles").to_pylist()
    analyses = [r for r in got if "error" not in r]
    assert sorted(a["id"] for a in articles) == sorted(r["document"]["id"] for r in analyses)
    by_id = {a["id"]: a for a in articles}
    for r in analyses:
        row = by_id[r["document"]["id"]]
        assert row["key"] == content_id(r["document"]["text"])
        assert (row["outlet"], row["published"], row["quotes"]) == (
            r["document"]["outlet"], r["document"]["published"], len(r["quotes"]))
        assert row["json"] == out.read_text(encoding="utf-8").splitlines()[row["line"] - 1]
    quotes = pq.read_table(parquet / "quotes").to_pylist()
    assert len(quotes) == sum(len(r["quotes"]) for r in analyses)
    texts = {content_id(r["document"]["text"]): r["document"]["text"] for r in analyses}
    assert all(texts[q["key"]][q["char_start"]:q["char_end"]] == q["text"] for q in quotes)

    # the model was loaded once per worker, in the plugin's setup, never again by a task
    with distributed.Client(cluster.scheduler_address) as client:
        states = client.run(dask_engine.worker_state)
    assert len(states) == 2
    for state in states.values():
        assert state["plugin_setups"] == 1
        assert state["model_loads"] == state["model_loads_after_setup"] >= 1

    # a second run skips every stored article, writes the same output, and loads no model again
    again = tmp_path / "again.jsonl"
    assert main(["batch", str(corpus), "-o", str(again), "--db", str(db), "--engine", "dask",
                 "--scheduler", cluster.scheduler_address]) == 1
    assert f"0 analysed, 1 failed, {ARTICLES} skipped" in capsys.readouterr().err
    assert again.read_bytes() == out.read_bytes()
    with distributed.Client(cluster.scheduler_address) as client:
        assert all(s["plugin_setups"] == 1 for s in client.run(dask_engine.worker_state).values())


def test_the_same_text_twice_is_analysed_once(cluster, tmp_path, make_article, capsys, records):
    src = tmp_path / "in.jsonl"
    first, second = make_article(3), dict(make_article(3), id="again")
    src.write_text("".join(json.dumps(r) + "\n" for r in (first, make_article(4), second)),
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run_batch(str(src), str(out), db=str(tmp_path / "c.sqlite"), engine="dask",
                     scheduler=cluster.scheduler_address, partition_size=2, progress=False) == 0
    assert "2 analysed, 0 failed, 1 skipped" in capsys.readouterr().err
    got = records(out)
    assert got[2] == got[0]


def test_a_failed_partition_becomes_error_records_and_the_run_goes_on(cluster, tmp_path, make_article, capsys,
                                                                      records):
    pytest.importorskip("pyarrow")
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(make_article(i)) + "\n" for i in range(3)), encoding="utf-8")
    not_a_folder = tmp_path / "taken"
    not_a_folder.write_text("a file where the Parquet folder should be")
    out = tmp_path / "out.jsonl"
    assert run_batch(str(src), str(out), engine="dask", scheduler=cluster.scheduler_address, partition_size=2,
                     parquet=str(not_a_folder), progress=False) == 1
    assert "0 analysed, 3 failed, 0 skipped" in capsys.readouterr().err
    got = records(out)
    assert [r["error"]["line"] for r in got] == [1, 2, 3]
    assert all("analysis failed" in r["error"]["message"] and str(not_a_folder) in r["error"]["message"]
               for r in got)


@pytest.mark.parametrize("argv, message", [
    (["--engine", "dask"], "--engine dask needs --scheduler"),
    (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler is only for --engine dask"),
    (["--parquet", "out"], "--parquet is written by the Dask workers"),
])
def test_engine_options_without_their_partner_are_usage_errors(tmp_path, argv, message, capsys):
    assert main(["batch", str(tmp_path / "in.jsonl"), *argv]) == 2
    assert message in capsys.readouterr().err


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch, capsys, make_article):
    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT", "1s")
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(make_article(1)) + "\n", encoding="utf-8")
    assert main(["batch", str(src), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"]) == 1
    err = capsys.readouterr().err
    assert "cannot connect to the Dask scheduler at tcp://127.0.0.1:9" in err
