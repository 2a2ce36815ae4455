"""Trivial task executors the engine tests' workers import (no sfnflow runtime involved).

An executor gets the task envelope payload ({"flow", "step", "run", "task", "attempt", ...})
and returns the task result of sfn_compiler.contract.envelope's contract.
"""
from __future__ import annotations

import json
import os
import time
from typing import Any


class UserCodeError(Exception):
    """Same class name as runtime.errors.UserCodeError: Retry/Catch match on the name."""


def echo(payload: dict[str, Any]) -> dict[str, Any]:
    """The fastest possible task: return nothing, like most steps."""
    return {}


def behave(payload: dict[str, Any]) -> dict[str, Any]:
    """Act on the step name: 'fail_once', 'fail', 'sleep', 'split<N>', 'bigsplit<N>', else echo."""
    step, attempt = payload["step"], int(payload.get("attempt", 0))
    if step.startswith("fail_once") and attempt == 0:
        raise UserCodeError(f"first attempt of {step} fails")
    if step.startswith("fail"):
        if step.startswith("fail_once"):
            return {"attempt": attempt}
        raise UserCodeError(f"{step} failed on purpose")
    if step.startswith("crash"):
        os._exit(3)
    if step.startswith("sleep"):
        time.sleep(30)
        return {}
    if step.startswith("split"):
        n = int(step[len("split"):])
        return {"n": n, "items": [str(i) for i in range(n)]}
    if step.startswith("bigsplit"):
        # A wide foreach: the items go to the artifact store, not the state.
        n = int(step[len("bigsplit"):])
        root = os.environ["SFNFLOW_TEST_ARTIFACTS"]
        key = f"{payload['flow']}/{payload['run']}/{payload['step']}/{payload['task']}/foreach.json"
        os.makedirs(os.path.dirname(os.path.join(root, key)), exist_ok=True)
        with open(os.path.join(root, key), "w") as f:
            json.dump([str(i) for i in range(n)], f)
        return {"n": n, "items": None}
    if step == "pid":
        return {"pid": os.getpid(), "task": payload["task"]}
    return {"step": step, "task": payload["task"]}
