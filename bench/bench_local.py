"""Local runs: Metaflow's local runtime vs `sfnflow run`, same flows, same machine, one go.

    python bench/bench_local.py            # linear-10, foreach-100, foreach-1000
    python bench/bench_local.py --quick    # linear-10, foreach-100
    python bench/bench_local.py --no-metaflow

Each flow is run as a user would, from the command line in a fresh process, with
stores in a fresh temporary folder; the wall time includes interpreter start-up.
Needs `pip install -e .[bench]` for Metaflow.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import flows  # noqa: E402

CASES = {
    "linear-10": lambda lib: flows.linear(lib, 10),
    "foreach-100": lambda lib: flows.foreach(lib, 100),
    "foreach-1000": lambda lib: flows.foreach(lib, 1000),
}


def run_metaflow(source: str, workdir: str, workers: int) -> float:
    path = os.path.join(workdir, "mf_flow.py")
    with open(path, "w") as fh:
        fh.write(source)
    env = {**os.environ, "METAFLOW_HOME": workdir, "METAFLOW_DATASTORE_SYSROOT_LOCAL": workdir,
           "USERNAME": "bench", "USER": os.environ.get("USER", "bench")}
    # Metaflow refuses more than 100 foreach children unless told otherwise.
    cmd = [sys.executable, path, "--quiet", "--no-pylint", "run", "--max-workers", str(workers),
           "--max-num-splits", "100000"]
    return _timed(cmd, workdir, env)


def run_sfnflow(source: str, workdir: str, workers: int) -> float:
    path = os.path.join(workdir, "sf_flow.py")
    with open(path, "w") as fh:
        fh.write(source)
    cmd = [sys.executable, "-m", "sfnflow", "run", path, "--max-workers", str(workers)]
    return _timed(cmd, workdir, {**os.environ, "SFNFLOW_ROOT": os.path.join(workdir, ".sfnflow")})


def _timed(cmd: list[str], cwd: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-metaflow", action="store_true")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--only", choices=sorted(CASES), help="run one case")
    args = parser.parse_args()
    cases = {k: v for k, v in CASES.items()
             if not (args.quick and k == "foreach-1000") and (args.only in (None, k))}
    print(f"{'flow':<14} {'metaflow':>10} {'sfnflow':>10} {'speed-up':>9}   ({args.workers} workers, {os.cpu_count()} cores)")
    for name, make in cases.items():
        with tempfile.TemporaryDirectory() as mf_dir, tempfile.TemporaryDirectory() as sf_dir:
            mf = None if args.no_metaflow else run_metaflow(make("metaflow"), mf_dir, args.workers)
            sf = run_sfnflow(make("sfnflow"), sf_dir, args.workers)
        ratio = f"{mf / sf:8.1f}x" if mf else "        -"
        mf_text = f"{mf:9.2f}s" if mf else "         -"
        print(f"{name:<14} {mf_text} {sf:9.2f}s {ratio}", flush=True)


if __name__ == "__main__":
    main()
