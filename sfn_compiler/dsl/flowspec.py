"""`FlowSpec`, the base class of every flow.

At compile time only the class is read (its steps, parameters and decorators). At run
time the task runtime builds one instance per task and attaches a task context
(`_sfnflow_ctx`) that loads artifacts lazily, knows the foreach position and records
`self.next(...)`. The context is duck-typed here so that this module stays
standard-library only; runtime/ provides it.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

# Names a flow may not use for artifacts, steps or parameters: they are FlowSpec's own.
RESERVED_NAMES = frozenset(
    {"next", "input", "index", "inputs", "foreach_stack", "merge_artifacts", "name", "script_name",
     "cmd", "run", "resume", "show", "compile", "current", "parameters", "tags"}
)

# Set by `sfnflow` (the user-facing package) so that `MyFlow()` under
# `if __name__ == "__main__"` hands the command line to the CLI without this
# package importing click.
main_hook: Callable[[type], Any] | None = None


class InvalidNextError(Exception):
    """`self.next(...)` called with arguments the compiled graph does not have."""


class FlowSpec:
    """Base class of a flow. Subclass it, add `@step` methods, and call `self.next`."""

    def __init__(self, use_cli: bool = True) -> None:
        if use_cli:
            if main_hook is None:
                raise RuntimeError("import FlowSpec from sfnflow to run a flow from the command line")
            main_hook(type(self))

    # -- identity -------------------------------------------------------------------
    @property
    def name(self) -> str:
        return type(self).__name__

    # -- transitions ----------------------------------------------------------------
    def next(self, *targets: Callable[..., Any], foreach: str | None = None, **kwargs: Any) -> None:
        """Name the step(s) that run after this one (read statically by the compiler)."""
        if kwargs:
            raise InvalidNextError(f"self.next() got unsupported arguments: {', '.join(sorted(kwargs))}")
        names = tuple(getattr(t, "__name__", str(t)) for t in targets)
        ctx = self.__dict__.get("_sfnflow_ctx")
        if ctx is not None:
            ctx.record_next(names, foreach)

    # -- foreach --------------------------------------------------------------------
    @property
    def input(self) -> Any:
        return self._ctx("input").foreach_input()

    @property
    def index(self) -> int | None:
        return self._ctx("index").foreach_index()

    def foreach_stack(self) -> list[tuple[int, int, Any]]:
        """(index, cardinality, value) for each enclosing foreach, outermost first."""
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
