"""Step environments: the first and second local run of examples/environments.py, one go.

    python bench/bench_environments.py             # uv's package cache as it is on this machine
    python bench/bench_environments.py --cold-uv   # also with an empty uv cache (downloads ~60 MB)

Each run is `sfnflow run examples/environments.py` in a fresh process, as a user types it:
    first     a fresh store (no lock) and an empty environment cache: resolve, build two venvs, run
    second    the same store and cache: the lock and the venvs are reused, only the run remains
    baseline  the same flow with its @pypi decorators removed (the host's own pandas), same
              machine, same go: what the run itself costs without per-step environments
The wall time includes interpreter start-up.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "environments.py")


def timed_run(flow: str, store: str, env_cache: str, uv_cache: str | None) -> tuple[float, str]:
    env = {**os.environ, "SFNFLOW_ROOT": store, "SFNFLOW_ENV_CACHE": env_cache,
           "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    if uv_cache:
        env["UV_CACHE_DIR"] = uv_cache
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sfnflow", "run", flow, "--max-workers", "2"], env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"run of {flow} failed:\n{done.stderr[-3000:]}")
    return seconds, done.stderr


def phases(log: str) -> str:
    """"resolve 0.3+0.3 s, build 3.1+2.9 s" from the progress lines."""
    found = {"resolved": [], "built": []}
    for what, seconds in re.findall(r"^\s+(resolved|built) \S+ .*?in ([0-9.]+) s$", log, flags=re.M):
        found[what].append(seconds)
    parts = [f"{name} {'+'.join(v)} s" for name, v in (("resolve", found["resolved"]), ("build", found["built"])) if v]
    return ", ".join(parts) or "nothing resolved or built"


def baseline_flow(folder: str) -> str:
    with open(EXAMPLE, encoding="utf-8") as fh:
        source = fh.read()
    source = re.sub(r"^\s*@pypi(_base)?\(.*\)\n", "", source, flags=re.M)
    path = os.path.join(folder, "environments_baseline.py")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(source)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cold-uv", action="store_true", help="also measure with an empty uv package cache")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="sfnflow-bench-envs-") as work:
        for label, uv_cache in [("uv cache as is", None)] + ([("empty uv cache", os.path.join(work, "uv"))]
                                                              if args.cold_uv else []):
            store, cache = tempfile.mkdtemp(dir=work), tempfile.mkdtemp(dir=work)
            first, log = timed_run(EXAMPLE, store, cache, uv_cache)
            second, log2 = timed_run(EXAMPLE, store, cache, uv_cache)
            rows.append((label, first, phases(log), second, phases(log2)))
        try:
            import pandas  # noqa: F401  (the baseline uses the host's)

            baseline, _ = timed_run(baseline_flow(work), tempfile.mkdtemp(dir=work), tempfile.mkdtemp(dir=work), None)
        except ImportError:
            baseline = float("nan")
    print("| uv cache | first run | of which | second run | of which | no environments (baseline) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, first, what, second, what2 in rows:
        print(f"| {label} | {first:.1f} s | {what} | {second:.1f} s | {what2} | {baseline:.1f} s |")


if __name__ == "__main__":
    main()
