"""The one contract between the compiled state machine and the task runtime.

State payload (what flows between states; pointers only, never artifacts, and its size
does not grow with fan-out):

    {"run": "<run id>", "p": "<task id>"}            everywhere
    + "fe": {"n": <cardinality>, "items": [...]|null}  after a foreach step, read by its Map

`run` is the execution name of the top-level execution (a Distributed Map's child
executions have names of their own, so the run id travels in the state). `p` is the task
id: the foreach index path, "0" outside any foreach, "3" or "3.7" inside.

Task envelope: the single JSON object a Task state passes to the runtime. `TaskEnvelope`
is its field table: each field that the state machine writes carries a `Wire` saying
what value it takes in a given Task state (a constant, or a JSONPath into the state or
its context object) and how it is typed. The three spellings derive from that table:
`envelope_template` (the Lambda `Payload`), `batch_command_template` (the Batch
`Command.$`, `--name value` pairs) and `envelope_from_batch_args` (its parser). Adding a
field is one line in `TaskEnvelope`.

Task result: what the runtime returns. `{}` for most steps; for a switch step the next
state `{"run", "p": <next step's task id>, "case": <the case value>}` (the case is one of
the literal values in the source, never the user's object); for a foreach step
`{"n": N, "items": [child task ids] or None}`: the items travel in the state only when the
inline Map will be used (N <= inline_max), otherwise the runtime has written them as a JSON
array to `foreach_items_key(...)` in the artifact store and the Distributed Map reads them.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, NamedTuple, Sequence

from ..batch_bootstrap import batch_command_prefixes, batch_command_prefix

ENVELOPE_VERSION = 1

# Error names the runtime raises, so that Retry / Catch can tell them apart.
USER_CODE_ERROR = "UserCodeError"  # the step's own code raised
PLATFORM_ERROR = "PlatformError"  # sfnflow or its stores failed; not the user's fault

MODE_STEP = "step"
MODE_CATCH = "catch"  # record a caught failure, pass the parent's artifacts on

# How a field's value is typed on the Batch command line (which carries only strings).
TEXT, INTEGER, JSON = "text", "integer", "json"


class TaskPath(NamedTuple):
    """Where a task is: `flow/run/step/task`, the task id being its foreach index path."""

    flow: str
    run: str
    step: str
    task: str

    def __str__(self) -> str:
        return "/".join(self)


@dataclass(frozen=True)
class TaskState:
    """What decides a field's value: the Task state being compiled."""

    flow: str
    step: str
    is_start: bool
    mode: str
    inline_max: int
    loop_max: tuple[tuple[str, int], ...] = ()  # switch steps going back: (loop head, most iterations)


@dataclass(frozen=True)
class Const:
    value: Any


@dataclass(frozen=True)
class Path:
    path: str  # a JSONPath, evaluated by Step Functions when the Task state runs


Source = Const | Path


@dataclass(frozen=True)
class Wire:
    """How one envelope field travels: its type and its value in a given Task state (None: left out)."""

    kind: str  # TEXT | INTEGER | JSON
    source: Callable[[TaskState], Source | None]


@dataclass(frozen=True)
class EnvelopeField:
    name: str
    wire: Wire

    @property
    def option(self) -> str:
        """Its name on the Batch command line: `inline_max` -> `--inline-max`."""
        return "--" + self.name.replace("_", "-")


def wire_field(kind: str, source: Callable[[TaskState], Source | None], default: Any = dataclasses.MISSING,
               default_factory: Any = dataclasses.MISSING) -> Any:
    """A TaskEnvelope field that the state machine writes (a row of the field table)."""
    return field(default=default, default_factory=default_factory, metadata={"wire": Wire(kind, source)})


@dataclass(frozen=True, kw_only=True)
class TaskEnvelope:
    """The envelope, and the field table: the order here is the order on the wire."""

    flow: str = wire_field(TEXT, lambda s: Const(s.flow))
    step: str = wire_field(TEXT, lambda s: Const(s.step))
    mode: str = wire_field(TEXT, lambda s: Const(s.mode), default=MODE_STEP)
    # The start step runs at the top level, so the execution name is the run id.
    run: str = wire_field(TEXT, lambda s: Path("$$.Execution.Name") if s.is_start else Path("$.run"))
    task: str = wire_field(TEXT, lambda s: Const("0") if s.is_start else Path("$.p"))
    # The start step only: the execution's whole input, which runtime/run_input.py reads the
    # run's parameters from (so `{}`, the console's sample or an event all start a run). A
    # catch state's input also holds the error: its run record has the parameters.
    parameters: dict[str, Any] | None = wire_field(
        JSON, lambda s: Path("$") if s.is_start and s.mode != MODE_CATCH else None, default=None)
    # MODE_CATCH only: Step Functions' {"Error", "Cause"}.
    error: dict[str, Any] | None = wire_field(
        JSON, lambda s: Path("$.error") if s.mode == MODE_CATCH else None, default=None)
    attempt: int = wire_field(
        INTEGER, lambda s: Const(0) if s.mode == MODE_CATCH else Path("$$.State.RetryCount"), default=0)
    # Foreach steps: the widest fan-out kept in the state (inline Map).
    inline_max: int = wire_field(INTEGER, lambda s: Const(s.inline_max) if s.inline_max else None, default=0)
    # Switch steps with a case going back: loop head -> the most iterations that fit one
    # execution's history (the task fails rather than start one more).
    loop_max: dict[str, int] | None = wire_field(
        JSON, lambda s: Const(dict(s.loop_max)) if s.loop_max else None, default=None)
    tags: list[str] = field(default_factory=list)  # never written by the state machine
    v: int = ENVELOPE_VERSION

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "TaskEnvelope":
        if payload.get("v") != ENVELOPE_VERSION:
            raise ValueError(f"task envelope version {payload.get('v')!r}, expected {ENVELOPE_VERSION}")
        known = {f.name for f in dataclasses.fields(cls)}
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

    @property
    def path(self) -> TaskPath:
        return TaskPath(self.flow, self.run, self.step, self.task)


def wire_fields(envelope: type = TaskEnvelope) -> tuple[EnvelopeField, ...]:
    """The fields the state machine writes, in wire order (the field table)."""
    return tuple(EnvelopeField(f.name, f.metadata["wire"]) for f in dataclasses.fields(envelope)
                 if "wire" in f.metadata)


def _values(fields: Sequence[EnvelopeField], state: TaskState) -> list[tuple[EnvelopeField, Source]]:
    pairs = [(f, f.wire.source(state)) for f in fields]
    return [(f, source) for f, source in pairs if source is not None]


def envelope_template(flow: str, step: str, *, is_start: bool = False, mode: str = MODE_STEP,
                      inline_max: int = 0, fields: Sequence[EnvelopeField] | None = None,
                      loop_max: dict[str, int] | None = None) -> dict[str, Any]:
    """The ASL `Payload` that builds a TaskEnvelope at run time."""
    state = TaskState(flow, step, is_start, mode, inline_max, tuple(sorted((loop_max or {}).items())))
    template: dict[str, Any] = {"v": ENVELOPE_VERSION}
    for f, source in _values(wire_fields() if fields is None else fields, state):
        if isinstance(source, Path):
            template[f.name + ".$"] = source.path
        else:
            template[f.name] = source.value
    return template


# How a JSONPath value becomes one string of the Batch command, per field type.
_AS_TEXT = {TEXT: "{}", INTEGER: "States.Format('{{}}', {})", JSON: "States.JsonToString({})"}


def batch_command_template(flow: str, step: str, *, is_start: bool = False, mode: str = MODE_STEP,
                           inline_max: int = 0, sfnflow_in_image: bool = False,
                           fields: Sequence[EnvelopeField] | None = None) -> str:
    """The Batch container command, as an ASL intrinsic (`Command.$`).

    Batch takes a list of strings, not an object, so each envelope field becomes a
    `--name value` pair; `envelope_from_batch_args` turns them back into a TaskEnvelope.
    The program before them is `python -c <bootstrap>` for the default stock image, or
    `python -m runtime.batch_main` when the step's image has sfnflow installed
    (`sfnflow_in_image`: the user named it with @batch(image=...)); see batch_bootstrap.py.
    """
    state = TaskState(flow, step, is_start, mode, inline_max)
    args = [_asl_literal(part) for part in batch_command_prefix(sfnflow_in_image)]
    for f, source in _values(wire_fields() if fields is None else fields, state):
        args.append(_asl_literal(f.option))
        if isinstance(source, Path):
            args.append(_AS_TEXT[f.wire.kind].format(source.path))
        else:
            value = source.value
            args.append(_asl_literal(json.dumps(value) if f.wire.kind == JSON else str(value)))
    return f"States.Array({', '.join(args)})"


def _asl_literal(text: str) -> str:
    """`text` as a single-quoted intrinsic string literal; refuses what would need escaping."""
    bad = sorted({c for c in text if c in "'{}\\" or ord(c) < 0x20})
    if bad:
        raise ValueError(f"cannot put {bad!r} in an ASL intrinsic string literal: {text[:60]!r}")
    return f"'{text}'"


def batch_args_payload(argv: list[str], fields: Sequence[EnvelopeField] | None = None) -> dict[str, Any]:
    """The `--name value` arguments of a Batch command, as an envelope payload (typed per field)."""
    if len(argv) % 2:
        raise ValueError(f"expected --name value pairs, got {argv!r}")
    by_option = {f.option: f for f in (wire_fields() if fields is None else fields)}
    payload: dict[str, Any] = {"v": ENVELOPE_VERSION}
    for option, text in zip(argv[::2], argv[1::2]):
        f = by_option.get(option)
        if f is None:
            raise ValueError(f"unknown task envelope option {option!r}")
        payload[f.name] = json.loads(text) if f.wire.kind == JSON else int(text) if f.wire.kind == INTEGER else text
    return payload


def envelope_from_batch_args(argv: list[str]) -> TaskEnvelope:
    """Inverse of batch_command_template (the arguments after `-m runtime.batch_main` or `-c <bootstrap>`)."""
    return TaskEnvelope.from_payload(batch_args_payload(argv))


def envelope_from_batch_command(command: list[str]) -> TaskEnvelope:
    """The envelope of a whole Batch command line, whichever program prefix it starts with."""
    for prefix in batch_command_prefixes():
        if command[:len(prefix)] == prefix:
            return envelope_from_batch_args(command[len(prefix):])
    raise ValueError(f"not an sfnflow Batch command: {command[:3]!r}")


def foreach_items_key(flow: str, run: str, step: str, task: str) -> str:
    """Artifact-store key (relative to the store root) of a foreach's child task ids."""
    return f"{TaskPath(flow, run, step, task)}/foreach.json"


def foreach_items_key_asl(flow: str, step: str) -> str:
    """The same key, as an ASL intrinsic over the state payload."""
    return f"States.Format('{flow}/{{}}/{step}/{{}}/foreach.json', $.run, $.p)"


def child_task_id(parent: str, index: int, top_level: bool) -> str:
    """Task id of iteration `index` of a foreach whose own task is `parent`."""
    return str(index) if top_level else f"{parent}.{index}"
