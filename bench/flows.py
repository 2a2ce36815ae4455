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
