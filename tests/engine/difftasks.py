"""The task runtime the differential tests' workers play: it speaks the envelope contract
(sfn_compiler.contract.envelope) and does what the run's case file says.

A case file `<SFNFLOW_TEST_ARTIFACTS>/cases/<run id>.json` (written by the test before the
run) holds:
    steps:       {step: {"foreach": bool, "top": bool, "batch": bool}}
    fanout:      items per foreach task
    distributed: write the items to the store (the Distributed Map reads them)
    fail:        {step: {"attempts": k, "tasks": [task ids] | null}}: attempts below k raise
    sleep:       {step: seconds}
Nothing else is recorded here: the engines trace what they ran.
"""
from __future__ import annotations

import json
import os
import time
from typing import Any

from sfn_compiler.contract import envelope

_cases: dict[str, dict[str, Any]] = {}


class UserCodeError(Exception):
    """Same class name as runtime.errors.UserCodeError: Retry / Catch match on the name."""


def _case(run: str) -> dict[str, Any]:
    case = _cases.get(run)
    if case is None:
        with open(os.path.join(os.environ["SFNFLOW_TEST_ARTIFACTS"], "cases", f"{run}.json")) as f:
            case = _cases[run] = json.load(f)
    return case


def play(payload: dict[str, Any]) -> Any:
    env = envelope.TaskEnvelope.from_payload(payload)
    case = _case(env.run)
    seconds = case.get("sleep", {}).get(env.step)
    if seconds and env.mode == envelope.MODE_STEP:
        time.sleep(seconds)
    failing = case.get("fail", {}).get(env.step)
    if failing is not None and env.mode == envelope.MODE_STEP and env.attempt < failing["attempts"] and (
            failing.get("tasks") is None or env.task in failing["tasks"]):
        raise UserCodeError(f"{env.step}/{env.task} failed on purpose (attempt {env.attempt})")
    step = case["steps"][env.step]
    if not step["foreach"] or env.mode != envelope.MODE_STEP:
        return {}
    n = int(case.get("fanout", 3))
    items = [envelope.child_task_id(env.task, i, step["top"]) for i in range(n)]
    if not (case.get("distributed") or step["batch"]) and n <= env.inline_max:
        return {"n": n, "items": items}
    key = envelope.foreach_items_key(env.flow, env.run, env.step, env.task)
    path = os.path.join(os.environ["SFNFLOW_TEST_ARTIFACTS"], key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(items, f)
    # Claim one more than inline_max so the Choice takes the distributed path with few items.
    return {"n": max(n, env.inline_max + 1), "items": None}
