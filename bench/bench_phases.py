"""Where one `sfnflow run` spends its time: the phases of a run timed in one process.

    python bench/bench_phases.py [--case linear-10] [--repeat 5]

Each repetition is a fresh interpreter that does what `sfnflow run` does, phase by phase
(the same calls), and prints wall and CPU seconds per phase; the table is the median.
CPU is the engine process's own (workers are other processes; bench_local.py samples
them). A phase's wall time under load includes waiting for a core, its CPU time does not.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import flows  # noqa: E402
from bench_local import CASES  # noqa: E402

CHILD = r'''
import json, os, sys, time
t = {}
def mark(name, w0, c0):
    t[name] = (time.perf_counter() - w0, time.process_time() - c0)
    return time.perf_counter(), time.process_time()
w, c = time.perf_counter(), time.process_time()
import sfnflow.cli  # noqa: F401
w, c = mark("import sfnflow.cli", w, c)
from sfn_compiler.compile import compile_file
compiled = compile_file(sys.argv[1])
w, c = mark("load, validate, compile the flow", w, c)
from sfnflow.local_run import new_run_id
from runtime.engine import LocalEngine
from runtime.stores.base import RunRecord
from runtime.stores.sqlite_metadata import SqliteMetadataStore
w, c = mark("import the engine and the stores", w, c)
root = sys.argv[2]
run_id = new_run_id()
md = SqliteMetadataStore(root)
md.create_run(RunRecord(flow=compiled.graph.name, run_id=run_id, status="RUNNING", created_at=time.time(),
                        parameters={}, flow_file=sys.argv[1]))
w, c = mark("record the run (SQLite)", w, c)
engine = LocalEngine(flow_file=sys.argv[1], root=root, max_workers=2, fast_retries=True)
engine.start()
w, c = mark("start the worker pool (zygote, 2 workers)", w, c)
result = engine.run(compiled, run_id=run_id, execution_input={"parameters": {}})
w, c = mark("the execution (all tasks)", w, c)
engine.close()
w, c = mark("close the engine", w, c)
md.finish_run(compiled.graph.name, run_id, result.status)
md.task_counts(compiled.graph.name, run_id)
w, c = mark("end: run record and summary counts", w, c)
assert result.status == "SUCCEEDED", result
print(json.dumps(t))
'''


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", default="linear-10", choices=sorted(CASES))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    runs = []
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "flow.py")
        with open(path, "w") as fh:
            fh.write(CASES[args.case]("sfnflow"))
        for i in range(args.repeat + 1):  # the first one warms the bytecode caches
            root = os.path.join(work, f"root{i}")
            bare = subprocess.run([sys.executable, "-c", "pass"], env=env)
            out = subprocess.run([sys.executable, "-c", CHILD, path, root], env=env, capture_output=True, text=True,
                                 check=True)
            if i:
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            del bare
    print(f"{args.case}: median of {args.repeat} runs, load {os.getloadavg()[0]:.1f}")
    print(f"{'phase':<45} {'wall':>8} {'CPU':>8}")
    for phase in runs[0]:
        wall = statistics.median(r[phase][0] for r in runs)
        cpu = statistics.median(r[phase][1] for r in runs)
        print(f"{phase:<45} {wall:7.3f}s {cpu:7.3f}s")
    print(f"{'total (after interpreter start)':<45} {statistics.median(sum(v[0] for v in r.values()) for r in runs):7.3f}s "
          f"{statistics.median(sum(v[1] for v in r.values()) for r in runs):7.3f}s")


if __name__ == "__main__":
    main()
