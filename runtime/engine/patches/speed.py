"""Speed: the interpreter's hot spots, and moto's start-up, made cheaper without changing results.

* Retry interval sleeps are skipped when `hooks.fast_retries` (local runs retry at once,
  as Metaflow's local runtime does; tests).
* Each JSONPath is parsed once: jsonpath_ng.ext builds a fresh PLY parser on every
  parse() (~1 ms, six paths per Map iteration in a typical body); parsed paths are
  immutable.
* State values are deep-copied with `json_copy` (~10x faster than copy.deepcopy).
* Map iterations read the Map's input without copying it (moto copies it into every
  iteration: O(items^2) per Map).
* `moto.batch` is imported only when something really needs it (0.7 s of start-up).
"""
from __future__ import annotations

import copy as _copy_module
import functools
import importlib.util
import sys
import time as _time
import types
from typing import Any, Callable

from .registry import REGISTRY

__all__ = ["SPEED", "json_copy"]

SPEED = "speed"
_SFN = "moto.stepfunctions.parser.asl"


# -- Retry sleeps ---------------------------------------------------------------------------------
@REGISTRY.replaces(f"{_SFN}.component.common.retry.retrier_decl", "time", group=SPEED)
def _retry_clock(original: Any, hooks: Any) -> Any:
    def sleep(seconds: float) -> None:
        if not hooks.fast_retries:
            _time.sleep(seconds)

    return types.SimpleNamespace(sleep=sleep, time=_time.time, monotonic=_time.monotonic)


# -- JSONPath parses ------------------------------------------------------------------------------
def _cached_parse(original: Callable[[str], Any], hooks: Any) -> Callable[[str], Any]:
    return functools.lru_cache(maxsize=4096)(original)


REGISTRY.replaces(f"{_SFN}.utils.json_path", "parse", group=SPEED)(_cached_parse)
REGISTRY.replaces(f"{_SFN}.component.common.path.result_path", "parse", group=SPEED)(_cached_parse)


# -- deep copies of JSON values -------------------------------------------------------------------
def json_copy(value: Any) -> Any:
    """A deep copy for JSON values, ~10x faster than copy.deepcopy (no memo, no reduce protocol)."""
    kind = type(value)
    if kind is dict:
        return {k: json_copy(v) for k, v in value.items()}
    if kind is list:
        return [json_copy(v) for v in value]
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind in _SHALLOW_SAFE:  # objects holding only immutable attributes
        return _copy_module.copy(value)
    return _copy_module.deepcopy(value)


_SHALLOW_SAFE: set[type] = set()
_JSON_COPY = types.SimpleNamespace(deepcopy=json_copy, copy=_copy_module.copy)


def _json_copies(original: Any, hooks: Any) -> Any:
    """The interpreter deep-copies every state value on each read and write: use json_copy."""
    from moto.stepfunctions.parser.asl.eval import program_state

    _SHALLOW_SAFE.update({program_state.ProgramRunning, program_state.ProgramEnded,
                          program_state.ProgramStopped, program_state.ProgramTimedOut})
    return _JSON_COPY


for _module in ("eval.states", "component.state.exec.execute_state", "component.state.exec.state_map.state_map",
                "component.common.string.string_expression", "eval.environment"):
    REGISTRY.replaces(f"{_SFN}.{_module}", "copy", group=SPEED)(_json_copies)
REGISTRY.relies_on(SPEED, f"{_SFN}.eval.program_state", "ProgramRunning", "ProgramStopped")
REGISTRY.relies_on(SPEED, f"{_SFN}.eval.states", "States._states_data")


# -- Map item input -------------------------------------------------------------------------------
@REGISTRY.replaces(f"{_SFN}.component.state.exec.state_map.iteration.itemprocessor.inline_item_processor_worker",
                   "InlineItemProcessorWorker._eval_input", group=SPEED)
def _shared_map_input(original: Any, hooks: Any) -> Callable[..., None]:
    """Map iterations read the Map's input (ItemSelector / Parameters) without copying it.

    moto deep-copies the whole Map input into every iteration just to evaluate the
    selector, which is O(items) per iteration, O(items^2) per Map. The selector only
    reads that input (extractions are copied on read), so a shared reference is safe.
    """

    def _eval_input(self: Any, env_frame: Any) -> None:
        if not self._parameters and not self._item_selector:
            return
        map_state_input = self._env.stack[-1]
        data = env_frame.states._states_data
        data["input"], data["result"], data["errorOutput"] = map_state_input, None, None
        depth = len(env_frame.stack)
        env_frame.stack.append(map_state_input)
        if self._item_selector:
            self._item_selector.eval(env_frame)
        elif self._parameters:
            self._parameters.eval(env_frame)
        env_frame.states.reset(input_value=env_frame.stack[-1])
        # moto leaves the Map input on the iteration's stack, and every Task in the
        # iteration deep-copies its stack (TimeoutSeconds frame): drop it, as the
        # no-selector path does.
        del env_frame.stack[depth:]

    return _eval_input


REGISTRY.relies_on(SPEED, f"{_SFN}.component.state.exec.state_map.iteration.iteration_worker", "IterationWorker._env")


# -- start-up: moto.batch on demand ---------------------------------------------------------------
@REGISTRY.before_check
def _defer_moto_batch_package() -> None:
    """Let the interpreter import `moto.batch.utils` without running `moto/batch/__init__.py`.

    The interpreter's Batch task service needs only an enum from moto.batch.utils, but
    importing it runs the package's __init__, which imports moto.batch.models and with it
    all of moto.ec2: about 0.7 s of every `sfnflow run` (most of its start-up). Routed Batch
    tasks never touch moto's Batch backend, so the package is registered unexecuted and
    completes itself the first time anything asks it for an attribute. (Not undone at
    uninstall: once complete, the package is moto's own.)
    """
    if "moto.batch" in sys.modules:
        return
    spec = importlib.util.find_spec("moto.batch")
    if spec is None or spec.loader is None:
        return
    package = importlib.util.module_from_spec(spec)
    completed = False

    def complete(name: str) -> Any:
        nonlocal completed
        if not completed:
            completed = True
            del package.__dict__["__getattr__"]
            spec.loader.exec_module(package)  # type: ignore[union-attr]
        return getattr(package, name)

    package.__dict__["__getattr__"] = complete  # PEP 562: consulted only for missing names
    sys.modules["moto.batch"] = package
    import moto

    moto.batch = package  # type: ignore[attr-defined]  # what a real import binds on the parent
