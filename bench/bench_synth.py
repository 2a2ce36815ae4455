"""Synth time of an example flow: compile + package + CDK synth of both stacks, in this process.

    python bench/bench_synth.py [examples/linear.py] [--repeat 3]

Prints the first (cold: node + jsii start, aws_cdk import) and the warm synth times, and,
as the baseline measured in the same run, compile_flow alone.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("flow", nargs="?", default=os.path.join(ROOT, "examples", "linear.py"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from cdk.assembly import silence_node_banner
    from cdk.config import DeployConfig
    from sfn_compiler.compile import compile_file

    silence_node_banner()
    t0 = time.perf_counter()
    compile_file(args.flow)
    compile_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    import aws_cdk  # noqa: F401  (starts node + the jsii kernel)
    import_s = time.perf_counter() - t0

    from sfnflow.deploy import synth_flow

    times = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as outdir:
            t0 = time.perf_counter()
            synth_flow(DeployConfig(flow_file=args.flow), outdir=outdir)
            times.append(time.perf_counter() - t0)
    print(f"flow: {os.path.relpath(args.flow, ROOT)}")
    print(f"compile_flow (baseline):      {compile_s * 1000:8.1f} ms")
    print(f"import aws_cdk (node + jsii): {import_s:8.2f} s")
    print(f"synth, first:                 {times[0]:8.2f} s")
    if len(times) > 1:
        print(f"synth, warm (median of {len(times) - 1}):   {statistics.median(times[1:]):8.2f} s")
    print(f"synth / compile ratio (warm): {statistics.median(times[1:] or times) / compile_s:8.0f}x")


if __name__ == "__main__":
    main()
