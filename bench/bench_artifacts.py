"""Big artifacts: save and load of a 1 GiB array and a 200 MB DataFrame, Metaflow vs sfnflow,
against a raw pickle to disk, same machine, one go.

    python bench/bench_artifacts.py                 # both values, both libraries
    python bench/bench_artifacts.py --only array --no-metaflow

Each side runs the same three-step flow from the command line: `start` makes the value
and stores it as an artifact, `use` reads it back, `end` does nothing. The steps write
time marks to a file, so:

    save = (use begins - start's body ends) with the artifact - the same gap without it
    load = time of the first `self.big` access in `use`

Peak memory is the largest resident set (VmHWM) any process of the run reached, read
from /proc while it runs, and shown as a multiple of the value's size; it includes the
interpreter and its imports, and making the value (a DataFrame's constructor copies its
columns once). The baseline is `pickle.dump` of the value to a file (after making it, in
one process) and `pickle.load` in a fresh process, with the larger of their two peaks. Needs
`pip install -e .[bench]` (Metaflow, numpy, pandas).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

FLOW = '''
import json, os, time
from {lib} import FlowSpec, step

KEEP = os.environ["BENCH_KEEP"] == "1"


def mark(name):
    with open(os.environ["BENCH_MARKS"], "a") as fh:
        fh.write(json.dumps([name, time.time()]) + "\\n")


def make():
    import numpy as np
    rng = np.random.default_rng(0)
    if os.environ["BENCH_KIND"] == "array":
        return rng.random(2 ** 30 // 8)  # 1 GiB of float64: random, so it does not compress
    import pandas as pd
    n = 5_000_000  # 5 columns x 8 bytes x 5M rows = 200 MB
    return pd.DataFrame({{"a": rng.random(n), "b": rng.random(n), "c": rng.integers(0, 1000, n),
                         "d": np.arange(n, dtype="int64"), "e": rng.normal(size=n)}})


class BigFlow(FlowSpec):
    @step
    def start(self):
        value = make()
        if KEEP:
            self.big = value
        del value
        mark("start_done")
        self.next(self.use)

    @step
    def use(self):
        mark("use_begin")
        if KEEP:
            value = self.big
            mark("loaded")
            assert len(value) > 0
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    BigFlow()
'''

BASELINE = '''
import os, pickle, sys, time
sys.path.insert(0, os.environ["BENCH_DIR"])
from flow import make
path = sys.argv[2]
def peak():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))
if sys.argv[1] == "save":
    value = make()
    t0 = time.perf_counter()
    with open(path, "wb") as fh:
        pickle.dump(value, fh, protocol=5)
    print(time.perf_counter() - t0, peak())
else:
    t0 = time.perf_counter()
    with open(path, "rb") as fh:
        value = pickle.load(fh)
    print(time.perf_counter() - t0, peak())
'''

SIZES = {"array": 2 ** 30, "frame": 200_000_000}


class PeakWatcher:
    """Polls /proc for the largest VmHWM among the descendants of a process (the tree is
    rescanned every half second, the peaks read every 0.1 s: light, on a busy machine)."""

    def __init__(self, root_pid: int) -> None:
        self.root, self.peak, self._stop = root_pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak

    def _watch(self) -> None:
        tree, scanned = {self.root}, 0.0
        while not self._stop.wait(0.1):
            if time.monotonic() - scanned > 0.5:
                tree, scanned = _descendants(self.root) | {self.root}, time.monotonic()
            for pid in tree:
                try:
                    with open(f"/proc/{pid}/status") as fh:
                        for line in fh:
                            if line.startswith("VmHWM:"):
                                self.peak = max(self.peak, int(line.split()[1]) * 1024)
                except OSError:
                    continue


def _descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def run_flow(lib: str, kind: str, keep: bool, workdir: str) -> dict[str, float]:
    run_dir = tempfile.mkdtemp(dir=workdir)
    path = os.path.join(run_dir, "flow.py")
    with open(path, "w") as fh:
        fh.write(FLOW.format(lib=lib))
    marks = os.path.join(run_dir, "marks.jsonl")
    env = {**os.environ, "BENCH_KIND": kind, "BENCH_KEEP": "1" if keep else "0", "BENCH_MARKS": marks,
           "PYTHONPATH": os.pathsep.join(filter(None, [os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                       os.environ.get("PYTHONPATH")]))}
    if lib == "metaflow":
        env.update(METAFLOW_HOME=run_dir, METAFLOW_DATASTORE_SYSROOT_LOCAL=run_dir, USERNAME="bench",
                   USER=os.environ.get("USER", "bench"))
        cmd = [sys.executable, path, "--quiet", "--no-pylint", "run", "--max-workers", "1"]
    else:
        env["SFNFLOW_ROOT"] = os.path.join(run_dir, ".sfnflow")
        cmd = [sys.executable, "-m", "sfnflow", "run", path, "--max-workers", "1"]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=run_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watcher = PeakWatcher(proc.pid)
    out, err = proc.communicate()
    peak = watcher.stop()
    took = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out[-2000:]}\n{err[-4000:]}")
    with open(marks) as fh:
        at = dict(json.loads(line) for line in fh)
    result = {"wall": took, "gap": at["use_begin"] - at["start_done"], "peak": peak,
              "progress_lines": err.count("saving artifact")}
    if keep:
        result["load"] = at["loaded"] - at["use_begin"]
    return result


def baseline(kind: str, workdir: str) -> dict[str, float]:
    run_dir = tempfile.mkdtemp(dir=workdir)
    with open(os.path.join(run_dir, "flow.py"), "w") as fh:
        fh.write(FLOW.format(lib="sfnflow").split("class BigFlow")[0])
    script = os.path.join(run_dir, "baseline.py")
    with open(script, "w") as fh:
        fh.write(BASELINE)
    env = {**os.environ, "BENCH_KIND": kind, "BENCH_DIR": run_dir, "BENCH_KEEP": "1", "BENCH_MARKS": os.devnull}
    blob = os.path.join(run_dir, "value.pkl")
    times = {}
    for what in ("save", "load"):
        done = subprocess.run([sys.executable, script, what, blob], env=env, capture_output=True, text=True, check=True)
        took, peak = done.stdout.split()
        times[what], times[f"{what}_peak"] = float(took), int(peak)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=sorted(SIZES))
    parser.add_argument("--no-metaflow", action="store_true")
    args = parser.parse_args()
    libs = ["sfnflow"] + ([] if args.no_metaflow else ["metaflow"])
    with tempfile.TemporaryDirectory(prefix="bench-artifacts-") as workdir:
        print("| value | side | save | load | peak memory | whole run |")
        print("| --- | --- | --- | --- | --- | --- |")
        for kind in [args.only] if args.only else ["array", "frame"]:
            size = SIZES[kind]
            raw = baseline(kind, workdir)
            raw_peak = max(raw["save_peak"], raw["load_peak"])
            print(f"| {kind} | raw pickle to disk | {raw['save']:.2f} s | {raw['load']:.2f} s | "
                  f"{raw_peak / 2 ** 30:.2f} GiB ({raw_peak / size:.1f}x the value) | - |", flush=True)
            for lib in libs:
                empty = run_flow(lib, kind, False, workdir)
                full = run_flow(lib, kind, True, workdir)
                save = max(0.0, full["gap"] - empty["gap"])
                note = f" ({full['progress_lines']} progress lines)" if lib == "sfnflow" else ""
                print(f"| {kind} | {lib} | {save:.2f} s ({save / raw['save']:.1f}x raw) | {full['load']:.2f} s "
                      f"({full['load'] / raw['load']:.1f}x raw) | {full['peak'] / 2 ** 30:.2f} GiB "
                      f"({full['peak'] / size:.1f}x the value) | {full['wall']:.1f} s{note} |", flush=True)


if __name__ == "__main__":
    main()
