"""Benchmark the embedded engine: linear-10, foreach-100/1000, distributed foreach-2000.

Two executors:
  trivial  the same compiled flows as runtask, but each task returns at once (by the
           envelope contract): the engine's own cost (interpreter + worker round trip);
  runtask  a real flow compiled by compile_flow, each task runs runtime.task.run_task
           against local stores (artifacts on disk, SQLite metadata).
Baseline measured in the same run (--baseline): moto 5.2.5 unpatched, lambda:invoke with
`_invoke_lambda` stubbed to return at once (research/moto_map_perf.py), in a subprocess.
Metaflow's local runtime on this machine (recorded in research/engine_perf.md, not
re-measured): 2.5 s linear-10, 17 s foreach-100, 175 s foreach-1000.

    python bench/bench_engine.py [--executor trivial|runtask|both] [--workers 2] [--baseline]
                                 [--engine interp --engine moto]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path[:0] = [REPO]

METAFLOW_S = {"linear-10": 2.5, "foreach-100": 17.0, "foreach-1000": 175.0}

FLOW_SOURCE = '''
from sfnflow import FlowSpec, Parameter, step


class BenchFlow(FlowSpec):
    n = Parameter("n", default=10)
    linear = Parameter("linear", default=0)

    @step
    def start(self):
        self.items = list(range(int(self.n)))
        self.next(self.body, foreach="items")

    @step
    def body(self):
        self.sq = self.input * self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.sq for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass
'''

LINEAR_SOURCE = "from sfnflow import FlowSpec, step\n\n\nclass LinearBench(FlowSpec):\n" + "".join(
    f"    @step\n    def {name}(self):\n        self.x = {i}\n        self.next(self.{nxt})\n\n"
    for i, (name, nxt) in enumerate(zip(["start"] + [f"s{i}" for i in range(1, 9)], [f"s{i}" for i in range(1, 9)] + ["end"]))
) + "    @step\n    def end(self):\n        pass\n"


def trivial(payload: dict[str, Any]) -> dict[str, Any]:
    """Return at once; the foreach start returns its items (in the state, or in the store when wide)."""
    from sfn_compiler.contract.envelope import foreach_items_key

    inline_max = int(payload.get("inline_max") or 0)
    if not inline_max:  # not a foreach step
        return {}
    # The start step gets the execution's whole input ({"parameters": {...}}, envelope.py).
    given = payload.get("parameters") or {}
    n = int((given.get("parameters") or given).get("n", 10))
    if n <= inline_max:
        return {"n": n, "items": [str(i) for i in range(n)]}
    path = os.path.join(os.environ["SFNFLOW_BENCH_ROOT"],
                        foreach_items_key(payload["flow"], payload["run"], payload["step"], payload["task"]))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump([str(i) for i in range(n)], f)
    return {"n": n, "items": None}


def trivial_cases(work: str) -> list[tuple[str, Any, dict[str, Any], int]]:
    from sfn_compiler.compile import compile_file

    flows = {}
    for name, source in (("linear_bench.py", LINEAR_SOURCE), ("bench_flow.py", FLOW_SOURCE)):
        path = os.path.join(work, name)
        with open(path, "w") as f:
            f.write(source)
        flows[name] = compile_file(path)
    return [("linear-10", flows["linear_bench.py"], {}, 10),
            ("foreach-100", flows["bench_flow.py"], {"n": 100}, 100),
            ("foreach-1000", flows["bench_flow.py"], {"n": 1000}, 1000),
            ("dmap-2000", flows["bench_flow.py"], {"n": 2000}, 2000)]


def bench_trivial(workers: int, repeat: int, engine_name: str | None = None) -> list[dict[str, Any]]:
    from runtime.engine import LocalEngine

    root = tempfile.mkdtemp(prefix="sfnflow-bench-")
    os.environ["SFNFLOW_BENCH_ROOT"] = root
    rows = []
    try:
        t0 = time.perf_counter()
        with LocalEngine(trivial, max_workers=workers, artifact_root=root, engine=engine_name) as engine:
            startup = time.perf_counter() - t0
            for name, compiled, params, n in trivial_cases(root):
                best = None
                for i in range(repeat):
                    result = engine.run(compiled, run_id=f"{name}-{i}", execution_input={"parameters": params})
                    assert result.status == "SUCCEEDED", (name, result.error, result.cause)
                    best = result if best is None or result.duration < best.duration else best
                rows.append(_row(f"trivial/{engine.engine}", name, n, best, startup))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


def bench_runtask(workers: int, repeat: int, engine_name: str | None = None) -> list[dict[str, Any]]:
    from runtime.engine import LocalEngine
    from sfn_compiler.compile import compile_file

    work = tempfile.mkdtemp(prefix="sfnflow-bench-")
    rows = []
    try:
        for flow_name, source, cases in (
            ("linear_bench.py", LINEAR_SOURCE, [("linear-10", {}, 10)]),
            ("bench_flow.py", FLOW_SOURCE, [("foreach-100", {"n": 100}, 100), ("foreach-1000", {"n": 1000}, 1000),
                                            ("dmap-2000", {"n": 2000}, 2000)]),
        ):
            path = os.path.join(work, flow_name)
            with open(path, "w") as f:
                f.write(source)
            compiled = compile_file(path)
            root = os.path.join(work, ".sfnflow")
            t0 = time.perf_counter()
            with LocalEngine(flow_file=path, root=root, max_workers=workers, engine=engine_name) as engine:
                startup = time.perf_counter() - t0
                for name, params, n in cases:
                    best = None
                    for i in range(repeat):
                        result = engine.run(compiled, run_id=f"{name}-{i}", execution_input={"parameters": params})
                        assert result.status == "SUCCEEDED", (name, result.error, result.cause)
                        best = result if best is None or result.duration < best.duration else best
                    rows.append(_row(f"runtask/{engine.engine}", name, n, best, startup))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def _row(executor: str, name: str, n: int, result: Any, startup: float) -> dict[str, Any]:
    return {"executor": executor, "case": name, "n": n, "seconds": result.duration, "tasks": result.tasks,
            "ms_per_task": result.duration / max(1, result.tasks) * 1000, "startup": startup,
            "max_state_bytes": result.max_state_bytes, "events": result.history.events}


BASELINE = r'''
import json, sys, time, io, zipfile, logging
import boto3
from moto import mock_aws
import moto.awslambda.models as lm
logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
lm.LambdaFunction._invoke_lambda = lambda self, event=None: (json.dumps({}), False, "")
N = int(sys.argv[1])
with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buf = io.BytesIO(); z = zipfile.ZipFile(buf, "w"); z.writestr("h.py", "def h(e,c): return {}"); z.close()
    fn = boto3.client("lambda", region_name="us-east-1").create_function(FunctionName="f", Runtime="python3.11",
        Role=role, Handler="h.h", Code={"ZipFile": buf.getvalue()})["FunctionArn"]
    body = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": fn, "Payload.$": "$"}, "ResultPath": None, "End": True}
    defn = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {
        "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "b", "States": {"b": body}}, "ResultPath": None, "End": True}}}
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    sm = sfn.create_state_machine(name="m", definition=json.dumps(defn), roleArn=role)["stateMachineArn"]
    t = time.perf_counter()
    ex = sfn.start_execution(stateMachineArn=sm, name="e", input=json.dumps({"items": list(range(N))}))["executionArn"]
    while sfn.describe_execution(executionArn=ex)["status"] == "RUNNING":
        time.sleep(0.01)
    print(time.perf_counter() - t)
'''


def bench_baseline() -> list[dict[str, Any]]:
    rows = []
    for n in (100, 1000):
        out = subprocess.run([sys.executable, "-c", BASELINE, str(n)], capture_output=True, text=True, check=True)
        seconds = float(out.stdout.strip().splitlines()[-1])
        rows.append({"executor": "moto-unpatched", "case": f"map-{n}", "n": n, "seconds": seconds, "tasks": n,
                     "ms_per_task": seconds / n * 1000, "startup": 0.0, "max_state_bytes": 0, "events": 0})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--executor", choices=["trivial", "runtask", "both"], default="both")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--baseline", action="store_true", help="also time unpatched moto (about 10 s)")
    parser.add_argument("--engine", action="append", choices=["interp", "moto"],
                        help="local engine(s) to time (repeatable; default: the default engine)")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    for engine in args.engine or [None]:
        if args.executor in ("trivial", "both"):
            rows += bench_trivial(args.workers, args.repeat, engine)
        if args.executor in ("runtask", "both"):
            rows += bench_runtask(args.workers, args.repeat, engine)
    if args.baseline:
        rows += bench_baseline()
    print(f"{'executor':<18}{'case':<14}{'tasks':>6}{'seconds':>9}{'ms/task':>9}{'start s':>8}"
          f"{'max state B':>12}{'vs Metaflow':>12}")
    for r in rows:
        ratio = METAFLOW_S.get(r["case"])
        vs = f"{ratio / r['seconds']:.0f}x" if ratio and r["executor"] != "moto-unpatched" else ""
        print(f"{r['executor']:<18}{r['case']:<14}{r['tasks']:>6}{r['seconds']:>9.3f}{r['ms_per_task']:>9.2f}"
              f"{r['startup']:>8.2f}{r['max_state_bytes']:>12}{vs:>12}")
    print("vs Metaflow: Metaflow's local runtime, recorded on this machine (research/engine_perf.md); "
          "engine seconds exclude the engine's start-up (the 'start s' column, once per run).")


if __name__ == "__main__":
    main()
