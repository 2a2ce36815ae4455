"""run_task: run exactly one step of a flow, given a TaskEnvelope, against some stores.

The Lambda handler, the Batch entrypoint and the local workers all call this. A warm
process keeps one `TaskEnvironment`: the flow module is imported and its graph built once
per flow file (`FlowCache`), the stores keep their connections and caches.

Per task: build the flow object (without FlowSpec.__init__), attach a TaskContext, set
`current`, run the step with stdout/stderr captured, check `self.next(...)` against the
graph, store new or changed artifacts, write the task index (only on success), record
the attempt, and return the small result of sfn_compiler.contract.envelope's contract.
Modes: a normal step; MODE_CATCH (record a caught failure, pass the parent's artifacts
on); a resumed run's reused step (copy the origin task's index by reference).
"""
from __future__ import annotations

import os
import platform
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple, Iterator

from sfn_compiler.asl.limits import HISTORY_LIMIT
from sfn_compiler.diagnostics import FlowDefinitionError
from sfn_compiler.exceptions import MetaflowExceptionWrapper
from sfn_compiler.dsl.current import current
from sfn_compiler.contract.envelope import MODE_CATCH, MODE_STEP, TaskEnvelope, child_task_id, foreach_items_key
from sfn_compiler.contract.task_config import ENV_ENVIRONMENT
from sfn_compiler.graph.builder import build_graph
from sfn_compiler.graph.model import StepNode
from sfn_compiler.identity import is_system_tag, system_tags
from sfn_compiler.loader import load_flow, run_main_block

from .cards import save_cards
from .run_code import save_flow_source
from .context import CTX_ATTR, FlowPlan, TaskContext, inherited_for_catch, start_parameters
from .errors import (
    PlatformError, TaskError, UserCodeError, caught_from_envelope, error_record, user_location,
)
from .log_location import log_location
from .logs import Captured, OutputTap, SinkOpener, capture_output, sinks_for
from .positions import parent_pointer_key
from .save_progress import SaveProgress, to_stderr
from .serialize import Packed
from .run_input import RunInput, RunInputError, read_run_input
from .timeouts import step_deadline
from .stores.artifacts import ArtifactStore
from .stores.base import (
    ATTEMPT_CAUGHT, ATTEMPT_FAILED, ATTEMPT_REUSED, ATTEMPT_RUNNING, ATTEMPT_SUCCEEDED, AttemptRecord,
    MetadataStore, RunExistsError, RunRecord,
)

__all__ = ["ENV_ENVIRONMENT", "FlowCache", "LoadedFlow", "TaskEnvironment", "record_crash", "run_task"]



@dataclass(frozen=True)
class LoadedFlow:
    cls: type
    plan: FlowPlan


class FlowCache:
    """Flow classes and graphs by flow file: a warm worker imports and builds them once.

    `run_main_block`: a task process (worker, Lambda, Batch job) also runs the flow file's
    `__main__` setup code once, as each Metaflow task process does (sfn_compiler.loader).
    """

    def __init__(self, run_main_block: bool = False) -> None:
        self._flows: dict[str, LoadedFlow] = {}
        self.run_main_block = run_main_block

    def get(self, flow_file: str) -> LoadedFlow:
        path = os.path.abspath(flow_file)
        loaded = self._flows.get(path)
        if loaded is None:
            cls = load_flow(path)
            if self.run_main_block:
                run_main_block(sys.modules[cls.__module__])
            graph = build_graph(cls, _config_sources())
            loaded = self._flows[path] = LoadedFlow(cls, FlowPlan(_with_decorators(graph)))
        return loaded


def _config_sources() -> dict[str, tuple[str, str]] | None:
    """The Configs' sources the launcher was given (SFNFLOW_CONFIG), so every task reads the same values."""
    import json

    from sfn_compiler.contract.task_config import ENV_CONFIG

    text = os.environ.get(ENV_CONFIG)
    return {name: (kind, value) for name, (kind, value) in json.loads(text).items()} if text else None


def _with_decorators(graph: Any) -> Any:
    """The `run --with` decorators the launcher passed down (SFNFLOW_WITH), on every step, as compiled."""
    import json

    from sfn_compiler.contract.task_config import ENV_WITH
    from sfn_compiler.graph.with_decorators import apply_with

    text = os.environ.get(ENV_WITH)
    return apply_with(graph, json.loads(text)) if text else graph


DEFAULT_CACHE = FlowCache()


def task_process() -> None:
    """Mark this process as one that runs tasks (a worker, a Lambda, a Batch job): flows
    loaded from now on run their `__main__` setup code, as Metaflow's task processes do."""
    DEFAULT_CACHE.run_main_block = True


@dataclass
class TaskEnvironment:
    """What a worker process keeps between tasks."""

    flow_file: str
    artifacts: ArtifactStore
    metadata: MetadataStore
    compute: str = "local"  # local | lambda | batch
    tee: bool = False  # also copy the step's output to the real stdout/stderr
    cache: FlowCache = field(default_factory=lambda: DEFAULT_CACHE)
    runs: dict[tuple[str, str], RunRecord] = field(default_factory=dict)  # run records seen (immutable bits)
    notice: Callable[[str], None] = to_stderr  # a line for the person watching (slow saves)
    on_output: OutputTap | None = None  # every write of the step to stdout/stderr (runtime.logs: live output)


def run_task(envelope: TaskEnvelope, env: TaskEnvironment) -> dict[str, Any]:
    """Run one step; return what its Task state reads: for a foreach step {"n": N, "items": [...] | None},
    for a switch its case; for any other step where the task lives (`task_info`), which the
    console shows as the state's output (sfn_compiler/asl/task_output.py).
    """
    result = _run_task(envelope, env)
    return result if result or envelope.mode != MODE_STEP else task_info(envelope, env)


def task_info(envelope: TaskEnvelope, env: TaskEnvironment) -> dict[str, str]:
    """The task's pathspec, where its artifacts are, and how to read its logs."""
    pathspec = f"{envelope.flow}/{envelope.run}/{envelope.step}/{envelope.task}"
    blobs = env.artifacts.blobs
    bucket = getattr(blobs, "bucket", None)
    if bucket:
        where = f"s3://{bucket}/{getattr(blobs, 'prefix', '')}{pathspec}/"
    else:
        where = os.path.join(getattr(blobs, "root", ""), *pathspec.split("/")) + os.sep
    return {"pathspec": pathspec, "artifacts": where, "logs": f"sfnflow logs {pathspec}"}


def _run_task(envelope: TaskEnvelope, env: TaskEnvironment) -> dict[str, Any]:
    """Run one step; return {} or, for a foreach step, {"n": N, "items": [...] | None}.

    Raises:
        UserCodeError: the step's code (or the user's input) failed; recorded as FAILED.
        PlatformError: anything else failed; recorded as FAILED where possible.
    """
    try:
        loaded = env.cache.get(env.flow_file)
    except FlowDefinitionError as exc:
        raise UserCodeError(f"cannot load flow {env.flow_file}: {exc}", step=envelope.step, task=envelope.task) from exc
    plan = loaded.plan
    node = plan.graph.get(envelope.step)
    if node is None or plan.graph.name != envelope.flow:
        raise PlatformError(f"flow file {env.flow_file} defines {plan.graph.name} without step '{envelope.step}', "
                            f"but the task is {envelope.flow}/{envelope.step}; redeploy the flow.")
    try:
        run = _run_record(envelope, env, plan.graph)
    except Exception as exc:
        raise PlatformError(f"metadata store failed: {type(exc).__name__}: {exc}") from exc
    if envelope.mode == MODE_CATCH:
        return _guarded(envelope, env, lambda: _catch(envelope, env, loaded, node, run))
    if envelope.mode != MODE_STEP:
        raise PlatformError(f"unknown task mode {envelope.mode!r}")
    if run.origin_run_id and envelope.step in run.resume_steps:
        reused = _guarded(envelope, env, lambda: _reuse(envelope, env, node, run))
        if reused is not None:
            return reused
    return _run_step(envelope, env, loaded, node, run)


# -- a normal step ----------------------------------------------------------------------
def _run_step(envelope: TaskEnvelope, env: TaskEnvironment, loaded: LoadedFlow, node: StepNode,
              run: RunRecord) -> dict[str, Any]:
    flow, step, task, attempt = envelope.flow, envelope.step, envelope.task, envelope.attempt
    _platform(env.metadata.start_attempt, AttemptRecord(
        flow, envelope.run, step, task, attempt, ATTEMPT_RUNNING, time.time(), compute=env.compute,
        logs=log_location(os.environ) if env.compute != "local" else None))
    ctx: TaskContext | None = None
    with capture_output(env.tee, _log_files(envelope, env), env.on_output) as captured:
        try:
            origin = _start_parameters(envelope, env, loaded, run) if node.name == "start" else None
            ctx = _context(envelope, env, loaded, node, origin)
            obj = _flow_object(loaded.cls, ctx)
            _set_current(envelope, env, run)
            try:
                _call_step(obj, node, ctx)
            finally:
                save_cards(env.artifacts, envelope.flow, envelope.run, envelope.task, node, current.card, obj,
                           attempt)
                current._clear()
            _check_next(ctx, node)
            catch = node.decorator("catch")
            if catch is not None and catch.var:
                obj.__dict__[catch.var] = None  # as Metaflow: the variable is None when nothing failed
            meta = {"attempt": attempt, "status": ATTEMPT_SUCCEEDED, **_environment_meta()}
            if node.is_foreach:
                meta.update(_foreach_meta(obj, ctx, node))
            if node.is_switch:
                meta.update(_switch_meta(envelope, ctx, node))
            index, blobs = ctx.collect_index()
        except KeyboardInterrupt as exc:
            _fail(envelope, env, captured, exc)
            raise  # the worker is being stopped: let it stop
        except BaseException as exc:  # SystemExit from a step is the step failing
            _save_failed_state(envelope, env, ctx)
            _fail(envelope, env, captured, exc)
            raise _as_task_error(exc, envelope) from exc
    try:
        return _guarded(envelope, env, lambda: _succeed(envelope, env, captured, node, index, blobs, meta))
    finally:
        # The flow object and its context point at each other: left to the cycle collector,
        # a big artifact of this task would still be in memory while the next task loads its own.
        del blobs
        obj.__dict__.clear()
        ctx.obj = None
        ctx.reads.clear()


def _save_failed_state(envelope: TaskEnvelope, env: TaskEnvironment, ctx: TaskContext | None) -> None:
    """Keep what the step had set when it failed (Metaflow persists it too): the failed
    task's `data`, and what a @catch passes on. Best effort: never hides the failure."""
    if ctx is None or ctx.obj is None:
        return
    try:
        index, blobs = ctx.collect_index(lenient=True)
        for packed in blobs.values():
            env.artifacts.put_packed(envelope.flow, packed)
        env.artifacts.put_failed_index(envelope.flow, envelope.run, envelope.step, envelope.task, envelope.attempt,
                                       index, {"attempt": envelope.attempt, "status": ATTEMPT_FAILED})
    except Exception:
        pass


def _succeed(envelope: TaskEnvelope, env: TaskEnvironment, captured: Captured, node: StepNode,
             index: dict[str, str], blobs: dict[str, Packed], meta: dict[str, Any]) -> dict[str, Any]:
    store = env.artifacts
    names = {sha: name for name, sha in index.items()}
    with SaveProgress(f"{envelope.step}/{envelope.task}", env.notice) as progress:
        for sha, packed in blobs.items():
            store.put_packed(envelope.flow, packed, progress.artifact(names.get(sha, sha[:12]), packed.size))
    result = _foreach_result(envelope, env, meta) if node.is_foreach else {}
    if node.is_switch:
        result = _switch_result(envelope, env, node, meta)
    store.put_index(envelope.flow, envelope.run, envelope.step, envelope.task, index, meta)
    _write_logs(envelope, env, captured, envelope.attempt)
    env.metadata.finish_attempt(envelope.flow, envelope.run, envelope.step, envelope.task, envelope.attempt,
                                ATTEMPT_SUCCEEDED)
    return result


def _context(envelope: TaskEnvelope, env: TaskEnvironment, loaded: LoadedFlow, node: StepNode,
             origin: dict[str, str] | None) -> TaskContext:
    return TaskContext(store=env.artifacts, plan=loaded.plan, node=node, flow=envelope.flow, run=envelope.run,
                       task=envelope.task, origin=origin)


def _flow_object(cls: type, ctx: TaskContext) -> Any:
    obj = object.__new__(cls)  # FlowSpec.__init__ would hand the command line to the CLI
    obj.__dict__[CTX_ATTR] = ctx
    ctx.obj = obj
    return obj


def _call_step(obj: Any, node: StepNode, ctx: TaskContext) -> None:
    method = getattr(obj, node.name)
    with _step_environment(node), step_deadline(node):
        if node.is_join:
            method(ctx.join_inputs())
        else:
            method()


@contextmanager
def _step_environment(node: StepNode) -> Iterator[None]:
    """@environment(vars=...) for the step's duration (the cloud sets them on the function too)."""
    spec = node.decorator("environment")
    saved = {key: os.environ.get(key) for key, _ in (spec.vars if spec is not None else ())}
    os.environ.update(dict(spec.vars) if spec is not None else {})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _check_next(ctx: TaskContext, node: StepNode) -> None:
    where = f"step '{node.name}'"
    if node.kind.value == "end":
        if ctx.next_calls:
            raise UserCodeError(f"{where}: the end step must not call self.next().")
        return
    if not ctx.next_calls:
        raise UserCodeError(f"{where} finished without calling self.next(...). End the step with self.next(self.<step>).")
    if len(ctx.next_calls) > 1:
        raise UserCodeError(f"{where} called self.next() {len(ctx.next_calls)} times; call it once, as the last line.")
    call = ctx.next_calls[0]
    if node.is_switch:
        if call.condition != node.condition or tuple(call.cases) != tuple(node.switch_cases):
            said = "{" + ", ".join(f"{k!r}: self.{t}" for k, t in call.cases) + "}" if call.cases else "..."
            want = "{" + ", ".join(f"{k!r}: self.{t}" for k, t in node.switch_cases) + "}"
            raise UserCodeError(f"{where} called self.next({said}, condition={call.condition!r}) but the compiled flow "
                                f"expects self.next({want}, condition={node.condition!r}). "
                                "Transitions must be fixed in the source; recompile after changing them.")
        return
    if (tuple(call.targets) != tuple(node.out_edges) or call.foreach != node.foreach_var
            or call.num_parallel != node.num_parallel or call.condition is not None):
        said = _next_text(call.targets, call.foreach, call.num_parallel)
        want = _next_text(node.out_edges, node.foreach_var, node.num_parallel)
        if call.condition is not None:
            said = "{...}, condition=" + repr(call.condition)
        raise UserCodeError(f"{where} called self.next({said}) but the compiled flow expects self.next({want}). "
                            "Transitions must be fixed in the source; recompile after changing them.")


def _next_text(targets: tuple[str, ...], foreach: str | None, num_parallel: int | None) -> str:
    return (", ".join(f"self.{t}" for t in targets) + (f", foreach={foreach!r}" if foreach else "")
            + (f", num_parallel={num_parallel}" if num_parallel is not None else ""))


def _switch_meta(envelope: TaskEnvelope, ctx: TaskContext, node: StepNode) -> dict[str, Any]:
    """The chosen case, and the refusal to start a loop iteration the history cannot hold."""
    assert ctx.switch_choice is not None
    key, target = ctx.switch_choice
    if target in node.loops_back_to:
        nxt = ctx.plan.positions.next_task(node, envelope.task, target)
        iteration = int(nxt.split(".")[-1])
        limit = (envelope.loop_max or {}).get(target)
        if limit is not None and iteration >= limit:
            raise UserCodeError(
                f"step '{node.name}' would start iteration {iteration + 1:,} of the loop at '{target}', but one "
                f"Step Functions execution holds at most {limit:,} of them (its {HISTORY_LIMIT:,}-event history; "
                "`sfnflow show` lists the limits). End the loop sooner, or repeat the work with a foreach.",
                step=node.name, task=envelope.task)
    return {"case": key, "branch": target}


def _switch_result(envelope: TaskEnvelope, env: TaskEnvironment, node: StepNode, meta: dict[str, Any]) -> dict[str, Any]:
    """The next state: the case for the Choice, and the task id the chosen step runs as."""
    plan = env.cache.get(env.flow_file).plan
    target = str(meta["branch"])
    nxt = plan.positions.next_task(node, envelope.task, target)
    if plan.positions.needs_pointer(node, target):
        env.artifacts.put_json(parent_pointer_key(envelope.flow, envelope.run, target, nxt),
                               {"step": node.name, "task": envelope.task})
    return {"run": envelope.run, "p": nxt, "case": meta["case"]}


def _foreach_meta(obj: Any, ctx: TaskContext, node: StepNode) -> dict[str, Any]:
    if node.num_parallel is not None:
        # @parallel: num_parallel tasks of the next step; each one's input is its node index.
        return {"foreach_n": int(node.num_parallel), "foreach_var": None, "parallel": True}
    var = node.foreach_var
    assert var is not None
    try:
        values = getattr(obj, var)
    except AttributeError as exc:
        raise UserCodeError(f"step '{node.name}': foreach over '{var}', but self.{var} is not set.") from exc
    if not (hasattr(values, "__len__") and hasattr(values, "__getitem__")) or isinstance(values, dict):
        try:
            values = list(values)  # sets, generators, mappings: fix an order the body can index
        except TypeError as exc:
            raise UserCodeError(f"step '{node.name}': foreach over '{var}', but self.{var} "
                                f"({type(values).__name__}) is not iterable.") from exc
        obj.__dict__[var] = values
    if len(values) == 0:
        raise UserCodeError(f"step '{node.name}': foreach over '{var}', but self.{var} is empty. "
                            "A foreach needs at least one item; skip the step in code, or check the input.")
    return {"foreach_n": len(values), "foreach_var": var}


def _foreach_result(envelope: TaskEnvelope, env: TaskEnvironment, meta: dict[str, Any]) -> dict[str, Any]:
    n = int(meta["foreach_n"])
    top_level = env.cache.get(env.flow_file).plan.depth(envelope.step) == 0
    items = [child_task_id(envelope.task, i, top_level) for i in range(n)]
    if n <= envelope.inline_max:
        return {"n": n, "items": items}
    # Too wide for the state (256 KiB cap): the Distributed Map reads the ids from the store.
    env.artifacts.put_json(foreach_items_key(envelope.flow, envelope.run, envelope.step, envelope.task), items)
    return {"n": n, "items": None}


def _environment_meta() -> dict[str, str]:
    """Which Python (and step environment, if any) the task ran in: the portability of its
    artifacts depends on it (runtime.serialize)."""
    meta = {"python_version": platform.python_version(), "platform": f"{sys.platform}-{platform.machine()}"}
    env = os.environ.get(ENV_ENVIRONMENT)
    if env:
        meta["environment"] = env
    return meta


# -- failures ---------------------------------------------------------------------------
def _fail(envelope: TaskEnvelope, env: TaskEnvironment, captured: Captured, exc: BaseException) -> None:
    """Record a failed attempt: traceback into stderr and the attempt record. Never raises."""
    if isinstance(exc, TaskError):
        record = dict(exc.error)
    elif isinstance(exc, KeyboardInterrupt):
        record = {"type": type(exc).__name__, "message": "interrupted"}
    else:
        record = error_record(exc)
    if record.get("traceback"):
        captured.add_stderr(record["traceback"])
    else:
        captured.add_stderr(f"{record['type']}: {record['message']}\n")
    try:
        _write_logs(envelope, env, captured, envelope.attempt)
        env.metadata.finish_attempt(envelope.flow, envelope.run, envelope.step, envelope.task, envelope.attempt,
                                    ATTEMPT_FAILED, record)
    except Exception:
        pass  # the original error matters more than a failed record of it


def _as_task_error(exc: BaseException, envelope: TaskEnvelope) -> TaskError:
    if isinstance(exc, TaskError):
        return exc
    where = user_location(exc.__traceback__)
    message = f"step '{envelope.step}' failed: {type(exc).__name__}: {exc}" + (f" (at {where})" if where else "")
    return UserCodeError(message, step=envelope.step, task=envelope.task, error=error_record(exc))


def _guarded(envelope: TaskEnvelope, env: TaskEnvironment, work: Any) -> Any:
    """Run store work; turn any failure of ours into a PlatformError."""
    try:
        return work()
    except TaskError:
        raise
    except Exception as exc:
        try:
            env.metadata.finish_attempt(envelope.flow, envelope.run, envelope.step, envelope.task, envelope.attempt,
                                        ATTEMPT_FAILED, {"type": type(exc).__name__, "message": str(exc)})
        except Exception:
            pass
        raise PlatformError(f"task {envelope.path}: "
                            f"{type(exc).__name__}: {exc}", step=envelope.step, task=envelope.task) from exc


def _platform(func: Any, *args: Any) -> Any:
    try:
        return func(*args)
    except Exception as exc:
        raise PlatformError(f"metadata store failed: {type(exc).__name__}: {exc}") from exc


def _log_files(envelope: TaskEnvelope, env: TaskEnvironment) -> SinkOpener | None:
    """Log files to write as the step prints (a store on local disk), else None."""
    paths = {stream: env.artifacts.local_log_path(envelope.flow, envelope.run, envelope.step, envelope.task,
                                                  envelope.attempt, stream) for stream in ("stdout", "stderr")}
    if None in paths.values():
        return None
    return sinks_for({k: v for k, v in paths.items() if v is not None})


def _write_logs(envelope: TaskEnvelope, env: TaskEnvironment, captured: Captured, attempt: int) -> None:
    for stream, text in (("stdout", captured.stdout), ("stderr", captured.stderr)):
        if text and not captured.streamed(stream):  # empty logs are not stored; get_log returns b"" for them
            env.artifacts.put_log(envelope.flow, envelope.run, envelope.step, envelope.task, attempt, stream,
                                  text.encode("utf-8", "replace"))


def record_crash(envelope: TaskEnvelope, env: TaskEnvironment, how: str) -> None:
    """The worker running this attempt died (`how`: "was killed by SIGSEGV"): close the attempt
    as FAILED with that, on the task that crashed, and say it at the end of its stderr (whatever
    the step printed before is already in its log files). Called in the engine process."""
    flow, run, step, task, attempt = envelope.flow, envelope.run, envelope.step, envelope.task, envelope.attempt
    message = f"the worker process running step '{step}' (task {task}, attempt {attempt}) {how}."
    attempts = {a.attempt: a for a in env.metadata.list_attempts(flow, run, step, task)}
    if attempt not in attempts:  # it died before it could record its start
        env.metadata.start_attempt(AttemptRecord(flow, run, step, task, attempt, ATTEMPT_RUNNING, time.time(),
                                                 compute=env.compute))
    elif attempts[attempt].status != ATTEMPT_RUNNING:
        return  # it recorded how it ended before it died
    note = f"\nsfnflow: {message}\n".encode()
    path = env.artifacts.local_log_path(flow, run, step, task, attempt, "stderr")
    try:
        if path is not None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "ab") as handle:
                handle.write(note)
        else:
            env.artifacts.put_log(flow, run, step, task, attempt, "stderr",
                                  env.artifacts.get_log(flow, run, step, task, attempt, "stderr") + note)
    except OSError:
        pass  # the record below matters more
    env.metadata.finish_attempt(flow, run, step, task, attempt, ATTEMPT_FAILED,
                                {"type": "WorkerCrashed", "message": message})


# -- run record, current ----------------------------------------------------------------
def _run_record(envelope: TaskEnvelope, env: TaskEnvironment, graph: Any) -> RunRecord:
    key = (envelope.flow, envelope.run)
    run = env.runs.get(key)
    if run is None:
        run = env.metadata.get_run(envelope.flow, envelope.run)
        if run is None:
            # No engine recorded the run (a deployed execution, however it was started):
            # record it now from the execution input, so the run is listed with its
            # parameters and origin, and its tasks have a parent.
            runtime = "dev" if env.compute == "local" else "step-functions"
            try:
                given = read_run_input(envelope.parameters, graph)
            except RunInputError:  # the start step fails with the reason; keep the record readable
                given = RunInput({})
            run = RunRecord(envelope.flow, envelope.run, created_at=time.time(), parameters=given.parameters,
                            tags=list(envelope.tags or given.tags) + system_tags(runtime, user=given.user),
                            trigger=given.trigger,
                            origin_run_id=given.origin_run_id, resume_steps=list(given.resume_steps))
            try:
                env.metadata.create_run(run)
                save_flow_source(env.artifacts, envelope.flow, envelope.run, env.flow_file)  # Run.code, later
            except RunExistsError:  # another task of the run recorded it first
                run = env.metadata.get_run(envelope.flow, envelope.run) or run
        env.runs[key] = run
    return run


def _set_current(envelope: TaskEnvelope, env: TaskEnvironment, run: RunRecord) -> None:
    plan = env.cache.get(env.flow_file).plan
    current._set(
        flow_name=envelope.flow, run_id=envelope.run, step_name=envelope.step, task_id=envelope.task,
        retry_count=envelope.attempt, origin_run_id=run.origin_run_id,
        tags=frozenset(t for t in (envelope.tags or run.tags) if not is_system_tag(t)), username=run_user(run),
        parameter_names=[p.name for p in plan.graph.parameters], _graph=plan.graph_info,
        parallel=_parallel_info(plan, envelope, env),
        is_running_locally=env.compute == "local", is_running_on_lambda=env.compute == "lambda",
        is_running_on_batch=env.compute == "batch",
    )


# -- resume and catch -------------------------------------------------------------------
def _reuse(envelope: TaskEnvelope, env: TaskEnvironment, node: StepNode, run: RunRecord) -> dict[str, Any] | None:
    """Copy the origin run's task by reference; None if it has nothing to reuse."""
    assert run.origin_run_id is not None
    origin = env.artifacts.get_index(envelope.flow, run.origin_run_id, envelope.step, envelope.task)
    if origin is None or (node.is_switch and "branch" not in origin.meta):
        return None  # it never succeeded in the origin run: run it for real
    lost = sorted(name for name, sha in origin.artifacts.items() if not env.artifacts.looks_whole(envelope.flow, sha))
    if lost:
        # Its blobs were deleted or damaged since: rerunning the task stores them afresh.
        env.notice(f"{envelope.step}/{envelope.task}: not reusing {run.origin_run_id}'s task, its artifact(s) "
                   f"{', '.join(lost)} are missing or damaged in the store; running it again.")
        return None
    now = time.time()
    meta = dict(origin.meta, status=ATTEMPT_REUSED, attempt=envelope.attempt,
                origin=str(envelope.path._replace(run=run.origin_run_id)))
    env.metadata.start_attempt(AttemptRecord(envelope.flow, envelope.run, envelope.step, envelope.task,
                                             envelope.attempt, ATTEMPT_RUNNING, now, compute=env.compute))
    result = _foreach_result(envelope, env, meta) if node.is_foreach else {}
    if node.is_switch:
        result = _switch_result(envelope, env, node, meta)
    env.artifacts.put_index(envelope.flow, envelope.run, envelope.step, envelope.task, origin.artifacts, meta)
    env.metadata.finish_attempt(envelope.flow, envelope.run, envelope.step, envelope.task, envelope.attempt,
                                ATTEMPT_REUSED)
    return result


def _catch(envelope: TaskEnvelope, env: TaskEnvironment, loaded: LoadedFlow, node: StepNode,
           run: RunRecord) -> dict[str, Any]:
    """The step failed for good and Step Functions caught it. As Metaflow does, the task
    passes on what the failed attempt had set (its parent's artifacts if it saved
    nothing), plus the @catch variable holding what went wrong, and its last attempt
    reads CAUGHT (no extra attempt is counted).

    A caught foreach step passes through like a linear one and returns {} (no fan-out).
    """
    last, caught = _caught(envelope, env)
    attempt = last.attempt if last is not None else 0
    started = last.started_at if last is not None else time.time()
    env.metadata.start_attempt(AttemptRecord(envelope.flow, envelope.run, envelope.step, envelope.task, attempt,
                                             ATTEMPT_RUNNING, started, compute=env.compute))
    failed = env.artifacts.get_failed_index(envelope.flow, envelope.run, envelope.step, envelope.task, attempt)
    if failed is not None:
        index = dict(failed.artifacts)
    else:
        origin = _start_parameters(envelope, env, loaded, run) if node.name == "start" else None
        index = inherited_for_catch(_context(envelope, env, loaded, node, origin))
    spec = node.decorator("catch")
    if spec is not None and spec.var:
        index.update(env.artifacts.save(envelope.flow, {spec.var: caught}))
    if spec is None or spec.print_exception:
        short = caught.type.rsplit(".", 1)[-1]
        note = f"step '{node.name}' failed and was caught: {short}: {caught.exception}\n"
        if caught.stacktrace and caught.stacktrace not in note:
            note += caught.stacktrace
        logged = env.artifacts.get_log(envelope.flow, envelope.run, envelope.step, envelope.task, attempt, "stderr")
        env.artifacts.put_log(envelope.flow, envelope.run, envelope.step, envelope.task, attempt, "stderr",
                              logged + note.encode("utf-8", "replace"))
    env.artifacts.put_index(envelope.flow, envelope.run, envelope.step, envelope.task, index,
                            {"attempt": attempt, "status": ATTEMPT_CAUGHT, "caught": caught.exception})
    env.metadata.finish_attempt(envelope.flow, envelope.run, envelope.step, envelope.task, attempt, ATTEMPT_CAUGHT,
                                {"type": caught.type.rsplit(".", 1)[-1], "qualified_type": caught.type,
                                 "message": caught.exception, "traceback": caught.stacktrace or ""})
    return {}


def _caught(envelope: TaskEnvelope, env: TaskEnvironment) -> tuple[AttemptRecord | None, MetaflowExceptionWrapper]:
    """(the task's last attempt, what went wrong).

    An attempt left RUNNING (stopped by the state machine's timeout, a crashed container)
    is closed as FAILED with Step Functions' error first.
    """
    attempts = env.metadata.list_attempts(envelope.flow, envelope.run, envelope.step, envelope.task)
    last = attempts[-1] if attempts else None
    failure = last.error if last is not None and last.status == ATTEMPT_FAILED else None
    caught = caught_from_envelope(envelope.error, failure)
    if last is not None and last.status == ATTEMPT_RUNNING:
        env.metadata.finish_attempt(envelope.flow, envelope.run, envelope.step, envelope.task, last.attempt,
                                    ATTEMPT_FAILED, {"type": caught.type, "message": caught.exception})
    return last, caught


def _start_parameters(envelope: TaskEnvelope, env: TaskEnvironment, loaded: LoadedFlow,
                      run: RunRecord) -> dict[str, str]:
    # The envelope carries the execution input; the run record is the fallback (a catch
    # envelope has none: its state input also holds the caught error).
    raw = envelope.parameters if envelope.parameters is not None else run.parameters
    try:
        given = read_run_input(raw, loaded.plan.graph).parameters
    except RunInputError as exc:
        raise UserCodeError(f"run {envelope.flow}/{envelope.run} cannot start: {exc}", step="start") from exc
    local = env.compute == "local"
    return start_parameters(given, loaded.cls, loaded.plan, env.artifacts, envelope.flow, user=run_user(run),
                            ds_type="local" if local else "s3", ds_root=_store_root(env), flow_file=env.flow_file)


class ParallelInfo(NamedTuple):
    """current.parallel, as Metaflow has it, in a step run by `num_parallel=N`."""

    main_ip: str | None
    num_nodes: int
    node_index: int
    control_task_id: str


def _parallel_info(plan: FlowPlan, envelope: TaskEnvelope, env: TaskEnvironment) -> ParallelInfo | None:
    node = plan.graph[envelope.step]
    if not node.frames or node.frames[-1].kind != "foreach":
        return None
    fanout = plan.graph[node.frames[-1].step]
    if fanout.num_parallel is None:
        return None
    parts = envelope.task.split(".")
    control = ".".join(parts[:-1] + ["0"])
    # Local tasks share this machine; Lambda tasks cannot reach each other (no address to give).
    main_ip = "127.0.0.1" if env.compute == "local" else None
    return ParallelInfo(main_ip, int(fanout.num_parallel), int(parts[-1]), control)


def run_user(run: RunRecord) -> str | None:
    """Who started the run: its `user:` tag (the launcher's user), else this process's user."""
    from sfn_compiler.identity import username

    tag = next((t for t in run.tags if t.startswith("user:")), None)
    return tag[len("user:"):] if tag else username()


def _store_root(env: TaskEnvironment) -> str | None:
    blobs = getattr(env.artifacts, "blobs", None)
    return str(getattr(blobs, "root", None) or getattr(blobs, "bucket", None) or "") or None
