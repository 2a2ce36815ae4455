"""The graph IR: frozen records that ASL emission, CDK, the local engine, `show` and the
docs read. Built once by builder.build_graph; never mutated afterwards."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterator

from ..dsl.specs import DecoratorSpec, FlowDecoratorSpec, ParameterSpec


class StepKind(str, Enum):
    START = "start"
    LINEAR = "linear"
    SPLIT = "split"  # static branches: self.next(self.a, self.b)
    FOREACH = "foreach"  # self.next(self.body, foreach="items")
    JOIN = "join"  # def join(self, inputs)
    SWITCH = "switch"  # self.next({"a": self.a, "b": self.b}, condition="attr"): one case runs
    END = "end"


class FrameKind(str, Enum):
    FOREACH = "foreach"  # a foreach (or @parallel) step: one task per item
    LOOP = "loop"  # a recursive switch: one task per iteration, the frame named after the loop's first step


@dataclass(frozen=True)
class PositionFrame:
    """One level of a task id: the enclosing foreach, or the enclosing loop and its iteration.

    A step's task id has one dot-separated part per frame ("0" with none), outermost
    first: inside `foreach` step F the part is the item's index, inside a loop whose
    first step is H the part is the iteration (0, 1, 2, ...).
    """

    kind: FrameKind
    step: str  # the foreach step, or the loop's first step (its head)


@dataclass(frozen=True)
class NextCall:
    """What the step's `self.next(...)` said, as read from source."""

    targets: tuple[str, ...] = ()
    foreach: str | None = None
    line: int = 0
    # A switch: (case value as written, target step) in source order, and the artifact named by `condition=`.
    cases: tuple[tuple[Any, str], ...] = ()
    condition: str | None = None
    num_parallel: int | None = None  # self.next(self.x, num_parallel=N)
    # Set when the call is not one the compiler can read; `validate` explains it.
    # missing | not_last | bad_target | bad_foreach | bad_keyword | in_end | bad_switch | bad_num_parallel
    problem: str | None = None


@dataclass(frozen=True)
class StepNode:
    name: str
    kind: StepKind
    out_edges: tuple[str, ...]
    in_edges: tuple[str, ...]
    foreach_var: str | None
    # Enclosing splits and foreaches, outermost first: the stack a join pops.
    split_parents: tuple[str, ...]
    decorators: tuple[DecoratorSpec, ...]
    source_line: int
    takes_inputs: bool = False  # the step function has an `inputs` argument
    num_args: int = 1
    next_call: NextCall = field(default_factory=NextCall)
    matching_join: str | None = None  # for a split or foreach: the join that closes it
    doc: str | None = None
    # (name, line) of every `self.<name> = ...` in the step's source: the artifacts it writes.
    artifact_writes: tuple[tuple[str, int], ...] = ()
    # A switch step's cases (value, target) and condition artifact; see NextCall.
    switch_cases: tuple[tuple[Any, str], ...] = ()
    condition: str | None = None
    # The levels of this step's task ids (enclosing foreaches and loops), outermost first.
    frames: tuple[PositionFrame, ...] = ()
    # Switch cases that go back to the first step of a loop enclosing this step: (target,).
    loops_back_to: tuple[str, ...] = ()
    num_parallel: int | None = None  # @parallel fan-out: self.next(self.x, num_parallel=N)

    @property
    def is_split(self) -> bool:
        """Static branches (all run); a switch's cases are alternatives, not branches."""
        return len(self.out_edges) > 1 and not self.is_switch

    @property
    def is_switch(self) -> bool:
        return self.condition is not None

    @property
    def is_foreach(self) -> bool:
        """A foreach, or a @parallel fan-out (`num_parallel=`), which runs like one."""
        return self.foreach_var is not None or self.num_parallel is not None

    @property
    def depth(self) -> int:
        """How many parts this step's task ids have (0: the task id is "0")."""
        return len(self.frames)

    @property
    def is_join(self) -> bool:
        return self.takes_inputs

    def decorator(self, kind: str) -> Any:
        """The first decorator spec of this kind ("retry", "batch", ...), or None."""
        return next((d for d in self.decorators if d.kind == kind), None)


@dataclass(frozen=True)
class FlowGraph:
    name: str
    steps: tuple[StepNode, ...]  # in source order
    parameters: tuple[ParameterSpec, ...]
    flow_decorators: tuple[FlowDecoratorSpec, ...]
    source_file: str
    class_line: int = 0

    def __getitem__(self, name: str) -> StepNode:
        for node in self.steps:
            if node.name == name:
                return node
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(node.name == name for node in self.steps)

    def __iter__(self) -> Iterator[StepNode]:
        return iter(self.steps)

    def get(self, name: str) -> StepNode | None:
        return next((node for node in self.steps if node.name == name), None)

    def flow_decorator(self, kind: str) -> Any:
        return next((d for d in self.flow_decorators if d.kind == kind), None)
