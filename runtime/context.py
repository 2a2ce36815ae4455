"""The task context a running step sees through `self` (FlowSpec calls it `_sfnflow_ctx`).

It reads artifacts lazily from the parent task's index, serves `self.input`,
`self.index`, `foreach_stack()`, a join's `inputs` and `merge_artifacts`, records
`self.next(...)`, and at the end works out the task's index: artifacts passed through
unchanged are referenced by sha (never loaded or rewritten); values the step read are
pickled again and compared, since they may have been mutated in place.

Where inputs live follows from the graph alone (task ids are foreach positions), so
nothing here asks the metadata store. `FlowPlan` holds the graph facts, built once per
flow per process.
"""
from __future__ import annotations

from typing import Any, Iterator, NamedTuple

from sfn_compiler.contract.envelope import TaskPath
from sfn_compiler.dsl.flowspec import ForeachFrame
from sfn_compiler.graph.model import FlowGraph, FrameKind, StepNode

from . import serialize as ser
from sfn_compiler.exceptions import (
    MetaflowException, MissingInMergeArtifactsException, UnhandledInMergeArtifactsException,
)

from .errors import PlatformError, UserCodeError
from .positions import Positions, parent_pointer_key
from .stores.artifacts import ArtifactDamaged, ArtifactLoadError, ArtifactMissing, ArtifactStore
from .stores.base import TaskIndex

__all__ = ["FlowPlan", "InputView", "Inputs", "TaskContext"]

CTX_ATTR = "_sfnflow_ctx"


class FlowPlan:
    """Facts about a flow's graph that every task needs, computed once."""

    def __init__(self, graph: FlowGraph) -> None:
        self.graph = graph
        self.param_attrs = frozenset(spec.attribute or spec.name for spec in graph.parameters)
        self.positions = Positions(graph)
        # Enclosing foreach steps of each step, outermost first, with the task-id part each one indexes.
        self.foreach_chain: dict[str, tuple[tuple[int, str], ...]] = {
            node.name: tuple((i, f.step) for i, f in enumerate(node.frames) if f.kind == FrameKind.FOREACH)
            for node in graph
        }

    def graph_info(self) -> dict[str, Any]:
        """current.graph (built on first use)."""
        if getattr(self, "_graph_info", None) is None:
            from sfn_compiler.graph.info import graph_info

            self._graph_info = graph_info(self.graph)
        return self._graph_info

    def depth(self, step: str) -> int:
        """Parts in the step's task ids (foreaches and loops around it)."""
        return self.graph[step].depth

    def parent_task(self, node: StepNode, task: str, store: ArtifactStore, flow: str, run: str) -> tuple[str, str]:
        """(step, task) whose artifacts a non-join step inherits."""
        candidates = self.positions.parent_candidates(node, task)
        if len(candidates) == 1 and candidates[0].task is not None:
            return candidates[0].step, candidates[0].task
        if any(c.task is None for c in candidates):
            pointer = _read_pointer(store, flow, run, node.name, task)
            if pointer is not None:
                return pointer
        for candidate in candidates:
            if candidate.task is not None and store.get_index(flow, run, candidate.step, candidate.task) is not None:
                return candidate.step, candidate.task
        tried = ", ".join(f"{c.step}/{c.task or '?'}" for c in candidates)
        raise PlatformError(f"task {flow}/{run}/{node.name}/{task}: none of the steps before it ran ({tried})")

    def join_inputs(self, node: StepNode, task: str, store: ArtifactStore, flow: str, run: str) -> list[tuple[str, str]]:
        """(step, task) of each input of a join, in order: the branches or iterations that ran."""

        def foreach_n(split: str, split_task: str) -> int:
            index = store.get_index(flow, run, split, split_task)
            if index is None or "foreach_n" not in index.meta:
                raise PlatformError(f"join '{node.name}': foreach step {flow}/{run}/{split}/{split_task} has no index")
            return int(index.meta["foreach_n"])

        inputs, probe = self.positions.join_candidates(node, task, foreach_n)
        if not probe:
            return [(c.step, c.task or task) for group in inputs for c in group]
        found = []
        for group in inputs:
            ran = [(c.step, c.task) for c in group if c.task and store.get_index(flow, run, c.step, c.task) is not None]
            found.extend(ran)
        return found


def _read_pointer(store: ArtifactStore, flow: str, run: str, step: str, task: str) -> tuple[str, str] | None:
    try:
        data = store.get_json(parent_pointer_key(flow, run, step, task))
    except KeyError:
        return None
    return str(data["step"]), str(data["task"])


class NextRecord(NamedTuple):
    """One `self.next(...)` call as the step made it."""

    targets: tuple[str, ...]
    foreach: str | None
    cases: tuple[tuple[Any, str], ...] = ()
    condition: str | None = None
    num_parallel: int | None = None


def _same_key(key: Any, value: Any) -> bool:
    """Dict-key equality, as `value in {key: ...}` decides it (True == 1, but not "1")."""
    try:
        return bool(key == value) and hash(key) == hash(value)
    except TypeError:  # an unhashable value is never a case
        return False


class InputView:
    """One input of a join: attribute access loads that task's artifacts lazily."""

    def __init__(self, store: ArtifactStore, path: TaskPath) -> None:
        # Set through __dict__: __getattr__ serves every other name as an artifact.
        self.__dict__["_store"] = store
        self.__dict__["_path"] = path
        self.__dict__["_index"] = None

    @property
    def _sfnflow_pathspec(self) -> str:
        return str(self._path)

    def _artifacts(self) -> dict[str, str]:
        if self._index is None:
            index = self._store.get_index(*self._path)
            if index is None:
                raise PlatformError(f"input task {self._path} has no index; it has not finished")
            self.__dict__["_index"] = index
        return self._index.artifacts  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        sha = self._artifacts().get(name)
        if sha is None:
            raise AttributeError(f"input {self._sfnflow_pathspec} has no artifact '{name}'")
        value = load_artifact(self._store, self._path.flow, sha, name, self._sfnflow_pathspec, None, None)
        self.__dict__[name] = value
        return value

    def __repr__(self) -> str:
        return f"<input {self._sfnflow_pathspec}>"


class Inputs:
    """A join's `inputs`: iterate, len(), index, or `inputs.<branch step>` for static branches."""

    def __init__(self, views: list[InputView]) -> None:
        self._views = views

    def __iter__(self) -> Iterator[InputView]:
        return iter(self._views)

    def __len__(self) -> int:
        return len(self._views)

    def __getitem__(self, item: int) -> Any:
        return self._views[item]

    def __getattr__(self, name: str) -> InputView:
        if name.startswith("_"):
            raise AttributeError(name)
        for view in self._views:
            if view._path.step == name:
                return view
        raise AttributeError(f"this join has no input from a step named '{name}'")


class TaskContext:
    """The `_sfnflow_ctx` of one task. Built by runtime.task, read by FlowSpec."""

    def __init__(self, *, store: ArtifactStore, plan: FlowPlan, node: StepNode, flow: str, run: str, task: str,
                 origin: dict[str, str] | None = None) -> None:
        self.store, self.plan, self.node = store, plan, node
        self.flow, self.run, self.step, self.task = flow, run, node.name, task
        self.obj: Any = None
        self.next_calls: list[NextRecord] = []
        self.switch_choice: tuple[Any, str] | None = None  # (case value as written, target step)
        self.reads: dict[str, tuple[str, Any]] = {}  # name -> (sha it had, value object handed out)
        self.param_values: dict[str, Any] = {}
        self.merged: dict[str, str] = {}
        self._inherited = origin  # name -> sha this task passes on unless it sets the name
        self._inputs: Inputs | None = None
        self._stack: list[ForeachFrame] | None = None

    # -- called by FlowSpec -----------------------------------------------------------
    def record_next(self, targets: tuple[str, ...], foreach: str | None, num_parallel: int | None = None) -> None:
        self.next_calls.append(NextRecord(targets, foreach, num_parallel=num_parallel))

    def record_switch(self, cases: tuple[tuple[Any, str], ...], condition: str) -> None:
        """A switch: find the case equal to self.<condition> now, as Metaflow does in self.next()."""
        self.next_calls.append(NextRecord(tuple(dict.fromkeys(t for _k, t in cases)), None, cases, condition))
        try:
            value = getattr(self.obj, condition)
        except AttributeError:
            raise AttributeError(f"step '{self.step}': self.next(..., condition={condition!r}), but "
                                 f"self.{condition} is not set. Set it in this step before self.next().") from None
        for key, target in cases:
            if _same_key(key, value):
                self.switch_choice = (key, target)
                return
        raise RuntimeError(f"Switch condition variable '{condition}' has value {value!r} which is not in the "
                           f"available cases: {[key for key, _t in cases]}")

    def read_artifact(self, name: str) -> Any:
        if name in self.param_values:
            return self.param_values[name]
        sha = self.merged.get(name) or self.inherited().get(name)
        if sha is None:
            raise AttributeError(self._missing_message(name))
        value = self._load(sha, name)
        if name in self.plan.param_attrs:
            self.param_values[name] = value  # a data descriptor: it can't live in __dict__
        else:
            self.obj.__dict__[name] = value
            self.reads[name] = (sha, value)
        return value

    def _load(self, sha: str, name: str) -> Any:
        return load_artifact(self.store, self.flow, sha, name, f"{self.flow}/{self.run}", self.step, self.task)

    def foreach_input(self) -> Any:
        stack = self.foreach_stack()
        return stack[-1].value if stack else None

    def foreach_index(self) -> int | None:
        stack = self.foreach_stack()
        return stack[-1].index if stack else None

    def foreach_stack(self) -> list[ForeachFrame]:
        if self._stack is None:
            self._stack = [self._foreach_frame(part, step) for part, step in self.plan.foreach_chain[self.step]]
        return list(self._stack)

    def merge_artifacts(self, obj: Any, inputs: list[Any], exclude: set[str], include: set[str]) -> None:
        merge_into(self, obj, inputs, exclude, include)

    # -- inputs -----------------------------------------------------------------------
    def inherited(self) -> dict[str, str]:
        """name -> sha of what this task inherits (its parent's index; a join: parameters only)."""
        if self._inherited is None:
            if self.node.is_join:
                first = self.join_inputs()[0]._artifacts() if len(self.join_inputs()) else {}
                self._inherited = {k: v for k, v in first.items() if k in self.plan.param_attrs}
            else:
                step, task = self.plan.parent_task(self.node, self.task, self.store, self.flow, self.run)
                self._inherited = dict(self._index_of(step, task).artifacts)
        return self._inherited

    def join_inputs(self) -> Inputs:
        if self._inputs is None:
            pairs = self.plan.join_inputs(self.node, self.task, self.store, self.flow, self.run)
            self._inputs = Inputs([InputView(self.store, TaskPath(self.flow, self.run, s, t)) for s, t in pairs])
        return self._inputs

    def _index_of(self, step: str, task: str) -> TaskIndex:
        index = self.store.get_index(self.flow, self.run, step, task)
        if index is None:
            raise PlatformError(f"task {self.flow}/{self.run}/{step}/{task} has no index; it has not finished")
        return index

    def _foreach_frame(self, part: int, foreach_step: str) -> ForeachFrame:
        parts = self.task.split(".")
        position = int(parts[part])
        index = self._index_of(foreach_step, ".".join(parts[:part]) or "0")
        if index.meta.get("parallel"):
            # @parallel: the input is the node index, as in Metaflow.
            return ForeachFrame(position, int(index.meta["foreach_n"]), position)
        var = index.meta.get("foreach_var") or self.plan.graph[foreach_step].foreach_var
        values = load_artifact(self.store, self.flow, index.artifacts[var], var,
                               f"{self.flow}/{self.run}/{foreach_step}", self.step, self.task)
        return ForeachFrame(position, int(index.meta.get("foreach_n", len(values))), values[position])

    def _missing_message(self, name: str) -> str:
        if self.node.is_join:
            return (f"self.{name} is not set: a join starts empty. "
                    f"Read it from `inputs` (e.g. inputs[0].{name}) or call self.merge_artifacts(inputs) first.")
        return f"self.{name} is not set: no earlier step stored an artifact named '{name}'."

    # -- the task's index -------------------------------------------------------------
    def collect_index(self, lenient: bool = False) -> tuple[dict[str, str], dict[str, ser.Packed]]:
        """(name -> sha of everything this task passes on, sha -> packed new values).

        `lenient` (saving what a failed attempt had set): a value that does not pickle is
        left out instead of failing, and unreadable parents give what is readable.
        """
        try:
            index = dict(self.inherited())
        except Exception:
            if not lenient:
                raise
            index = {}
        index.update(self.merged)
        new_blobs: dict[str, ser.Packed] = {}
        for name, value in self.obj.__dict__.items():
            if name == CTX_ATTR:
                continue
            try:
                packed = ser.pack_value(value)
            except Exception as exc:  # the user's value, the user's problem
                if lenient:
                    continue
                raise UserCodeError(
                    f"step '{self.step}': artifact '{name}' ({type(value).__name__}) cannot be serialised: "
                    f"{type(exc).__name__}: {exc}. Store a picklable value, or use a local variable.",
                    step=self.step, task=self.task) from exc
            index[name] = packed.sha
            read = self.reads.get(name)
            if read is not None and read[1] is value and read[0] == packed.sha:
                continue  # read but unchanged: still the parent's blob
            new_blobs[packed.sha] = packed
        return index, new_blobs


def load_artifact(store: ArtifactStore, flow: str, sha: str, name: str, owner: str, step: str | None,
                  task: str | None) -> Any:
    """A stored value; a store that lost or damaged it raises PlatformError naming the artifact
    and whose it is (never the user's own traceback: the user's code did nothing wrong)."""
    try:
        return store.load(flow, sha, name)
    except ArtifactLoadError as exc:  # it does not load in this interpreter: the user's environment
        raise UserCodeError(f"step '{step}': {exc}" if step else str(exc), step=step, task=task) from None
    except (ArtifactMissing, ArtifactDamaged, OSError) as exc:
        raise PlatformError(
            f"artifact '{name}' of {owner} cannot be read: {exc}. Rerun the step that produced it "
            f"(sfnflow resume RUN_ID --from STEP); a rerun stores it afresh.", step=step, task=task) from exc


def merge_into(ctx: TaskContext, obj: Any, inputs: list[Any], exclude: set[str], include: set[str]) -> None:
    """Metaflow's merge_artifacts: take every artifact the inputs agree on (by sha)."""
    if not ctx.node.is_join:
        raise MetaflowException(f"self.merge_artifacts() works in a join step only; '{ctx.step}' is not a join.")
    if exclude and include:
        raise MetaflowException("self.merge_artifacts(): pass `include` or `exclude`, not both.")
    if not all(isinstance(view, InputView) for view in inputs):
        raise MetaflowException("self.merge_artifacts(): pass the join's `inputs` (or some of them).")
    chosen: dict[str, tuple[str, InputView]] = {}
    conflicts: dict[str, list[str]] = {}
    for view in inputs:
        for name, sha in view._artifacts().items():
            if (name in exclude or (include and name not in include) or name in obj.__dict__
                    or name in ctx.plan.param_attrs):
                continue
            if name in chosen and chosen[name][0] != sha:
                conflicts.setdefault(name, [chosen[name][1]._sfnflow_pathspec]).append(view._sfnflow_pathspec)
            else:
                chosen.setdefault(name, (sha, view))
    if conflicts:
        detail = "; ".join(f"'{name}' differs between {', '.join(paths[:4])}" for name, paths in sorted(conflicts.items()))
        raise UnhandledInMergeArtifactsException(
            f"step '{ctx.step}' cannot merge artifacts with conflicting values: {detail}. "
            f"Set them (self.<name> = ...) before calling merge_artifacts, or pass exclude=[...].", sorted(conflicts))
    missing = sorted(include - set(chosen) - set(obj.__dict__))
    if missing:
        raise MissingInMergeArtifactsException(
            f"self.merge_artifacts(include=...): no input has {', '.join(map(repr, missing))}.", missing)
    ctx.merged.update({name: sha for name, (sha, _view) in chosen.items()})


def inherited_for_catch(ctx: TaskContext) -> dict[str, str]:
    """What a caught task passes on: its parent's index; for a join, what all inputs agree on."""
    if not ctx.node.is_join:
        return dict(ctx.inherited())
    agreed: dict[str, str] | None = None
    for view in ctx.join_inputs():
        artifacts = view._artifacts()
        agreed = dict(artifacts) if agreed is None else {k: v for k, v in agreed.items() if artifacts.get(k) == v}
    return agreed or {}


from .parameters import start_parameters  # noqa: E402,F401 - where runtime.task finds it
