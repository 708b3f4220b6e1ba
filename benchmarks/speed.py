"""Speed of sourcetrace against spaCy's full English pipeline, on the same texts, in one run.

    .venv/bin/python benchmarks/speed.py [--quick] [--polnear PATH.jsonl] [--json OUT.json]

Corpora: PolNeAR dev (../shared/data/polnear/dev.jsonl), and a long mix: each long article is the
bundled example article, one saved web page of tests/gold/html (its extracted text) and eight PolNeAR
dev articles, joined by blank lines. On each corpus, in this process, after a warm-up (model loading
excluded), the systems taking turns on groups of 8 texts (GROUP), best of the rounds:

- sourcetrace's full analysis (`sourcetrace.analyze`, everything the JSON holds), one article at a time;
- spaCy's full English pipeline (tok2vec, tagger, parser, attribute ruler, lemmatizer, NER) from the
  same model package, `nlp.pipe` over the same texts: as installed (thinc's BLIS matrix products),
  and with numpy's BLAS as sourcetrace runs it (sourcetrace.nlp), so the ratio is shown both ways.

Words/s, wall and CPU time (the CPU time of this process: steadier than wall time on a shared
machine) and the ratios. Before that, in subprocesses: `sourcetrace batch --workers 1` and `2`
on PolNeAR dev (wall time; a one-article run of each gives the start-up cost, model load included,
which is subtracted for the steady rate), the peak RSS of every process (os.wait4; per worker from
batch's summary), and the CLI's cold start (`sourcetrace --help`, `sourcetrace analyze example`).
`--quick` (about 3 minutes on a quiet 2-core machine): fewer texts, one round. docs/speed.md has
the figures and how they were measured.
"""

from __future__ import annotations

import os

# One BLAS thread for every library in this process, before numpy is imported: every figure here is
# one core's worth (the workers of `batch` are the parallelism measured).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POLNEAR = ROOT.parent / "shared" / "data" / "polnear" / "dev.jsonl"
HTML_PAGES = ROOT / "tests" / "gold" / "html"
CLI = Path(sys.executable).with_name("sourcetrace")
ARTICLES_PER_LONG = 8
# Texts per turn in the in-process comparison; spaCy's `nlp.pipe` batches within a turn.
GROUP = 8


@dataclass
class Timing:
    wall: float
    cpu: float


def words(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


def read_jsonl_texts(path: Path) -> list[str]:
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def long_mix(polnear: list[str], n_long: int) -> list[str]:
    """Long articles: the example article, a web page's extracted text and 8 PolNeAR articles."""
    from importlib import resources

    from sourcetrace.stages.ingest import from_html

    seed = resources.files("sourcetrace").joinpath("examples/seed.txt").read_text(encoding="utf-8")
    pages = [from_html(p.read_text(encoding="utf-8")).text for p in sorted(HTML_PAGES.glob("*.html"))]
    out = []
    for k in range(n_long):
        group = polnear[k * ARTICLES_PER_LONG:(k + 1) * ARTICLES_PER_LONG]
        if not group:
            break
        out.append("\n\n".join([seed, pages[k % len(pages)], *group]))
    return out


def timed(fn) -> Timing:
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return Timing(time.perf_counter() - w0, time.process_time() - c0)


def best(timings: list[Timing]) -> Timing:
    return Timing(min(t.wall for t in timings), min(t.cpu for t in timings))


def spacy_full(numpy_blas: bool):
    """spaCy's full English pipeline from the package sourcetrace uses; as installed, or with every
    layer multiplying through numpy's BLAS like sourcetrace's pipeline."""
    from sourcetrace import nlp as st_nlp

    for name in st_nlp.MODEL_PACKAGES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if not numpy_blas:
            return module.load()
        from thinc.api import use_ops

        with use_ops("numpy", use_blis=False):
            nlp = module.load()
        st_nlp.use_numpy_blas(nlp)
        return nlp
    raise SystemExit("no English spaCy model installed")


def in_process(corpora: dict[str, list[str]], rounds: int) -> dict[str, dict[str, Timing]]:
    import sourcetrace

    systems = {
        "sourcetrace": None,
        "spacy": spacy_full(numpy_blas=False),
        "spacy-numpy-blas": spacy_full(numpy_blas=True),
    }

    def runner(system: str, texts: list[str]):
        if system == "sourcetrace":
            return lambda: [sourcetrace.analyze(t) for t in texts]
        nlp = systems[system]
        return lambda: [None for _ in nlp.pipe(texts)]

    first = next(iter(corpora.values()))[:1]
    for system in systems:  # warm-up: model loading, lexicons, caches
        runner(system, first)()
    results: dict[str, dict[str, Timing]] = {}
    for corpus, texts in corpora.items():
        runs: dict[str, list[Timing]] = {s: [] for s in systems}
        groups = [texts[k:k + GROUP] for k in range(0, len(texts), GROUP)]
        for r in range(rounds):
            totals = {s: Timing(0.0, 0.0) for s in systems}
            # The systems take turns on each group of texts, in alternating order, so that the load
            # of a shared machine, which drifts over minutes, weighs on all of them alike.
            for g, group in enumerate(groups):
                order = list(systems) if (r + g) % 2 == 0 else list(reversed(systems))
                for system in order:
                    t = timed(runner(system, group))
                    totals[system] = Timing(totals[system].wall + t.wall, totals[system].cpu + t.cpu)
            for system, t in totals.items():
                runs[system].append(t)
        results[corpus] = {s: best(t) for s, t in runs.items()}
    return results


def peak_rss_mib(cmd: list[str]) -> tuple[float, float, str, str, int]:
    """Run `cmd`: (wall s, peak RSS MiB of the largest process in its tree, stdout, stderr, exit)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        w0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - w0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        # Linux: ru_maxrss (KiB) of a reaped child is the largest of it and its reaped descendants.
        return wall, usage.ru_maxrss / 1024, out.read(), err.read(), proc.returncode


_WORKER_RSS = re.compile(r"peak RSS per worker \(MiB\): (.*)")


def batch_runs(texts: list[str], workers: list[int]) -> dict[int, dict[str, float | str]]:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        full, one = Path(tmp, "in.jsonl"), Path(tmp, "one.jsonl")
        full.write_text("".join(json.dumps({"id": f"t{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
        one.write_text(json.dumps({"id": "t0", "text": texts[0]}) + "\n")
        for n in workers:
            cmd = [str(CLI), "batch", "--workers", str(n), "--progress", "-o", os.devnull]
            start_wall, _, _, err1, rc1 = peak_rss_mib(cmd + [str(one)])
            wall, rss, _, err, rc = peak_rss_mib(cmd + [str(full)])
            if rc or rc1:
                raise SystemExit(f"batch --workers {n} failed:\n{err1}\n{err}")
            m = _WORKER_RSS.search(err)
            results[n] = {"wall": wall, "startup": start_wall, "peak_rss_mib": rss,
                          "worker_rss": m.group(1).strip() if m else "?"}
    return results


def cli_start(repeats: int) -> dict[str, float]:
    helps = [peak_rss_mib([str(CLI), "--help"])[0] for _ in range(repeats)]
    analyses = [peak_rss_mib([str(CLI), "analyze", "example"]) for _ in range(max(1, repeats // 2))]
    return {"help": statistics.median(helps), "help_best": min(helps),
            "analyze": statistics.median(a[0] for a in analyses),
            "analyze_rss_mib": max(a[1] for a in analyses)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--polnear", default=str(DEFAULT_POLNEAR), help="PolNeAR dev JSONL (default: %(default)s)")
    ap.add_argument("--quick", action="store_true", help="fewer texts, one round (about 3 minutes)")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args()

    polnear = read_jsonl_texts(Path(args.polnear))
    n_articles, n_long, rounds, batch_n = (30, 3, 1, 40) if args.quick else (len(polnear), 10, 2, len(polnear))
    figures: dict = {}

    # Subprocesses first, while this process is small: a child's peak RSS (ru_maxrss) counts the
    # memory of the process it was forked from, up to its exec.
    batch_texts = polnear[:batch_n]
    n = words(batch_texts)
    batch = batch_runs(batch_texts, [1, 2])
    print(f"sourcetrace batch on {len(batch_texts)} PolNeAR dev articles ({n} words), subprocesses")
    for w, r in batch.items():
        steady = max(r["wall"] - r["startup"], 1e-9)
        print(f"  --workers {w}: {r['wall']:6.1f} s wall, {n / r['wall']:6.0f} words/s; start-up (1 article) "
              f"{r['startup']:4.1f} s; steady {n / steady:6.0f} words/s; peak RSS {r['peak_rss_mib']:.0f} MiB "
              f"(per worker: {r['worker_rss']})")
    one, two = batch[1], batch[2]
    print(f"  speed-up --workers 2 / --workers 1: {one['wall'] / two['wall']:.2f}x wall, "
          f"{(one['wall'] - one['startup']) / max(two['wall'] - two['startup'], 1e-9):.2f}x steady")
    figures["batch"] = {"articles": len(batch_texts), "words": n, **{f"workers_{w}": r for w, r in batch.items()}}

    cli = cli_start(3 if args.quick else 7)
    print(f"CLI cold start: `sourcetrace --help` {cli['help']:.2f} s (median; best {cli['help_best']:.2f} s); "
          f"`sourcetrace analyze example` {cli['analyze']:.2f} s (median, model load included), "
          f"peak RSS {cli['analyze_rss_mib']:.0f} MiB")
    figures["cli"] = cli
    sys.stdout.flush()

    corpora = {"polnear-dev": polnear[:n_articles], "long-mix": long_mix(polnear, n_long)}
    figures["corpora"] = {k: {"texts": len(v), "words": words(v)} for k, v in corpora.items()}
    timings = in_process(corpora, rounds)
    print(f"\nin one process, best of {rounds} round(s); words/s by wall time and by CPU time")
    for corpus, by_system in timings.items():
        n = words(corpora[corpus])
        print(f"  {corpus}: {len(corpora[corpus])} texts, {n} words")
        for system, t in by_system.items():
            print(f"    {system:<18} {n / t.wall:8.0f} words/s wall ({t.wall:6.1f} s)  {n / t.cpu:8.0f} words/s CPU ({t.cpu:6.1f} s)")
        ours = by_system["sourcetrace"]
        for yardstick in ("spacy", "spacy-numpy-blas"):
            y = by_system[yardstick]
            print(f"    ratio sourcetrace / {yardstick:<17} {y.wall / ours.wall:5.2f}x wall  {y.cpu / ours.cpu:5.2f}x CPU")
        figures[corpus] = {s: {"wall": t.wall, "cpu": t.cpu, "words_per_s_wall": n / t.wall,
                               "words_per_s_cpu": n / t.cpu} for s, t in by_system.items()}
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
