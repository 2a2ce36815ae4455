"""build_graph on the flow shapes the compiler maps to states: kinds, edges, the stack of
enclosing splits (split_parents) and the join that closes each split (matching_join)."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sfn_compiler.graph.builder import build_graph
from sfn_compiler.graph.model import FlowGraph, StepKind
from sfn_compiler.graph.validate import validate
from sfn_compiler.loader import load_flow

HEADER = "from sfnflow import FlowSpec, Parameter, batch, retry, step\n\n\n"


def build(tmp_path: Path, name: str, body: str) -> FlowGraph:
    path = tmp_path / f"builder_{name}.py"
    path.write_text(HEADER + textwrap.dedent(body))
    return build_graph(load_flow(str(path)))


def steps(*pairs: str) -> str:
    """steps("start: self.next(self.a)", ...) -> the class body of those steps."""
    out = []
    for pair in pairs:
        head, _, nxt = pair.partition(":")
        out.append(f"    @step\n    def {head.strip()}:\n        {nxt.strip() or 'pass'}\n")
    return "\n".join(out)


def flow(name: str, *pairs: str) -> str:
    return f"class {name}(FlowSpec):\n" + steps(*pairs)


LINEAR = flow("Linear", "start(self): self.next(self.a)", "a(self): self.next(self.end)", "end(self):")
BRANCH = flow(
    "Branch",
    "start(self): self.next(self.a, self.b)",
    "a(self): self.next(self.join)",
    "b(self): self.next(self.join)",
    "join(self, inputs): self.next(self.end)",
    "end(self):",
)
FOREACH = flow(
    "Foreach",
    "start(self): self.next(self.fan)",
    "fan(self): self.next(self.body, foreach='items')",
    "body(self): self.next(self.join)",
    "join(self, inputs): self.next(self.end)",
    "end(self):",
)
NESTED_FOREACH = flow(
    "NestedForeach",
    "start(self): self.next(self.outer, foreach='xs')",
    "outer(self): self.next(self.inner, foreach='ys')",
    "inner(self): self.next(self.inner_join)",
    "inner_join(self, inputs): self.next(self.outer_join)",
    "outer_join(self, inputs): self.next(self.end)",
    "end(self):",
)
BRANCH_IN_FOREACH = flow(
    "BranchInForeach",
    "start(self): self.next(self.fan, foreach='items')",
    "fan(self): self.next(self.a, self.b)",
    "a(self): self.next(self.branch_join)",
    "b(self): self.next(self.branch_join)",
    "branch_join(self, inputs): self.next(self.fan_join)",
    "fan_join(self, inputs): self.next(self.end)",
    "end(self):",
)
FOREACH_IN_BRANCH = flow(
    "ForeachInBranch",
    "start(self): self.next(self.a, self.b)",
    "a(self): self.next(self.body, foreach='items')",
    "body(self): self.next(self.foreach_join)",
    "foreach_join(self, inputs): self.next(self.join)",
    "b(self): self.next(self.join)",
    "join(self, inputs): self.next(self.end)",
    "end(self):",
)
SHAPES = {
    "linear": LINEAR, "branch": BRANCH, "foreach": FOREACH, "nested_foreach": NESTED_FOREACH,
    "branch_in_foreach": BRANCH_IN_FOREACH, "foreach_in_branch": FOREACH_IN_BRANCH,
}


def test_linear(tmp_path: Path) -> None:
    g = build(tmp_path, "linear", LINEAR)
    assert [n.name for n in g] == ["start", "a", "end"]  # source order
    assert [n.kind for n in g] == [StepKind.START, StepKind.LINEAR, StepKind.END]
    assert g["start"].out_edges == ("a",) and g["a"].in_edges == ("start",)
    assert g["end"].out_edges == () and g["end"].in_edges == ("a",)
    assert all(n.split_parents == () and n.matching_join is None for n in g)
    assert g.name == "Linear" and g.source_file.endswith("builder_linear.py")


def test_branch(tmp_path: Path) -> None:
    g = build(tmp_path, "branch", BRANCH)
    assert g["start"].kind is StepKind.START and g["start"].is_split
    assert g["start"].out_edges == ("a", "b")
    assert g["join"].kind is StepKind.JOIN and g["join"].takes_inputs
    assert sorted(g["join"].in_edges) == ["a", "b"]
    assert g["a"].split_parents == g["b"].split_parents == ("start",)
    assert g["join"].split_parents == g["end"].split_parents == ()
    assert g["start"].matching_join == "join"


def test_foreach(tmp_path: Path) -> None:
    g = build(tmp_path, "foreach", FOREACH)
    fan = g["fan"]
    assert fan.kind is StepKind.FOREACH and fan.foreach_var == "items" and fan.is_foreach
    assert fan.out_edges == ("body",) and not fan.is_split
    assert g["body"].split_parents == ("fan",)
    assert g["join"].split_parents == ()
    assert fan.matching_join == "join"


def test_nested_foreach(tmp_path: Path) -> None:
    g = build(tmp_path, "nested", NESTED_FOREACH)
    assert g["start"].foreach_var == "xs" and g["outer"].kind is StepKind.FOREACH
    assert g["outer"].split_parents == ("start",)
    assert g["inner"].split_parents == ("start", "outer")  # outermost first
    assert g["inner_join"].split_parents == ("start",)
    assert g["outer_join"].split_parents == ()
    assert g["outer"].matching_join == "inner_join"
    assert g["start"].matching_join == "outer_join"


def test_branch_inside_foreach(tmp_path: Path) -> None:
    g = build(tmp_path, "branch_in_foreach", BRANCH_IN_FOREACH)
    assert g["fan"].kind is StepKind.SPLIT
    assert g["a"].split_parents == g["b"].split_parents == ("start", "fan")
    assert g["branch_join"].split_parents == ("start",)
    assert g["fan_join"].split_parents == ()
    assert g["fan"].matching_join == "branch_join"
    assert g["start"].matching_join == "fan_join"


def test_foreach_inside_branch(tmp_path: Path) -> None:
    g = build(tmp_path, "foreach_in_branch", FOREACH_IN_BRANCH)
    assert g["a"].kind is StepKind.FOREACH
    assert g["body"].split_parents == ("start", "a")
    assert g["foreach_join"].split_parents == ("start",)
    assert g["b"].split_parents == ("start",)
    assert sorted(g["join"].in_edges) == ["b", "foreach_join"]
    assert g["join"].split_parents == ()
    assert g["a"].matching_join == "foreach_join"
    assert g["start"].matching_join == "join"


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_is_valid(tmp_path: Path, shape: str) -> None:
    assert [str(d) for d in validate(build(tmp_path, f"valid_{shape}", SHAPES[shape]))] == []


def test_lines_decorators_and_parameters(tmp_path: Path) -> None:
    g = build(tmp_path, "details", """\
        class Details(FlowSpec):
            alpha = Parameter("alpha", default=0.5)

            @batch(cpu=2)
            @retry(times=1)
            @step
            def start(self):
                \"\"\"Begin.\"\"\"
                self.next(self.end)

            @step
            def end(self):
                pass
        """)
    start = g["start"]
    assert start.source_line == 10  # the `def` line (3 header lines + 7), not the decorator's
    assert start.next_call.line == 12 and start.next_call.problem is None
    assert [d.kind for d in start.decorators] == ["batch", "retry"]  # top-down, as written
    assert start.decorator("retry").times == 1 and start.doc == "Begin."
    assert [(p.name, p.type, p.default, p.source_line) for p in g.parameters] == [("alpha", "float", 0.5, 5)]
