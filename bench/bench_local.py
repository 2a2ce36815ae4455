"""Local runs: Metaflow's local runtime vs `sfnflow run`, the same flows, paired, in one go.

    python bench/bench_local.py                    # every case; 3 pairs, 2 for the big ones
    python bench/bench_local.py --only linear-10 --only branch-3 --pairs 5
    python bench/bench_local.py --no-metaflow      # sfnflow alone: start-up, CPU, memory
    python bench/bench_local.py --engine moto      # sfnflow on moto's interpreter (the oracle)

Each run is what a user types, a fresh process with stores in a fresh folder; wall time
includes interpreter start-up. A pair is one Metaflow run and one sfnflow run back to
back (their order alternates), so both see the same load; the speed-up is the median of
the pairs' ratios, and the machine's load average is printed beside each case. Bytecode
caching is on for both (this machine's environment sets PYTHONDONTWRITEBYTECODE, which a
user's does not), and each side runs linear-10 once, untimed, before its first case.

Also measured for sfnflow: start-up (launch to the first task's start, from the run's
SQLite record), CPU of the CLI/engine process and of the workers (sampled from /proc:
bench/proctree.py), and the engine process's peak memory. Per-task CPU is the difference
between foreach-1000 and linear-10 divided by the difference in tasks (start-up cancels).
Needs `pip install -e .[bench]` for Metaflow.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(__file__))
import flows  # noqa: E402
from proctree import TreeSampler  # noqa: E402

CASES: dict[str, Callable[[str], str]] = {
    "linear-10": lambda lib: flows.linear(lib, 10),
    "branch-3": lambda lib: flows.branch(lib, 3),
    "foreach-100": lambda lib: flows.foreach(lib, 100),
    "foreach-1000": lambda lib: flows.foreach(lib, 1000),
    "nested-20x20": lambda lib: flows.nested(lib, 20, 20),
}
BIG = {"foreach-1000", "nested-20x20"}


def _env(workdir: str, engine: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(METAFLOW_HOME=workdir, METAFLOW_DATASTORE_SYSROOT_LOCAL=workdir, USERNAME="bench",
               USER=os.environ.get("USER", "bench"), SFNFLOW_ROOT=os.path.join(workdir, ".sfnflow"))
    if engine:
        env["SFNFLOW_LOCAL_ENGINE"] = engine
    return env


def _command(side: str, path: str, workers: int) -> list[str]:
    if side == "metaflow":
        # Metaflow refuses more than 100 foreach children unless told otherwise.
        return [sys.executable, path, "--quiet", "--no-pylint", "run", "--max-workers", str(workers),
                "--max-num-splits", "100000"]
    return [sys.executable, "-m", "sfnflow", "run", path, "--max-workers", str(workers)]


def run_once(side: str, case: str, workers: int, engine: str | None) -> dict[str, Any]:
    """One run in a fresh folder: wall, CPU (and, for sfnflow, start-up, CPU split, memory)."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{side}-") as workdir:
        path = os.path.join(workdir, f"{side}_flow.py")
        with open(path, "w") as fh:
            fh.write(CASES[case]("metaflow" if side == "metaflow" else "sfnflow"))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        launched = time.time()
        start = time.perf_counter()
        proc = subprocess.Popen(_command(side, path, workers), cwd=workdir, env=_env(workdir, engine),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with TreeSampler(proc.pid) as sampler:
            out, err = proc.communicate()
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"{side} {case} failed:\n{out[-2000:]}\n{err[-4000:]}")
        waited = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        result: dict[str, Any] = {"wall": wall, "cpu": waited}
        if side == "sfnflow":
            sample = sampler.sample
            others = {p for p in sample.cpu if p != proc.pid}
            # The CLI and the zygote are waited for (in `waited`); the workers are not.
            zygote = {p for p in others if sample.parent.get(p) == proc.pid}
            workers_cpu = sample.cpu_of(others - zygote)
            result.update(cpu=waited + workers_cpu, engine_cpu=sample.cpu.get(proc.pid, 0.0), workers_cpu=workers_cpu,
                          engine_rss=sample.rss.get(proc.pid, 0), tree_rss=sample.peak_tree_rss,
                          startup=_first_task_start(os.path.join(workdir, ".sfnflow")) - launched)
        return result


def _first_task_start(root: str) -> float:
    with sqlite3.connect(os.path.join(root, "metadata.sqlite")) as db:
        return float(db.execute("SELECT MIN(started_at) FROM attempts").fetchone()[0])


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


_warmed: set[str] = set()


def bench_case(case: str, pairs: int, workers: int, metaflow: bool, engine: str | None) -> dict[str, Any]:
    sides = ["metaflow", "sfnflow"] if metaflow else ["sfnflow"]
    for side in sides:  # warm once per side: bytecode caches, the page cache
        if side not in _warmed:
            run_once(side, "linear-10", workers, engine)
            _warmed.add(side)
    runs: dict[str, list[dict[str, Any]]] = {s: [] for s in sides}
    loads = []
    for i in range(pairs):
        loads.append(os.getloadavg()[0])
        for side in (sides if i % 2 == 0 else sides[::-1]):
            runs[side].append(run_once(side, case, workers, engine))
    sf = runs["sfnflow"]
    out: dict[str, Any] = {
        "case": case, "tasks": flows.tasks_of(case), "pairs": pairs, "load": [round(x, 1) for x in loads],
        "sfnflow_wall": _median(sf, "wall"), "sfnflow_cpu": _median(sf, "cpu"),
        "startup": _median(sf, "startup"), "engine_cpu": _median(sf, "engine_cpu"),
        "workers_cpu": _median(sf, "workers_cpu"), "engine_rss_mib": _median(sf, "engine_rss") / 2**20,
        "tree_rss_mib": _median(sf, "tree_rss") / 2**20}
    if metaflow:
        mf = runs["metaflow"]
        out.update(metaflow_wall=_median(mf, "wall"), metaflow_cpu=_median(mf, "cpu"),
                   speedup=statistics.median(m["wall"] / s["wall"] for m, s in zip(mf, sf)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", action="append", choices=sorted(CASES), help="run these cases (repeatable)")
    parser.add_argument("--pairs", type=int, default=3, help="paired runs per case (default 3)")
    parser.add_argument("--pairs-big", type=int, default=2, help="pairs for foreach-1000 and nested-20x20 (default 2)")
    parser.add_argument("--no-metaflow", action="store_true")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--engine", choices=["interp", "moto"], default=None, help="sfnflow's local engine")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    cases = args.only or list(CASES)
    print(f"{args.workers} workers, {os.cpu_count()} cores, engine {args.engine or 'default'}; "
          "wall and CPU are medians; the speed-up is the median of the pairs' ratios", flush=True)
    print(f"{'flow':<13} {'tasks':>5} {'metaflow':>9} {'sfnflow':>8} {'speed-up':>8} {'start-up':>8} "
          f"{'MF CPU':>7} {'SF CPU':>7} {'engine':>7} {'workers':>7} {'RSS MiB':>7}  load", flush=True)
    results = []
    for case in cases:
        r = bench_case(case, args.pairs_big if case in BIG else args.pairs, args.workers, not args.no_metaflow,
                       args.engine)
        results.append(r)
        mf = f"{r['metaflow_wall']:8.2f}s" if "metaflow_wall" in r else "        -"
        ratio = f"{r['speedup']:7.1f}x" if "speedup" in r else "       -"
        mf_cpu = f"{r['metaflow_cpu']:6.1f}s" if "metaflow_cpu" in r else "      -"
        print(f"{case:<13} {r['tasks']:>5} {mf} {r['sfnflow_wall']:7.2f}s {ratio} {r['startup']:7.3f}s "
              f"{mf_cpu} {r['sfnflow_cpu']:6.2f}s {r['engine_cpu']:6.2f}s {r['workers_cpu']:6.2f}s "
              f"{r['engine_rss_mib']:7.0f}  {'/'.join(str(x) for x in r['load'])}", flush=True)
    by = {r["case"]: r for r in results}
    if "linear-10" in by and "foreach-1000" in by:
        small, big = by["linear-10"], by["foreach-1000"]
        n = big["tasks"] - small["tasks"]
        print(f"per task (foreach-1000 less linear-10, {n} tasks): engine "
              f"{(big['engine_cpu'] - small['engine_cpu']) / n * 1000:.3f} ms CPU, workers "
              f"{(big['workers_cpu'] - small['workers_cpu']) / n * 1000:.3f} ms CPU", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
