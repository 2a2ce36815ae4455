"""Benchmark flows, written once and rendered for either import line (metaflow / sfnflow)."""
from __future__ import annotations

LINEAR = '''
from {lib} import FlowSpec, step


class Linear{n}Flow(FlowSpec):
    @step
    def start(self):
        self.x = 0
        self.next(self.s1)
{middle}
    @step
    def end(self):
        print(self.x)


if __name__ == "__main__":
    Linear{n}Flow()
'''

LINEAR_STEP = '''
    @step
    def s{i}(self):
        self.x += {i}
        self.next(self.{nxt})
'''

FOREACH = '''
from {lib} import FlowSpec, step


class Foreach{n}Flow(FlowSpec):
    @step
    def start(self):
        self.items = list(range({n}))
        self.next(self.body, foreach="items")

    @step
    def body(self):
        self.square = self.input * self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.square for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        print(self.total)


if __name__ == "__main__":
    Foreach{n}Flow()
'''


def linear(lib: str, n: int) -> str:
    """A linear flow of n steps in all (start, n-2 middle steps, end)."""
    middle = "".join(
        LINEAR_STEP.format(i=i, nxt=f"s{i + 1}" if i < n - 2 else "end") for i in range(1, n - 1)
    )
    return LINEAR.format(lib=lib, n=n, middle=middle)


def foreach(lib: str, n: int) -> str:
    return FOREACH.format(lib=lib, n=n)


def expected_foreach_total(n: int) -> int:
    return sum(i * i for i in range(n))


BRANCH = '''
from {lib} import FlowSpec, step


class Branch{n}Flow(FlowSpec):
    @step
    def start(self):
        self.x = 1
        self.next({targets})
{branches}
    @step
    def join(self, inputs):
        self.total = sum(i.y for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        print(self.total)


if __name__ == "__main__":
    Branch{n}Flow()
'''

BRANCH_STEP = '''
    @step
    def b{i}(self):
        self.y = self.x + {i}
        self.next(self.join)
'''

NESTED = '''
from {lib} import FlowSpec, step


class Nested{outer}x{inner}Flow(FlowSpec):
    @step
    def start(self):
        self.rows = list(range({outer}))
        self.next(self.row, foreach="rows")

    @step
    def row(self):
        self.r = self.input
        self.cols = list(range({inner}))
        self.next(self.cell, foreach="cols")

    @step
    def cell(self):
        self.v = self.r * self.input
        self.next(self.row_join)

    @step
    def row_join(self, inputs):
        self.row_total = sum(i.v for i in inputs)
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.row_total for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        print(self.total)


if __name__ == "__main__":
    Nested{outer}x{inner}Flow()
'''


def branch(lib: str, n: int) -> str:
    """A static split into n parallel steps and their join."""
    return BRANCH.format(lib=lib, n=n, targets=", ".join(f"self.b{i}" for i in range(n)),
                         branches="".join(BRANCH_STEP.format(i=i) for i in range(n)))


def nested(lib: str, outer: int, inner: int) -> str:
    """A foreach of `outer` items, each a foreach of `inner` items (outer * inner leaf tasks)."""
    return NESTED.format(lib=lib, outer=outer, inner=inner)


def tasks_of(case: str) -> int:
    """Tasks a case runs (Metaflow and sfnflow alike), for per-task figures."""
    kind, _, size = case.partition("-")
    if kind == "linear":
        return int(size)
    if kind == "branch":
        return int(size) + 3
    if kind == "foreach":
        return int(size) + 3
    outer, inner = (int(x) for x in size.split("x"))
    return 1 + outer + outer * inner + outer + 2
