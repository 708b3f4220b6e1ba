"""Load test of `sourcetrace serve`: N concurrent clients posting articles for a fixed time.

    .venv/bin/python benchmarks/load.py [--url http://127.0.0.1:8000] [--clients 50] [--seconds 30]
                                        [--articles PATH.jsonl]

Without --url the server is started on a free loopback port (`python -m sourcetrace serve`) and
stopped at the end. Articles: PolNeAR dev (../shared/data/polnear/dev.jsonl) when present, else
the bundled example; each client posts them to POST /api/analyze in turn, starting at a different
one. A client sends no new request after the time is up, and waits at most --timeout seconds for
an answer, so the run ends by itself. A probe asks GET /healthz twice a second all along, which
shows whether the server still answers while it is busy.

Prints: requests answered, errors (by status), throughput (answered requests/s), p50/p99 latency
of the analyses, and p50/max latency of /healthz.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from importlib import resources
from pathlib import Path

import httpx

POLNEAR_DEV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "polnear" / "dev.jsonl"


def load_articles(path: str | None) -> tuple[list[dict], str]:
    """Request bodies ({"text", "outlet"}) and where they came from."""
    source = Path(path) if path else POLNEAR_DEV
    if source.is_file():
        records = [json.loads(line) for line in source.open(encoding="utf-8") if line.strip()]
        bodies = [{"text": r["text"], **({"outlet": r["publisher"]} if r.get("publisher") else {})}
                  for r in records if isinstance(r.get("text"), str)]
        return bodies, str(source)
    if path:
        raise SystemExit(f"load.py: {path}: no such file")
    text = resources.files("sourcetrace").joinpath("examples/seed.txt").read_text(encoding="utf-8")
    return [{"text": text}], "the bundled example (sourcetrace/examples/seed.txt)"


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by the nearest-rank method; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def start_server() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "sourcetrace", "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"load.py: the server exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2, trust_env=False).status_code == 200:
                return server, base
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    server.kill()
    raise SystemExit("load.py: the server did not answer /healthz within 120 s")


async def client(http: httpx.AsyncClient, base: str, bodies: list[dict], first: int, end: float,
                 latencies: list[float], errors: Counter) -> None:
    i = first
    while time.monotonic() < end:
        body = bodies[i % len(bodies)]
        i += 1
        t0 = time.perf_counter()
        try:
            r = await http.post(f"{base}/api/analyze", json=body)
        except httpx.HTTPError as exc:
            errors[type(exc).__name__] += 1
            continue
        if r.status_code == 200:
            latencies.append(time.perf_counter() - t0)
        else:
            errors[str(r.status_code)] += 1


async def probe(http: httpx.AsyncClient, base: str, end: float, latencies: list[float], errors: Counter) -> None:
    while time.monotonic() < end:
        t0 = time.perf_counter()
        try:
            r = await http.get(f"{base}/healthz")
            if r.status_code == 200:
                latencies.append(time.perf_counter() - t0)
            else:
                errors[f"healthz {r.status_code}"] += 1
        except httpx.HTTPError as exc:
            errors[f"healthz {type(exc).__name__}"] += 1
        await asyncio.sleep(0.5)


async def run(base: str, bodies: list[dict], clients: int, seconds: float, timeout: float) -> dict:
    latencies: list[float] = []
    health: list[float] = []
    errors: Counter = Counter()
    limits = httpx.Limits(max_connections=clients + 1, max_keepalive_connections=clients + 1)
    async with httpx.AsyncClient(timeout=timeout, limits=limits, trust_env=False) as http:
        start = time.monotonic()
        end = start + seconds
        step = max(1, len(bodies) // clients)
        await asyncio.gather(probe(http, base, end, health, errors),
                             *(client(http, base, bodies, k * step, end, latencies, errors) for k in range(clients)))
        elapsed = time.monotonic() - start
    return {"answered": len(latencies), "errors": errors, "elapsed": elapsed, "latencies": latencies,
            "health": health}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", help="a running server (default: start one on a free loopback port)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds a client waits for one answer")
    ap.add_argument("--articles", help="JSONL with a 'text' field per line (default PolNeAR dev)")
    args = ap.parse_args()
    bodies, where = load_articles(args.articles)
    server = None
    if args.url:
        base = args.url.rstrip("/")
    else:
        server, base = start_server()
    try:
        result = asyncio.run(run(base, bodies, args.clients, args.seconds, args.timeout))
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
    lat, health = result["latencies"], result["health"]
    errors = result["errors"]
    print(f"articles: {len(bodies)} from {where}; {args.clients} clients for {args.seconds:g} s against {base}"
          f" ({os.cpu_count()} CPUs)")
    print(f"requests answered 200: {result['answered']}; errors: {sum(errors.values())}"
          + (f" ({', '.join(f'{k}: {v}' for k, v in sorted(errors.items()))})" if errors else ""))
    print(f"throughput: {result['answered'] / result['elapsed']:.2f} req/s over {result['elapsed']:.1f} s")
    print(f"analysis latency: p50 {percentile(lat, 0.5):.2f} s, p99 {percentile(lat, 0.99):.2f} s"
          + (f", mean {statistics.fmean(lat):.2f} s" if lat else ""))
    print(f"/healthz latency while loaded: p50 {1000 * percentile(health, 0.5):.0f} ms, "
          f"max {1000 * max(health, default=float('nan')):.0f} ms ({len(health)} probes)")


if __name__ == "__main__":
    main()
