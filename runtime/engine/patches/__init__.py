"""Every change sfnflow makes to moto 5.2.5's internals, declared in one registry.

moto runs ASL (LocalStack's interpreter, ported) but is slow for wide fan-outs, cannot
run Lambda or Batch code without Docker, and differs from AWS in a few places. Each
module here is one concern; each patch sits beside the code that replaces its target
and is registered in `REGISTRY` (registry.py):

    routing.py    Task states on the engine's routing ARNs -> its warm workers
    history.py    a lean execution-history recorder that measures state sizes
    frames.py     the end of a running task's frame reaches the router (kill its worker)
    speed.py      hot spots (JSONPath parses, deep copies, Map input), retry sleeps, start-up
    semantics.py  AWS behaviour moto lacks (botocore shapes, States.* in Fail, Map Run failures)
    trace.py      (on request) the states each branch entered, for the differential tests

The emulation (sfnflow/emulate/) registers two more groups in the same registry: moto's
own Lambda and Batch services running real code, and CloudFormation.

    with REGISTRY.install(owner, PatchHooks(router=...), ENGINE_GROUPS):
        ...   # patched; afterwards moto is exactly as before

This package imports moto only when a patch is checked or installed. Nothing that
ships to Lambda or Batch imports it.
"""
from __future__ import annotations

from . import frames, history, routing, semantics, speed, trace
from .frames import FRAMES, FrameWatch
from .history import HISTORY, HistoryStats
from .hooks import PatchHooks
from .registry import PINNED_MOTO_VERSION, REGISTRY, Installation, MotoPatchError, Patch, PatchRegistry
from .routing import ROUTING, TaskCancelled, TaskFailed, TaskRouter
from .semantics import SEMANTICS, exceeds_tolerated_failures
from .speed import SPEED, json_copy
from .trace import TRACE

# What the embedded engine installs, in this order (semantics before routing: routing
# wraps the service normalisation that semantics puts on the base class).
ENGINE_GROUPS = (SPEED, SEMANTICS, HISTORY, FRAMES, ROUTING)

__all__ = ["ENGINE_GROUPS", "FRAMES", "FrameWatch", "HISTORY", "HistoryStats", "Installation", "MotoPatchError",
           "PINNED_MOTO_VERSION", "Patch", "PatchHooks", "PatchRegistry", "REGISTRY", "ROUTING", "SEMANTICS",
           "SPEED", "TRACE", "TaskCancelled", "TaskFailed", "TaskRouter", "exceeds_tolerated_failures", "json_copy"]
