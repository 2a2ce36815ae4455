"""`FlowSpec`, the base class of every flow.

At compile time only the class is read (its steps, parameters and decorators). At run
time the task runtime builds one instance per task and attaches a task context
(`_sfnflow_ctx`) that loads artifacts lazily, knows the foreach position and records
`self.next(...)`. The context is duck-typed here so that this module stays
standard-library only; runtime/ provides it.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, NamedTuple

# Names a flow may not use for artifacts, steps or parameters: they are FlowSpec's own.
RESERVED_NAMES = frozenset(
    {"next", "input", "index", "inputs", "foreach_stack", "merge_artifacts", "name", "script_name",
     "cmd", "run", "resume", "show", "compile", "current", "parameters", "tags"}
)

# Set by `sfnflow` (the user-facing package) so that `MyFlow()` under
# `if __name__ == "__main__"` hands the command line to the CLI without this
# package importing click.
main_hook: Callable[[type], Any] | None = None


class ForeachFrame(NamedTuple):
    """One enclosing foreach of a task, as `foreach_stack()` lists it (a tuple, as in Metaflow)."""

    index: int  # this task's position in that foreach
    num_splits: int  # the foreach's cardinality
    value: Any  # the item at `index`


class FlowCliReached(BaseException):
    """`MyFlow()` was reached while sfnflow ran the flow file's `__main__` block for its setup
    code (runtime.loader.run_main_block): the command line is sfnflow's, so stop there.

    A BaseException, so the user's own `except Exception:` around the call does not swallow it."""


# Set while a `__main__` block runs for its setup code only.
stop_at_cli = False


class InvalidNextError(Exception):
    """`self.next(...)` called with arguments the compiled graph does not have."""


class FlowSpec:
    """Base class of a flow. Subclass it, add `@step` methods, and call `self.next`."""

    def __init__(self, use_cli: bool = True) -> None:
        if use_cli:
            if stop_at_cli:
                raise FlowCliReached()
            if main_hook is None:
                raise RuntimeError("import FlowSpec from sfnflow to run a flow from the command line")
            main_hook(type(self))

    # -- identity -------------------------------------------------------------------
    @property
    def name(self) -> str:
        return type(self).__name__

    # -- transitions ----------------------------------------------------------------
    def next(self, *targets: Any, foreach: str | None = None, condition: str | None = None,
             num_parallel: int | None = None, **kwargs: Any) -> None:
        """Name the step(s) that run after this one (read statically by the compiler).

        `self.next(self.a)`, `self.next(self.a, self.b)` (branches),
        `self.next(self.body, foreach="items")`, `self.next(self.train, num_parallel=4)`, or a
        switch: `self.next({"fast": self.fast, "slow": self.slow}, condition="mode")` runs the
        step whose case equals `self.mode`.
        """
        if kwargs:
            raise InvalidNextError(f"self.next() got unsupported arguments: {', '.join(sorted(kwargs))}")
        ctx = self.__dict__.get("_sfnflow_ctx")
        if condition is not None:
            if len(targets) != 1 or not isinstance(targets[0], dict) or not targets[0]:
                raise InvalidNextError("with condition=, self.next() takes one non-empty dict mapping values to steps")
            if not isinstance(condition, str):
                raise InvalidNextError("condition= must name an artifact, as a string")
            if foreach is not None or num_parallel is not None:
                raise InvalidNextError("a switch (condition=) cannot also use foreach= or num_parallel=")
            cases = tuple((key, getattr(target, "__name__", str(target))) for key, target in targets[0].items())
            if ctx is not None:
                ctx.record_switch(cases, condition)
            return
        if len(targets) == 1 and isinstance(targets[0], dict):
            raise InvalidNextError("a dict of cases in self.next() needs condition=\"<artifact>\"")
        names = tuple(getattr(t, "__name__", str(t)) for t in targets)
        if ctx is not None:
            ctx.record_next(names, foreach, num_parallel)

    # -- foreach --------------------------------------------------------------------
    @property
    def input(self) -> Any:
        return self._ctx("input").foreach_input()

    @property
    def index(self) -> int | None:
        return self._ctx("index").foreach_index()

    def foreach_stack(self) -> list[ForeachFrame]:
        """(index, num_splits, value) for each enclosing foreach, outermost first."""
        return self._ctx("foreach_stack").foreach_stack()

    # -- joins ----------------------------------------------------------------------
    def merge_artifacts(
        self,
        inputs: Iterable[Any],
        exclude: Iterable[str] | None = None,
        include: Iterable[str] | None = None,
    ) -> None:
        """Copy artifacts that every input agrees on; raise on a conflict not excluded."""
        self._ctx("merge_artifacts").merge_artifacts(self, list(inputs), set(exclude or ()), set(include or ()))

    # -- artifacts ------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: the artifact may live in a parent task.
        if name.startswith("__") or name == "_sfnflow_ctx":
            raise AttributeError(name)
        ctx = self.__dict__.get("_sfnflow_ctx")
        if ctx is None:
            raise AttributeError(f"'{type(self).__name__}' has no attribute '{name}'")
        return ctx.read_artifact(name)

    def _ctx(self, what: str) -> Any:
        ctx = self.__dict__.get("_sfnflow_ctx")
        if ctx is None:
            raise AttributeError(f"self.{what} is only available while a step runs")
        return ctx
