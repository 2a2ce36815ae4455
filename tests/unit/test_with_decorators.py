"""`run --with name[:k=v,...]`: a step decorator on every step that lacks it."""
from __future__ import annotations

import pytest

from sfn_compiler.compile import CompileOptions, compile_file
from sfn_compiler.graph.with_decorators import WithError, apply_with, parse_with

FLOW = """
from sfnflow import FlowSpec, retry, step


class WithFlow(FlowSpec):
    @retry(times=1)
    @step
    def start(self):
        self.items = [1, 2]
        self.next(self.body, foreach="items")

    @step
    def body(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
"""


def test_with_values_split_at_top_level_commas_only() -> None:
    from sfn_compiler.graph.with_decorators import WithError, parse_with

    assert parse_with("batch:cpu=4,memory=16384,queue=gpu") == ("batch", {"cpu": 4, "memory": 16384, "queue": "gpu"})
    assert parse_with("pypi:packages={'numpy': '1.26', 'pandas': '2.2'},python='3.11'") == (
        "pypi", {"packages": {"numpy": "1.26", "pandas": "2.2"}, "python": "3.11"})
    assert parse_with('environment:vars={"A": "1", "B": "x,y"}') == ("environment", {"vars": {"A": "1", "B": "x,y"}})
    with pytest.raises(WithError, match="'nosuch' is not a step decorator"):
        parse_with("nosuch:x=1")
    with pytest.raises(WithError, match="is not name=value"):
        parse_with("retry:3")



def test_every_step_gets_it_and_a_steps_own_wins(tmp_path) -> None:
    path = tmp_path / "with_flow.py"
    path.write_text(FLOW)
    graph = compile_file(str(path), CompileOptions(with_decorators=("retry:times=4", "catch:var=oops"))).graph
    assert graph["start"].decorator("retry").times == 1  # its own @retry
    assert [graph[s].decorator("retry").times for s in ("body", "join", "end")] == [4, 4, 4]
    assert graph["start"].decorator("catch") is None  # a foreach step: @catch cannot apply
    assert graph["body"].decorator("catch").var == "oops"
    assert apply_with(graph, ()) is graph
