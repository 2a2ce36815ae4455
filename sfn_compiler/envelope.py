"""The one contract between the compiled state machine and the task runtime.

State payload (what flows between states; pointers only, never artifacts, and its size
does not grow with fan-out):

    {"run": "<run id>", "p": "<task id>"}            everywhere
    + "fe": {"n": <cardinality>, "items": [...]|null}  after a foreach step, read by its Map

`run` is the execution name of the top-level execution (a Distributed Map's child
executions have names of their own, so the run id travels in the state). `p` is the task
id: the foreach index path, "0" outside any foreach, "3" or "3.7" inside.

Task envelope: the single JSON object a Task state passes to the runtime (Lambda payload,
or the Batch container's command argument). `envelope_template` is what the compiler
writes into the ASL; `TaskEnvelope.from_payload` is what the runtime reads.

Task result: what the runtime returns. `{}` for most steps; for a foreach step
`{"n": N, "items": [child task ids] or None}`: the items travel in the state only when the
inline Map will be used (N <= inline_max), otherwise the runtime has written them as a JSON
array to `foreach_items_key(...)` in the artifact store and the Distributed Map reads them.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .batch_bootstrap import batch_command_prefix

ENVELOPE_VERSION = 1

# Error names the runtime raises, so that Retry / Catch can tell them apart.
USER_CODE_ERROR = "UserCodeError"  # the step's own code raised
PLATFORM_ERROR = "PlatformError"  # sfnflow or its stores failed; not the user's fault

MODE_STEP = "step"
MODE_CATCH = "catch"  # record a caught failure, pass the parent's artifacts on


@dataclass(frozen=True)
class TaskEnvelope:
    flow: str
    step: str
    run: str
    task: str
    attempt: int = 0
    mode: str = MODE_STEP
    parameters: dict[str, Any] | None = None  # the start step only: the run's raw parameters
    error: dict[str, Any] | None = None  # MODE_CATCH only: Step Functions' {"Error", "Cause"}
    inline_max: int = 0  # foreach steps: widest fan-out kept in the state (inline Map)
    tags: list[str] = field(default_factory=list)
    v: int = ENVELOPE_VERSION

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "TaskEnvelope":
        if payload.get("v") != ENVELOPE_VERSION:
            raise ValueError(f"task envelope version {payload.get('v')!r}, expected {ENVELOPE_VERSION}")
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(payload) - known
        if unknown:
            raise ValueError(f"unknown task envelope fields: {sorted(unknown)}")
        values = dict(payload)
        values["attempt"] = int(values.get("attempt") or 0)
        values["task"] = str(values["task"])
        values["tags"] = list(values.get("tags") or [])
        return cls(**values)

    def to_payload(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def envelope_template(
    flow: str,
    step: str,
    *,
    is_start: bool = False,
    mode: str = MODE_STEP,
    inline_max: int = 0,
) -> dict[str, Any]:
    """The ASL `Payload` (or Batch argument) that builds a TaskEnvelope at run time."""
    template: dict[str, Any] = {"v": ENVELOPE_VERSION, "flow": flow, "step": step, "mode": mode}
    if is_start:
        # The start step runs at the top level, so the execution name is the run id.
        template["run.$"] = "$$.Execution.Name"
        template["task"] = "0"
        template["parameters.$"] = "$.parameters"
    else:
        template["run.$"] = "$.run"
        template["task.$"] = "$.p"
    if mode == MODE_CATCH:
        template["error.$"] = "$.error"
        template["attempt"] = 0
    else:
        template["attempt.$"] = "$$.State.RetryCount"
    if inline_max:
        template["inline_max"] = inline_max
    return template


def foreach_items_key(flow: str, run: str, step: str, task: str) -> str:
    """Artifact-store key (relative to the store root) of a foreach's child task ids."""
    return f"{flow}/{run}/{step}/{task}/foreach.json"


def foreach_items_key_asl(flow: str, step: str) -> str:
    """The same key, as an ASL intrinsic over the state payload."""
    return f"States.Format('{flow}/{{}}/{step}/{{}}/foreach.json', $.run, $.p)"


def child_task_id(parent: str, index: int, top_level: bool) -> str:
    """Task id of iteration `index` of a foreach whose own task is `parent`."""
    return str(index) if top_level else f"{parent}.{index}"


def batch_command_template(
    flow: str,
    step: str,
    *,
    is_start: bool = False,
    mode: str = MODE_STEP,
    inline_max: int = 0,
    sfnflow_in_image: bool = False,
) -> str:
    """The Batch container command, as an ASL intrinsic (`Command.$`).

    Batch takes a list of strings, not an object, so each envelope field becomes a
    `--name value` pair; `runtime.batch_main` turns them back into a TaskEnvelope. The
    program before them is `python -c <bootstrap>` for the default stock image, or
    `python -m runtime.batch_main` when the step's image has sfnflow installed
    (`sfnflow_in_image`: the user named it with @batch(image=...)); see batch_bootstrap.py.
    """
    args = [_asl_literal(part) for part in batch_command_prefix(sfnflow_in_image)]
    args += ["'--flow'", f"'{flow}'", "'--step'", f"'{step}'", "'--mode'", f"'{mode}'"]
    if is_start:
        args += ["'--run'", "$$.Execution.Name", "'--task'", "'0'",
                 "'--parameters'", "States.JsonToString($.parameters)"]
    else:
        args += ["'--run'", "$.run", "'--task'", "$.p"]
    if mode == MODE_CATCH:
        args += ["'--error'", "States.JsonToString($.error)"]
    else:
        args += ["'--attempt'", "States.Format('{}', $$.State.RetryCount)"]
    if inline_max:
        args += ["'--inline-max'", f"'{inline_max}'"]
    return f"States.Array({', '.join(args)})"


def _asl_literal(text: str) -> str:
    """`text` as a single-quoted intrinsic string literal; refuses what would need escaping."""
    bad = sorted({c for c in text if c in "'{}\\" or ord(c) < 0x20})
    if bad:
        raise ValueError(f"cannot put {bad!r} in an ASL intrinsic string literal: {text[:60]!r}")
    return f"'{text}'"


def envelope_from_batch_args(argv: list[str]) -> TaskEnvelope:
    """Inverse of batch_command_template (the arguments after `-m runtime.batch_main` or `-c <bootstrap>`)."""
    import json

    if len(argv) % 2:
        raise ValueError(f"expected --name value pairs, got {argv!r}")
    raw = {argv[i].lstrip("-").replace("-", "_"): argv[i + 1] for i in range(0, len(argv), 2)}
    payload: dict[str, Any] = {"v": ENVELOPE_VERSION, **raw}
    for key in ("parameters", "error"):
        if key in payload:
            payload[key] = json.loads(payload[key])
    for key in ("attempt", "inline_max"):
        if key in payload:
            payload[key] = int(payload[key])
    return TaskEnvelope.from_payload(payload)
