"""`sfnflow cost` for the bench flows (bench/flows.py): one run's $ on AWS as compiled, and with
every step on Batch (Metaflow's deploy). Prints a markdown table and the arithmetic of two rows.

    python bench/bench_cost.py [seconds per attempt, default 0.1]

Not a timing benchmark: the figures come from sfnflow/cost/estimate.py with the dated price
table, so the baseline is the other column (same flow, same assumptions).
"""
from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository

from bench.flows import foreach, linear  # noqa: E402
from sfn_compiler.compile import compile_file  # noqa: E402
from sfnflow.cost.estimate import Assumptions, express_children, price, shape_of_flow  # noqa: E402
from sfnflow.cost.prices import DEFAULT_PRICES as P  # noqa: E402

CASES = [("linear-10", linear, 10), ("foreach-100", foreach, 100), ("foreach-1000", foreach, 1000),
         ("foreach-5000 (Distributed Map)", foreach, 5000)]


def main(seconds: float) -> None:
    folder = tempfile.mkdtemp(prefix="bench-cost-")
    print(f"{P.line()}; each attempt {seconds:g} s\n")
    print("| flow | transitions | Lambda GB-s | S3 PUT/GET | sfnflow | every step on Batch | ratio | "
          "Map children as Express |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    shapes = {}
    for label, render, n in CASES:
        path = os.path.join(folder, f"{label.split()[0].replace('-', '_')}.py")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(render("sfnflow", n))
        compiled = compile_file(path)
        assumptions = Assumptions(default_seconds=seconds, default_width=n, default_width_given=True)
        shape = shape_of_flow(compiled, assumptions, P)
        ours = price(shape, P, assumptions)
        theirs = price(shape_of_flow(compiled, assumptions, P, on_batch=True), P, assumptions)
        standard, express, _ = express_children(shape, P)
        s3 = next(line.detail for line in ours.lines if line.what == "S3 requests")
        lam = next(line.detail for line in ours.lines if line.what == "Lambda").split(", ")[1]
        children = f"${express:.4f} instead of ${standard:.4f}" if standard else "-"
        print(f"| {label} | {shape.transitions + shape.child_transitions:,} | {lam} | {s3} | ${ours.total:.4f} | "
              f"${theirs.total:.4f} | {theirs.total / ours.total:.1f}x | {children} |")
        shapes[label] = (shape, ours, theirs)
    for label in ("linear-10", "foreach-1000"):
        shape, ours, theirs = shapes[label]
        print(f"\n{label}:")
        for line in ours.lines:
            if line.used:
                print(f"  sfnflow  {line.what:<17} {line.detail:<48} ${line.usd:.6f}")
        for line in theirs.lines:
            if line.used:
                print(f"  on Batch {line.what:<17} {line.detail:<48} ${line.usd:.6f}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.1)
