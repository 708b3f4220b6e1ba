"""Property-based requests from the OpenAPI spec (schemathesis) against a real `sourcetrace serve`.

The server runs in a subprocess on a free loopback port, with a store made by `sourcetrace batch
--db`; every operation gets 25 generated requests, and none may get a 5xx answer.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sourcetrace import cli

SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which("schemathesis")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(base: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError("the server did not answer /healthz in time")


def stop(server: subprocess.Popen) -> None:
    """Stop the server as Ctrl-C would."""
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.mark.skipif(SCHEMATHESIS is None, reason="schemathesis is not installed (pip install -e '.[test]')")
def test_no_generated_request_gets_a_server_error(tmp_path, seed_text):
    articles = tmp_path / "articles.jsonl"
    articles.write_text(json.dumps({"id": "seed", "text": seed_text, "published": "2025-05-02",
                                    "outlet": "Example News"}) + "\n", encoding="utf-8")
    store = tmp_path / "corpus.sqlite"
    assert cli.main(["batch", str(articles), "--db", str(store)]) == 0

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, NO_PROXY="*", no_proxy="*")
    out_path, log_path = tmp_path / "serve.out", tmp_path / "serve.log"  # files: a pipe could fill and block it
    with out_path.open("w") as out, log_path.open("w") as err:
        server = subprocess.Popen([sys.executable, "-m", "sourcetrace", "serve", "--port", str(port),
                                   "--db", str(store)], stdout=out, stderr=err, env=env)
    try:
        wait_until_healthy(base, server)
        run = subprocess.run(
            [SCHEMATHESIS, "run", f"{base}/openapi.json", "-n", "25", "--checks", "not_a_server_error",
             "--generation-database", "none", "--no-color", "--request-timeout", "60"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    finally:
        stop(server)
    out, log = out_path.read_text(), log_path.read_text()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "6 selected / 6 total" in run.stdout and "Tested: 6" in run.stdout  # every operation was exercised
    assert "Traceback" not in log, log[-4000:]
    assert '"POST /api/analyze HTTP/1.1" 422' in log  # the access log is on stderr...
    assert out == ""                                  # ...and nothing is on stdout
