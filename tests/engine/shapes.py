"""Hand-written ASL following sfn_compiler.contract.envelope's contract (what compile_flow emits).

State payload {"run", "p"} (+ "fe" after a foreach); Lambda tasks get envelope_template's
Payload; foreach steps return {"n", "items"} picked by ResultSelector. Step names drive
tests/engine/tasks.py:behave (e.g. "split5", "fail_once", "sleep").
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sfn_compiler.contract import envelope
from sfn_compiler.asl import arns
from sfn_compiler.asl import states as S

FLOW = "EngineFlow"
FN = "${Function_default}"
FE_SELECTOR = {"n.$": "$.Payload.n", "items.$": "$.Payload.items"}


def task(step: str, nxt: str | None, *, start: bool = False, foreach: bool = False,
         inline_max: int = 0, **extra: Any) -> dict[str, Any]:
    payload = envelope.envelope_template(FLOW, step, is_start=start, inline_max=inline_max)
    state = S.lambda_task(FN, payload)
    if start:
        selector: dict[str, Any] = {"run.$": "$$.Execution.Name", "p": "0"}
        if foreach:
            selector["fe"] = dict(FE_SELECTOR)
        state["ResultSelector"], state["ResultPath"] = selector, "$"
    elif foreach:
        state["ResultSelector"], state["ResultPath"] = dict(FE_SELECTOR), "$.fe"
    else:
        state["ResultPath"] = None
    state.update(extra)
    return S.transition(state, nxt)


def batch_task(step: str, nxt: str | None) -> dict[str, Any]:
    command = envelope.batch_command_template(FLOW, step)
    state = S.batch_task(step, "${JobQueue_cpu}", "${JobDefinition_cpu1_mem4096}", command)
    state["ResultPath"] = None
    return S.transition(state, nxt)


def linear(n: int) -> dict[str, Any]:
    names = ["start"] + [f"s{i}" for i in range(1, n - 1)] + ["end"]
    states = {name: task(name, names[i + 1] if i + 1 < n else None, start=(i == 0))
              for i, name in enumerate(names)}
    return {"StartAt": "start", "States": states}


def foreach(split_step: str, body: dict[str, Any], *, inline_max: int = 100, body_start: str = "body",
            after: dict[str, Any] | None = None) -> dict[str, Any]:
    """start(split) -> Choice -> inline Map | Distributed Map (items from S3) -> join -> end."""
    inline = S.transition(S.inline_map("$.fe.items", body_start, body), "join")
    key = envelope.foreach_items_key_asl(FLOW, split_step)
    dist = S.transition(S.distributed_map("${ArtifactBucket}", key, f"{FLOW}/results", body_start, body), "join")
    states = {
        split_step: task(split_step, "fanout", start=True, foreach=True, inline_max=inline_max),
        "fanout": S.fanout_choice(inline_max, "inline", "distributed"),
        "inline": inline,
        "distributed": dist,
        "join": task("join", "end"),
        "end": task("end", None),
    }
    states.update(after or {})
    return {"StartAt": split_step, "States": states}


def body_one(step: str = "body", **extra: Any) -> dict[str, Any]:
    return {step: task(step, None, **extra)}


# The deployment model's part the engine reads to fill these shapes' placeholders.
MODEL = SimpleNamespace(
    functions=(SimpleNamespace(key="default"),),
    job_definitions=(SimpleNamespace(key="cpu1_mem4096", queue="cpu"),),
    placeholders=(arns.function_placeholder("default"), arns.job_queue_placeholder("cpu"),
                  arns.job_definition_placeholder("cpu1_mem4096"), arns.artifact_bucket_placeholder()))
