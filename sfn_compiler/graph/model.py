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
    END = "end"


@dataclass(frozen=True)
class NextCall:
    """What the step's `self.next(...)` said, as read from source."""

    targets: tuple[str, ...] = ()
    foreach: str | None = None
    line: int = 0
    # Set when the call is not one the compiler can read; `validate` explains it.
    problem: str | None = None  # missing | not_last | bad_target | bad_foreach | bad_keyword | in_end


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

    @property
    def is_split(self) -> bool:
        return len(self.out_edges) > 1

    @property
    def is_foreach(self) -> bool:
        return self.foreach_var is not None

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
