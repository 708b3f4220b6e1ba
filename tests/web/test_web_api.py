"""The web API (`sourcetrace serve`): every endpoint and every error path, through FastAPI's TestClient."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import sourcetrace
from sourcetrace import cli, pipeline, stats
from sourcetrace.output.schema import to_dict, validate
from sourcetrace.store import Store, StoreError, open_existing, store_key
from sourcetrace.web import create_app, worker

from conftest import assert_spans_consistent

PAGES = Path(__file__).resolve().parents[1] / "gold" / "html"
PUBLISHED = "2025-05-02"
OTHER_TEXT = ('"The bridge will reopen in June," a city spokesperson said on Friday. '
              'Residents say the detour adds an hour to their commute.')


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture(scope="module")
def store_path(tmp_path_factory, seed_text):
    path = tmp_path_factory.mktemp("store") / "corpus.sqlite"
    with Store(path) as st:
        st.add(to_dict(sourcetrace.analyze(seed_text, published=PUBLISHED, outlet="Example News", id="seed")))
        st.add(to_dict(sourcetrace.analyze(OTHER_TEXT, published="2025-06-01", outlet="City Desk", id="bridge")))
    return path


@pytest.fixture(scope="module")
def store_client(store_path):
    with TestClient(create_app(store_path)) as c:
        yield c


def cli_json(capsys, *argv) -> dict:
    assert cli.main(["analyze", *argv]) == 0
    return json.loads(capsys.readouterr().out)


# -- analysis -----------------------------------------------------------------------------------

def test_analyze_text_gives_what_the_cli_prints(client, seed_text, tmp_path, capsys):
    article = tmp_path / "seed.txt"
    article.write_text(seed_text, encoding="utf-8")
    r = client.post("/api/analyze", json={"text": seed_text, "published": PUBLISHED, "outlet": "Example News",
                                          "title": "Seed", "url": "https://example.org/seed"})
    assert r.status_code == 200
    data = r.json()
    assert data == cli_json(capsys, str(article), "--published", PUBLISHED, "--outlet", "Example News",
                            "--title", "Seed", "--url", "https://example.org/seed")
    validate(data)
    assert_spans_consistent(data)
    assert data["document"]["text"] == seed_text  # pasted text is kept exactly: offsets refer to it
    assert len(data["quotes"]) >= 5 and data["sources"]


def test_analyze_html_gives_what_the_cli_prints(client, capsys):
    page = PAGES / "page01.html"
    r = client.post("/api/analyze", json={"html": page.read_text(encoding="utf-8")})
    assert r.status_code == 200
    data = r.json()
    assert data == cli_json(capsys, str(page))
    assert_spans_consistent(data)
    assert data["document"]["title"]  # the page's metadata came through the same extraction


def test_report_gives_the_analysis_and_the_cli_html_report(client, seed_text, tmp_path, capsys):
    article = tmp_path / "seed.txt"
    article.write_text(seed_text, encoding="utf-8")
    r = client.post("/api/report", json={"text": seed_text, "published": PUBLISHED})
    assert r.status_code == 200
    body = r.json()
    assert body["analysis"] == cli_json(capsys, str(article), "--published", PUBLISHED)
    assert cli.main(["analyze", str(article), "--published", PUBLISHED, "--format", "html"]) == 0
    assert body["html"] == capsys.readouterr().out


def test_url_is_metadata_and_never_fetched(client, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the service tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    page = (PAGES / "page02.html").read_text(encoding="utf-8")
    r = client.post("/api/analyze", json={"html": page, "url": "http://127.0.0.1:9/article"})
    assert r.status_code == 200
    assert r.json()["document"]["url"] == "http://127.0.0.1:9/article"


# -- bad requests ---------------------------------------------------------------------------------

@pytest.mark.parametrize("body, status, words", [
    (b'{"text": "unterminated', 400, "not valid JSON"),
    (b'{"text": "a", "html": "<p>b</p>"}', 422, "exactly one of 'text'"),
    (b'{"published": "2025-05-02"}', 422, "exactly one of 'text'"),
    (b'["a list"]', 422, "must be a JSON object"),
    (b'{"text": 5}', 422, "text: Input should be a valid string"),
    (b'{"text": "x", "published": "last week"}', 422, "published: not a YYYY-MM-DD date"),
    (b'{"text": "x", "colour": "red"}', 422, "colour: Extra inputs are not permitted"),
    (b'{"text": "\\ud800 lone surrogate"}', 422, "lone surrogate"),
    (b'{"html": "<html><body><nav>Home</nav></body></html>"}', 422, "no article text found in the HTML"),
])
@pytest.mark.parametrize("endpoint", ["/api/analyze", "/api/report"])
def test_bad_request_gets_a_clear_json_error(client, endpoint, body, status, words):
    r = client.post(endpoint, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status
    assert words in r.json()["error"]


def test_body_over_the_limit_is_refused_from_its_content_length():
    with TestClient(create_app(max_bytes=1000)) as c:
        r = c.post("/api/analyze", json={"text": "x" * 2000})
        assert r.status_code == 413
        assert "limit is 1000 bytes" in r.json()["error"]
        assert c.post("/api/analyze", json={"text": "x" * 900}).status_code == 200


def test_chunked_body_over_the_limit_is_refused_while_it_is_read():
    def chunks():  # no Content-Length: httpx sends a generator chunked
        for _ in range(100):
            yield b"x" * 1000

    with TestClient(create_app(max_bytes=5000)) as c:
        r = c.post("/api/analyze", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert "limit is 5000 bytes" in r.json()["error"]


def test_body_longer_than_its_content_length_is_refused():
    app = create_app(max_bytes=5000)
    chunks = [b'{"text": "' + b"x" * 4000, b"x" * 4000 + b'"}']
    sent = []

    async def receive():
        body = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": body, "more_body": bool(chunks)}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/api/analyze", "raw_path": b"/api/analyze", "query_string": b"",
             "root_path": "", "headers": [(b"content-type", b"application/json"), (b"content-length", b"20")],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {}}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert "limit is 5000 bytes" in json.loads(b"".join(m.get("body", b"") for m in sent[1:]))["error"]


# -- time limit, busy, and the event loop staying free ---------------------------------------------

@pytest.fixture
def held_analysis(monkeypatch):
    """Analyses block until `release` is set; `started` is set when one begins."""
    started, release = threading.Event(), threading.Event()
    real = worker.analyse

    def held(article, stages, stop):
        started.set()
        release.wait(10)
        return real(article, stages, stop)

    monkeypatch.setattr(worker, "analyse", held)
    yield started, release
    release.set()


def test_analysis_over_the_time_limit_gets_504(held_analysis):
    started, release = held_analysis
    with TestClient(create_app(time_limit=0.5)) as c:
        t0 = time.perf_counter()
        r = c.post("/api/analyze", json={"text": OTHER_TEXT})
        assert r.status_code == 504
        assert "0.5-second limit" in r.json()["error"]
        assert time.perf_counter() - t0 < 5
        release.set()


def test_timed_out_analysis_stops_at_the_next_stage_and_frees_the_worker(monkeypatch):
    slow_text = "The slow article. " * 20
    real_run = pipeline.run

    def slow_run(doc, stages):
        if doc.text == slow_text:
            time.sleep(0.5)
        return real_run(doc, stages)

    monkeypatch.setattr(pipeline, "run", slow_run)
    with TestClient(create_app(time_limit=1.0)) as c:
        assert c.post("/api/analyze", json={"text": slow_text}).status_code == 504
        # The timed-out analysis had about 3 s of stages left; it must give up at the next stage
        # boundary (within 0.5 s) for this one to finish inside its own 1-second limit.
        r = c.post("/api/analyze", json={"text": OTHER_TEXT})
        assert r.status_code == 200, r.json()


def test_healthz_answers_while_an_analysis_is_running(held_analysis):
    started, release = held_analysis
    with TestClient(create_app()) as c:
        result = {}
        t = threading.Thread(target=lambda: result.update(r=c.post("/api/analyze", json={"text": OTHER_TEXT})))
        t.start()
        assert started.wait(10)
        t0 = time.perf_counter()
        health = c.get("/healthz")
        assert time.perf_counter() - t0 < 2
        assert health.status_code == 200 and health.json()["analyses_pending"] == 1
        assert "r" not in result  # the analysis is still held
        release.set()
        t.join(30)
        assert result["r"].status_code == 200


def test_more_analyses_than_allowed_waiting_get_503(held_analysis):
    started, release = held_analysis
    with TestClient(create_app(max_pending=1)) as c:
        result = {}
        t = threading.Thread(target=lambda: result.update(r=c.post("/api/analyze", json={"text": OTHER_TEXT})))
        t.start()
        assert started.wait(10)
        r = c.post("/api/analyze", json={"text": OTHER_TEXT})
        assert r.status_code == 503 and "try again" in r.json()["error"]
        release.set()
        t.join(30)
        assert result["r"].status_code == 200


# -- the corpus store -------------------------------------------------------------------------------

def test_articles_lists_the_store(store_client, seed_text):
    r = store_client.get("/api/articles")
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 2
    assert [a["doc_id"] for a in body["articles"]] == ["bridge", "seed"]  # newest first
    assert body["articles"][1]["key"] == store_key(seed_text)
    assert body["articles"][1]["outlet"] == "Example News" and body["articles"][1]["quotes"] >= 5
    only = store_client.get("/api/articles", params={"outlet": "City Desk", "limit": 1}).json()
    assert only["total"] == 1 and [a["doc_id"] for a in only["articles"]] == ["bridge"]
    assert store_client.get("/api/articles", params={"limit": 1, "offset": 1}).json()["articles"][0]["doc_id"] == "seed"


def test_article_by_key_or_given_id_is_the_stored_analysis(store_client, store_path, seed_text):
    key = store_key(seed_text)
    stored = json.loads(Store(store_path).get_json(key))
    by_key = store_client.get(f"/api/articles/{key}")
    assert by_key.status_code == 200 and by_key.json() == stored
    assert store_client.get("/api/articles/seed").json() == stored
    assert stored["document"]["text"] == seed_text


def test_unknown_article_is_404(store_client):
    r = store_client.get("/api/articles/no-such-article")
    assert r.status_code == 404
    assert "no-such-article" in r.json()["error"]


@pytest.mark.parametrize("by", [None, "outlet", "month", "source_type"])
def test_stats_are_the_stats_command_figures(store_client, store_path, by):
    r = store_client.get("/api/stats", params={"by": by} if by else {})
    assert r.status_code == 200
    conn = open_existing(store_path)
    try:
        want = json.loads(stats.render_json(stats.compute(conn, by, 5), by))
    finally:
        conn.close()
    assert r.json() == want


def test_stats_refuses_an_unknown_grouping(store_client):
    assert store_client.get("/api/stats", params={"by": "colour"}).status_code == 422


@pytest.mark.parametrize("path", ["/api/articles", "/api/articles/seed", "/api/stats"])
def test_store_endpoints_without_a_store_say_so(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert "no store is configured" in r.json()["error"]


def test_a_file_that_is_not_a_store_is_refused_when_the_app_is_made(tmp_path):
    with pytest.raises(StoreError, match="no such store"):
        create_app(tmp_path / "missing.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="junk.sqlite"):
        create_app(junk)


# -- service, page, docs, command line --------------------------------------------------------------

def test_healthz(store_client, client):
    assert store_client.get("/healthz").json()["store"] is True
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["store"] is False and body["schema_version"] == "1.3"


def test_unknown_path_is_a_json_404(client):
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and r.json() == {"error": "Not Found"}


def test_page_and_its_assets_are_served_by_the_app_alone(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    for asset in ("/static/app.js", "/static/style.css"):
        assert asset in page.text
        r = client.get(asset)
        assert r.status_code == 200
        assert "http://" not in r.text and "https://" not in r.text, asset  # no CDN, no external fonts
    assert "http://" not in page.text and "https://" not in page.text


def test_openapi_lists_every_endpoint_and_docs_are_served(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/analyze", "/api/report", "/api/articles", "/api/articles/{id}", "/api/stats",
            "/healthz"} <= set(spec["paths"])
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn." not in docs.text  # Swagger UI is served by the app itself, so /docs works offline
    for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"):
        assert asset in docs.text and client.get(asset).status_code == 200


def test_serve_refuses_a_missing_store_before_listening(tmp_path, capsys):
    assert cli.main(["serve", "--db", str(tmp_path / "missing.sqlite"), "--port", "1"]) == 1
    assert "missing.sqlite: no such store" in capsys.readouterr().err


def test_serve_refuses_limits_that_are_not_positive(capsys):
    assert cli.main(["serve", "--max-bytes", "0"]) == 1
    assert "limits must be positive" in capsys.readouterr().err
    assert cli.main(["serve", "--time-limit", "-1"]) == 1


def test_serve_fails_cleanly_when_the_port_is_taken(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert cli.main(["serve", "--port", str(taken.getsockname()[1])]) == 1


def test_help_does_not_import_the_web_stack():
    code = ("import sys; from sourcetrace import cli; cli.main(['--help']); "
            "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.strip().splitlines()[-1] == "[]"
