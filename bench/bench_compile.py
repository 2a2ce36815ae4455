"""How long compiling takes: a 200-step linear flow, a 100-way static split, and a
foreach-heavy flow (20 foreaches, nested two deep). Prints seconds per phase.

    /work/venv/bin/python bench/bench_compile.py [repeats]

Baseline in the same run: build_graph of each flow (reading the source with ast),
so the compile time can be read as a ratio to it.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time

from sfn_compiler.compile import asl_json, compile_flow
from sfn_compiler.graph.builder import build_graph
from sfn_compiler.graph.validate import validate
from sfn_compiler.loader import load_flow

HEADER = "from sfnflow import FlowSpec, step\n\n\nclass {name}(FlowSpec):\n"


def _step(name: str, body: str, args: str = "self") -> str:
    return f"    @step\n    def {name}({args}):\n        {body}\n\n"


def linear(n: int) -> str:
    src = HEADER.format(name="LinearBench")
    names = ["start"] + [f"s{i}" for i in range(1, n - 1)] + ["end"]
    for a, b in zip(names, names[1:]):
        src += _step(a, f"self.next(self.{b})")
    return src + _step("end", "pass")


def wide(n: int) -> str:
    src = HEADER.format(name="WideBench")
    targets = ", ".join(f"self.b{i}" for i in range(n))
    src += _step("start", f"self.next({targets})")
    for i in range(n):
        src += _step(f"b{i}", "self.next(self.join)")
    src += _step("join", "self.next(self.end)", "self, inputs")
    return src + _step("end", "pass")


def foreachy(n: int) -> str:
    """n foreaches in a row, each with a foreach nested inside."""
    src = HEADER.format(name="ForeachBench") + _step("start", "self.next(self.f0)")
    for i in range(n):
        after = f"self.f{i + 1}" if i + 1 < n else "self.end"
        src += _step(f"f{i}", f"self.xs = [1, 2]\n        self.next(self.o{i}, foreach='xs')")
        src += _step(f"o{i}", f"self.ys = [1]\n        self.next(self.in{i}, foreach='ys')")
        src += _step(f"in{i}", f"self.next(self.ij{i})")
        src += _step(f"ij{i}", f"self.next(self.oj{i})", "self, inputs")
        src += _step(f"oj{i}", f"self.next({after})", "self, inputs")
    return src + _step("end", "pass")


def measure(source: str, stem: str, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"{stem}.py")
        with open(path, "w") as fh:
            fh.write(source)
        cls = load_flow(path)
        t0 = time.perf_counter()
        for _ in range(repeats):
            graph = build_graph(cls)
        t_build = (time.perf_counter() - t0) / repeats
        problems = validate(graph)
        if problems:
            sys.exit(f"{stem}: generated flow is invalid: {problems[0]}")
        t0 = time.perf_counter()
        for _ in range(repeats):
            compiled = compile_flow(graph)
        t_compile = (time.perf_counter() - t0) / repeats
        size = len(asl_json(compiled.asl))
        print(f"{stem:<14} steps {len(graph.steps):>4}  build_graph {t_build * 1000:7.1f} ms  "
              f"compile_flow {t_compile * 1000:7.1f} ms  ({t_compile / t_build:4.1f}x build)  "
              f"ASL {size:,} bytes")


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    measure(linear(200), "linear200", repeats)
    measure(wide(100), "wide100", repeats)
    measure(foreachy(20), "foreach20x2", repeats)


if __name__ == "__main__":
    main()
