"""emit_asl: FlowGraph + compute plan -> an Amazon States Language definition (a dict).

Pure and deterministic: the same graph gives the same dict, and `asl_json` gives the
same bytes. State names are step names; helper states are few and readable:

    <step>.split                  Parallel, one branch per static-split target
    <step>.fanout                 Choice: inline Map if the items travelled in the state
    <step>.map                    inline Map over $.fe.items
    <step>.map.distributed        Distributed Map reading the items from S3
    <step>.catch, <step>.catch.done   @catch: record the failure, rebuild the clean state
    <step>.switch                 Choice on the case a switch step returned (its `condition=` value)
    <step>.done                   Succeed: a switch case that goes straight to the end of its branch
    <step>.loop                   Pass: the first iteration's task id, entering a loop inside a
                                  foreach or another loop (`3` -> `3.0`)

A loop (a switch case going back) is just a Choice rule pointing at an earlier state of
the same block; the switch's task returns the next task id, so the iteration counter
never needs arithmetic in the ASL.

Step Functions wants state names unique across the whole definition, and the inline and
distributed Maps carry the same body, so the distributed copy's states are suffixed with
`@<foreach step>` (nested copies stack the suffixes).
"""
from __future__ import annotations

import json
import os
from typing import Any

from ..contract import envelope
from ..compute import timeout_backstop
from ..deploy_model import COMPUTE_LAMBDA, ComputeTarget
from ..graph.model import FlowGraph, FrameKind, StepKind, StepNode
from . import arns
from . import states as S
from .status import add_child_failure_record, add_run_status
from .task_output import TASK_INFO_PATH, task_info_selector

FE_SELECTOR = {"n.$": "$.Payload.n", "items.$": "$.Payload.items"}
START_SELECTOR = {"run.$": "$$.Execution.Name", "p": "0"}
# A switch step's task returns the whole next state: the run, the next step's task id
# (a loop's next iteration, or the id outside the loop) and the case it chose.
SWITCH_SELECTOR = {"run.$": "$.Payload.run", "p.$": "$.Payload.p", "case.$": "$.Payload.case"}


def asl_json(asl: dict[str, Any]) -> str:
    """The canonical text of a definition: what is deployed, hashed and compared."""
    return json.dumps(asl, indent=2, sort_keys=True)


def emit_asl(graph: FlowGraph, compute: dict[str, ComputeTarget], inline_max: dict[str, int],
             loop_max: dict[str, int] | None = None,
             max_concurrency: int = S.DISTRIBUTED_MAX_CONCURRENCY,
             distributed_loops: dict[str, dict[str, int]] | None = None) -> dict[str, Any]:
    """The state machine definition of a (validated) flow graph.

    The flow's own states, wrapped at the top level by the run-status writes of
    asl/status.py (SUCCEEDED after the last step; FAILED, then a re-raise, on any
    uncaught error).
    """
    emitter = _Emitter(graph, compute, inline_max, loop_max or {}, max_concurrency, distributed_loops or {})
    return {
        "Comment": f"{graph.name}: compiled by sfnflow from {os.path.basename(graph.source_file)}",
        "StartAt": "start",
        "States": add_run_status(emitter.chain("start", None, "")[1], graph.name),
    }


MAP_RESULTS_PREFIX = "_map_results/"


def results_prefix(flow: str, step: str) -> str:
    """Where a Distributed Map's ResultWriter puts its manifest (discarded by sfnflow).

    Static on purpose: each Map Run writes under its own `<prefix>/<map run id>/`. One
    top-level prefix for every flow, so a single lifecycle rule of the datastore bucket
    expires them all (cdk/datastore_stack.py), and no task role can write there.
    """
    return f"{MAP_RESULTS_PREFIX}{flow}/{step}"


class _Emitter:
    def __init__(self, graph: FlowGraph, compute: dict[str, ComputeTarget], inline_max: dict[str, int],
                 loop_max: dict[str, int], max_concurrency: int = S.DISTRIBUTED_MAX_CONCURRENCY,
                 distributed_loops: dict[str, dict[str, int]] | None = None) -> None:
        self.graph = graph
        self.compute = compute
        self.inline_max = inline_max
        self.loop_max = dict(loop_max)
        # foreach -> {loop head: most iterations} inside its Distributed Map's children (own histories)
        self.distributed_loops = distributed_loops or {}
        self.max_concurrency = max_concurrency
        # loop head -> the steps of its body (a loop frame names its head)
        self.loop_body: dict[str, set[str]] = {}
        for node in graph:
            for frame in node.frames:
                if frame.kind == FrameKind.LOOP:
                    self.loop_body.setdefault(frame.step, set()).add(node.name)

    # -- chains -----------------------------------------------------------------------
    def chain(self, first: str, stop: str | None, suffix: str) -> tuple[str, dict[str, S.State]]:
        """(StartAt, states) of one block: the steps from `first` up to (not including) `stop`.

        A block is a States map: the top level, a Parallel branch or a Map iteration.
        Every step of it is emitted once; a switch's cases continue the same block.
        """
        out: dict[str, S.State] = {}
        start = self._goto(None, first, stop, suffix, out)
        todo: list[str] = [first]
        seen: set[str] = set()
        while todo:
            current = todo.pop(0)
            if current == stop or current in seen:
                continue
            seen.add(current)
            todo.extend(self._step(self.graph[current], stop, suffix, out))
        assert start is not None, f"block starting at {first!r} is empty"
        return start, out

    def _step(self, node: StepNode, stop: str | None, suffix: str, out: dict[str, S.State]) -> list[str]:
        """Emit one step (and its split/foreach/switch machinery); return the steps to continue at."""
        name = node.name + suffix
        after, resume = self._successor(node, stop, suffix, out)
        out[name] = S.transition(self._task(node, envelope.MODE_STEP), after)
        self._decorate(node, out[name])
        if node.decorator("catch") is not None:
            out[name]["Catch"] = [S.catcher(f"{name}.catch")]
            self._catch_states(node, name, after, out)
        if node.is_switch:
            self._switch(node, name, stop, suffix, out)
        elif node.is_split and not node.is_foreach:
            join = self._join_of(node)
            branches = [self.chain(t, join, suffix) for t in node.out_edges]
            out[f"{name}.split"] = S.transition(S.parallel(branches), self._goto(node, join, stop, suffix, out))
        elif node.is_foreach:
            self._foreach(node, name, stop, suffix, out)
        return resume

    def _successor(self, node: StepNode, stop: str | None, suffix: str,
                   out: dict[str, S.State]) -> tuple[str | None, list[str]]:
        """(state after this step's task, steps the block continues at)."""
        name = node.name + suffix
        if node.kind == StepKind.END or not node.out_edges:
            return None, []
        if node.is_switch:
            return name + ".switch", list(node.out_edges)
        if node.is_foreach:
            helper = ".fanout" if self._is_lambda(node) else ".map.distributed"
            return name + helper, [self._join_of(node)]
        if node.is_split:
            return name + ".split", [self._join_of(node)]
        target = node.out_edges[0]
        return self._goto(node, target, stop, suffix, out), [target]

    def _goto(self, source: StepNode | None, target: str, stop: str | None, suffix: str,
              out: dict[str, S.State]) -> str | None:
        """The state that a plain transition from `source` (None: the block's start) to `target` enters."""
        # Reaching the enclosing join ends the branch / iteration.
        if target == stop:
            return None
        node = self.graph[target]
        body = self.loop_body.get(target)
        entering = body is not None and (source is None or source.name not in body)
        if entering and len(node.frames) > 1:
            # First iteration of a loop nested in a foreach or loop: append its iteration part.
            out[f"{target}.loop{suffix}"] = S.transition(S.loop_entry_pass(), target + suffix)
            return f"{target}.loop{suffix}"
        return target + suffix

    def _switch(self, node: StepNode, name: str, stop: str | None, suffix: str, out: dict[str, S.State]) -> None:
        rules = []
        for value, target in node.switch_cases:
            # The switch's task set the next task id itself: go straight to the case's step.
            goto = None if target == stop else target + suffix
            if goto is None:
                goto = f"{name}.done"
                out[goto] = {"Type": "Succeed"}
            rules.append((value, goto))
        out[f"{name}.switch"] = S.switch_choice("$.case", rules)

    def _join_of(self, node: StepNode) -> str:
        if node.matching_join is None:
            raise AssertionError(f"step {node.name!r} opens a split without a join; validate the graph first")
        return node.matching_join

    # -- foreach ----------------------------------------------------------------------
    def _foreach(self, node: StepNode, name: str, stop: str | None, suffix: str, out: dict[str, S.State]) -> None:
        body, join = node.out_edges[0], self._join_of(node)
        after_join = self._goto(node, join, stop, suffix, out)
        inner_suffix = f"{suffix}@{node.name}"
        # The child records its own failure on the run (asl/status.py), so the run shows
        # the step's error rather than the Map's States.ExceedToleratedFailureThreshold.
        # Each child execution has a history of its own: loops in it may go further.
        outer_limits = self.loop_max
        self.loop_max = {**outer_limits, **self.distributed_loops.get(node.name, {})}
        child_start, child_states = self.chain(body, join, inner_suffix)
        self.loop_max = outer_limits
        child = add_child_failure_record(child_states, self.graph.name, inner_suffix)
        distributed = S.distributed_map(
            arns.artifact_bucket_placeholder().token,
            envelope.foreach_items_key_asl(self.graph.name, node.name),
            results_prefix(self.graph.name, node.name),
            child_start,
            child,
            label=node.name + suffix,
            max_concurrency=self.max_concurrency,
        )
        if self._is_lambda(node):
            # A Lambda foreach step returns its items when they fit (n <= inline_max).
            limit = self.inline_max.get(node.name, 0)
            out[f"{name}.fanout"] = S.fanout_choice(limit, f"{name}.map", f"{name}.map.distributed")
            inline = S.inline_map("$.fe.items", *self.chain(body, join, suffix))
            out[f"{name}.map"] = S.transition(inline, after_join)
        # A Batch foreach step can't return data (.sync returns the job): always distributed.
        out[f"{name}.map.distributed"] = S.transition(distributed, after_join)

    # -- tasks ------------------------------------------------------------------------
    def _is_lambda(self, node: StepNode) -> bool:
        return self.compute[node.name].kind == COMPUTE_LAMBDA

    def _task(self, node: StepNode, mode: str) -> S.State:
        target = self.compute[node.name]
        is_start = node.kind == StepKind.START
        flow, step = self.graph.name, node.name
        if target.kind == COMPUTE_LAMBDA:
            limit = self.inline_max.get(step, 0) if node.is_foreach else 0
            loops = {h: self.loop_max[h] for h in node.loops_back_to if h in self.loop_max} if mode == envelope.MODE_STEP else {}
            payload = envelope.envelope_template(flow, step, is_start=is_start, mode=mode, inline_max=limit,
                                                 loop_max=loops or None)
            state = S.lambda_task(arns.function_placeholder(target.key).token, payload)
            fe = node.is_foreach
        else:
            # A user's @batch(image=...) has sfnflow installed; the default stock image
            # gets the bootstrap that fetches it (batch_bootstrap.py).
            bat = node.decorator("batch")
            command = envelope.batch_command_template(flow, step, is_start=is_start, mode=mode,
                                                      sfnflow_in_image=bool(bat is not None and bat.image))
            timeout = node.decorator("timeout")
            state = S.batch_task(
                step,
                arns.job_queue_placeholder(target.queue).token,
                arns.job_definition_placeholder(target.key).token,
                command,
                S.batch_attempt_seconds(timeout.seconds if timeout is not None else None),
            )
            fe = False  # the runtime wrote the items file; .sync can't carry them back
        if node.is_switch and mode == envelope.MODE_STEP:
            state["ResultSelector"], state["ResultPath"] = dict(SWITCH_SELECTOR), "$"
        elif is_start:
            # The start step replaces the execution input ({"parameters": ...}) with the
            # state payload; the run id is the execution name.
            selector: dict[str, Any] = dict(START_SELECTOR)
            if fe:
                selector["fe"] = dict(FE_SELECTOR)
            elif target.kind == COMPUTE_LAMBDA and mode == envelope.MODE_STEP:
                selector["task"] = task_info_selector()
            state["ResultSelector"], state["ResultPath"] = selector, "$"
        elif fe:
            state["ResultSelector"], state["ResultPath"] = dict(FE_SELECTOR), "$.fe"
        elif target.kind == COMPUTE_LAMBDA and mode == envelope.MODE_STEP:
            # The console's view of the task: its pathspec and where its data is (task_output.py).
            state["ResultSelector"], state["ResultPath"] = task_info_selector(), TASK_INFO_PATH
        else:
            state["ResultPath"] = None
        return state

    def _decorate(self, node: StepNode, state: S.State) -> None:
        """@retry after the transient-error retrier; @timeout as TimeoutSeconds."""
        retry = node.decorator("retry")
        if retry is not None and retry.times > 0:
            state["Retry"].append(S.user_retry(retry.times, retry.minutes_between_retries))
        timeout = node.decorator("timeout")
        if timeout is not None and timeout.seconds > 0:
            state["TimeoutSeconds"] = timeout_backstop(timeout.seconds)

    def _catch_states(self, node: StepNode, name: str, after: str | None, out: dict[str, S.State]) -> None:
        """`<step>.catch` runs the step's compute in MODE_CATCH; then the state is clean.

        JSONPath can't delete a key, so `error` is dropped by rebuilding the payload:
        the start step's task does it in its ResultSelector (it rebuilds the state
        anyway); other steps need a Pass (`<step>.catch.done`).
        """
        task = self._task(node, envelope.MODE_CATCH)
        if node.kind == StepKind.START:
            out[f"{name}.catch"] = S.transition(task, after)
            return
        out[f"{name}.catch"] = S.transition(task, f"{name}.catch.done")
        keep_fe = node.is_foreach and self._is_lambda(node)
        out[f"{name}.catch.done"] = S.transition(S.clean_state_pass(keep_fe), after)
