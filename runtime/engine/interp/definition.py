"""Load a state machine definition once: validate it and compile every path, template,
intrinsic and Choice rule, so that running a state does no parsing.

Only the ASL subset that sfnflow's compiler emits (and its close neighbours) is accepted:
the JSONPath dialect; Task states on lambda:invoke, batch:submitJob.sync and the
DynamoDB item calls; Parallel; Map inline and distributed (ItemReader from a JSON object,
ResultWriter); Choice; Pass; Wait; Succeed; Fail; Retry; Catch; TimeoutSeconds. Anything
else is a DefinitionError naming the state and the field, raised before the run starts
(the moto engine, SFNFLOW_LOCAL_ENGINE=moto, runs more of the language).
"""
from __future__ import annotations

from typing import Any

from .choice import ChoiceRule, compile_rule
from .errors import DefinitionError
from .intrinsics import compile_intrinsic, is_intrinsic
from .paths import Path, ResultPath, compile_result_path
from .templates import Template, compile_template

__all__ = ["Branch", "Catcher", "Definition", "Retrier", "State", "load_definition"]

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
BATCH_SUBMIT_SYNC = "arn:aws:states:::batch:submitJob.sync"
DYNAMODB_PREFIX = "arn:aws:states:::dynamodb:"
DYNAMODB_ACTIONS = ("updateItem", "putItem", "getItem", "deleteItem")
S3_GET_OBJECT = "arn:aws:states:::s3:getObject"
S3_PUT_OBJECT = "arn:aws:states:::s3:putObject"
TASK_RESOURCES = (LAMBDA_INVOKE, BATCH_SUBMIT_SYNC) + tuple(DYNAMODB_PREFIX + a for a in DYNAMODB_ACTIONS)

_COMMON = {"Type", "Comment"}
_FLOW = {"Next", "End"}
_IO = {"InputPath", "OutputPath"}
_RESULT = {"ResultPath", "ResultSelector"}
_ERRORS = {"Retry", "Catch"}
_FIELDS: dict[str, set[str]] = {
    "Task": _COMMON | _FLOW | _IO | _RESULT | _ERRORS | {"Resource", "Parameters", "TimeoutSeconds"},
    "Parallel": _COMMON | _FLOW | _IO | _RESULT | _ERRORS | {"Branches", "Parameters"},
    "Map": _COMMON | _FLOW | _IO | _RESULT | _ERRORS | {
        "ItemsPath", "ItemSelector", "Parameters", "ItemProcessor", "Iterator", "MaxConcurrency", "ItemReader",
        "ResultWriter", "ToleratedFailureCount", "ToleratedFailurePercentage", "Label"},
    "Pass": _COMMON | _FLOW | _IO | {"Parameters", "Result", "ResultPath"},
    "Wait": _COMMON | _FLOW | _IO | {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
    "Choice": _COMMON | _IO | {"Choices", "Default"},
    "Succeed": _COMMON | _IO,
    "Fail": _COMMON | {"Error", "Cause", "ErrorPath", "CausePath"},
}
_CONTAINERS = ("Parallel", "Map")


class _Identity:
    """InputPath / OutputPath absent (or `$`): the value passes unchanged."""

    __slots__ = ()

    def select(self, value: Any, ctx: Any) -> Any:
        return value


class _Empty:
    """InputPath / OutputPath null: the state sees (or passes on) `{}`."""

    __slots__ = ()

    def select(self, value: Any, ctx: Any) -> Any:
        return {}


class _Select:
    __slots__ = ("path", "field")

    def __init__(self, path: Path, field: str) -> None:
        self.path, self.field = path, field

    def select(self, value: Any, ctx: Any) -> Any:
        return self.path.get(value, ctx, self.field)


IDENTITY, EMPTY = _Identity(), _Empty()


def _io_path(state: dict[str, Any], field: str) -> Any:
    if field not in state:
        return IDENTITY
    text = state[field]
    if text is None:
        return EMPTY
    if text == "$":
        return IDENTITY
    path = Path(text)
    if path.context:
        raise DefinitionError(f"{field} '{text}' cannot read the context object")
    return _Select(path, field)


class Retrier:
    __slots__ = ("errors", "max_attempts", "interval", "backoff", "max_delay", "jitter")

    def __init__(self, spec: dict[str, Any], where: str) -> None:
        _only(spec, {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
                     "JitterStrategy", "Comment"}, where)
        self.errors = _error_equals(spec, where)
        self.max_attempts = int(spec.get("MaxAttempts", 3))
        self.interval = float(spec.get("IntervalSeconds", 1))
        self.backoff = float(spec.get("BackoffRate", 2.0))
        self.max_delay = spec.get("MaxDelaySeconds")
        self.jitter = spec.get("JitterStrategy", "NONE")
        if self.max_attempts < 0 or self.interval < 0 or self.backoff < 1.0:
            raise DefinitionError(f"{where}: MaxAttempts >= 0, IntervalSeconds >= 1 and BackoffRate >= 1 are required")

    def delay(self, attempt: int) -> float:
        """Seconds before retry number `attempt` (0-based) of this retrier."""
        import random

        seconds = self.interval * (self.backoff ** attempt)
        if self.max_delay is not None:
            seconds = min(seconds, float(self.max_delay))
        if self.jitter == "FULL":
            seconds = random.uniform(0, seconds)
        return seconds


class Catcher:
    __slots__ = ("errors", "result_path", "next")

    def __init__(self, spec: dict[str, Any], where: str) -> None:
        _only(spec, {"ErrorEquals", "ResultPath", "Next", "Comment"}, where)
        self.errors = _error_equals(spec, where)
        self.result_path: ResultPath = compile_result_path(spec)
        self.next = spec.get("Next")
        if not isinstance(self.next, str):
            raise DefinitionError(f"{where}: a Catcher needs a Next")


def _error_equals(spec: dict[str, Any], where: str) -> tuple[str, ...]:
    names = spec.get("ErrorEquals")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise DefinitionError(f"{where}: ErrorEquals must be a non-empty array of error names")
    if "States.ALL" in names and len(names) > 1:
        raise DefinitionError(f"{where}: States.ALL must appear alone in ErrorEquals")
    return tuple(names)


class State:
    """One state, compiled. Fields not used by its type stay None."""

    __slots__ = ("name", "type", "where", "branch", "next", "end", "input_path", "output_path", "parameters",
                 "result_selector", "result_path", "retriers", "catchers", "resource", "timeout", "branches",
                 "items_path", "item_selector", "processor", "distributed", "max_concurrency", "item_reader",
                 "reader_config", "result_writer", "tolerated_count", "tolerated_percentage", "label", "choices",
                 "default", "result", "has_result", "error", "cause", "error_path", "cause_path", "seconds",
                 "seconds_path", "timestamp", "timestamp_path", "entered_type", "exited_type")

    def __init__(self, name: str, spec: dict[str, Any], branch: "Branch") -> None:
        self.name, self.branch = name, branch
        self.where = f"state '{name}'"
        if not isinstance(spec, dict):
            raise DefinitionError(f"{self.where}: a state must be an object")
        self.type = spec.get("Type")
        allowed = _FIELDS.get(self.type)  # type: ignore[arg-type]
        if allowed is None:
            raise DefinitionError(f"{self.where}: Type {self.type!r} is not supported by the local interpreter")
        if spec.get("QueryLanguage", "JSONPath") != "JSONPath":
            raise DefinitionError(f"{self.where}: only the JSONPath query language is supported locally")
        _only(spec, allowed, self.where)
        self.entered_type, self.exited_type = f"{self.type}StateEntered", f"{self.type}StateExited"
        for slot in self.__slots__:
            if not hasattr(self, slot):
                setattr(self, slot, None)
        self.retriers, self.catchers = (), ()
        self.end = bool(spec.get("End", False))
        self.next = spec.get("Next")
        if self.type in ("Task", "Parallel", "Map", "Pass", "Wait"):
            if self.end == (self.next is not None):
                raise DefinitionError(f"{self.where}: exactly one of Next and End is required")
        self.input_path = _io_path(spec, "InputPath")
        self.output_path = _io_path(spec, "OutputPath")
        getattr(self, f"_load_{self.type.lower()}")(spec)

    # -- per type ---------------------------------------------------------------------------
    def _load_results(self, spec: dict[str, Any]) -> None:
        self.result_selector = compile_template(spec, "ResultSelector", self.where)
        self.result_path = compile_result_path(spec)
        self.retriers = tuple(Retrier(r, f"{self.where} Retry[{i}]") for i, r in enumerate(spec.get("Retry", [])))
        self.catchers = tuple(Catcher(c, f"{self.where} Catch[{i}]") for i, c in enumerate(spec.get("Catch", [])))

    def _load_task(self, spec: dict[str, Any]) -> None:
        self.resource = spec.get("Resource")
        if self.resource not in TASK_RESOURCES:
            raise DefinitionError(f"{self.where}: Resource {self.resource!r} is not one the local interpreter "
                                  f"runs ({', '.join(TASK_RESOURCES)})")
        self.parameters = compile_template(spec, "Parameters", self.where)
        if "TimeoutSeconds" in spec:
            timeout = spec["TimeoutSeconds"]
            if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
                raise DefinitionError(f"{self.where}: TimeoutSeconds must be a positive integer")
            self.timeout = float(timeout)
        self._load_results(spec)

    def _load_parallel(self, spec: dict[str, Any]) -> None:
        branches = spec.get("Branches")
        if not isinstance(branches, list) or not branches:
            raise DefinitionError(f"{self.where}: Branches must be a non-empty array")
        self.branches = tuple(Branch(b, f"{self.branch.id}/{self.name}[{i}]", self.branch.definition)
                              for i, b in enumerate(branches))
        self.parameters = compile_template(spec, "Parameters", self.where)
        self._load_results(spec)

    def _load_map(self, spec: dict[str, Any]) -> None:
        processor = spec.get("ItemProcessor", spec.get("Iterator"))
        if not isinstance(processor, dict):
            raise DefinitionError(f"{self.where}: a Map needs an ItemProcessor")
        config = dict(processor.get("ProcessorConfig") or {})
        mode = config.pop("Mode", "INLINE")
        config.pop("ExecutionType", None)
        if mode not in ("INLINE", "DISTRIBUTED") or config:
            raise DefinitionError(f"{self.where}: ProcessorConfig {processor.get('ProcessorConfig')} is not supported")
        self.distributed = mode == "DISTRIBUTED"
        body = {k: v for k, v in processor.items() if k != "ProcessorConfig"}
        self.processor = Branch(body, f"{self.branch.id}/{self.name}", self.branch.definition)
        if "ItemSelector" in spec and "Parameters" in spec:
            raise DefinitionError(f"{self.where}: use ItemSelector or Parameters, not both")
        self.item_selector = compile_template(spec, "ItemSelector" if "ItemSelector" in spec else "Parameters",
                                              self.where)
        self.items_path = _io_path(spec, "ItemsPath")
        concurrency = spec.get("MaxConcurrency", 0)
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 0:
            raise DefinitionError(f"{self.where}: MaxConcurrency must be a non-negative integer")
        self.max_concurrency = concurrency
        self.label = spec.get("Label")
        reader = spec.get("ItemReader")
        if reader is not None:
            if not self.distributed:
                raise DefinitionError(f"{self.where}: ItemReader needs a DISTRIBUTED ItemProcessor")
            _only(reader, {"Resource", "ReaderConfig", "Parameters"}, f"{self.where} ItemReader")
            if reader.get("Resource") != S3_GET_OBJECT:
                raise DefinitionError(f"{self.where}: ItemReader Resource must be {S3_GET_OBJECT} locally")
            self.reader_config = dict(reader.get("ReaderConfig") or {})
            if self.reader_config.get("InputType", "JSON") != "JSON" or set(self.reader_config) - {"InputType"}:
                raise DefinitionError(f"{self.where}: only ReaderConfig {{'InputType': 'JSON'}} is supported")
            self.item_reader = Template(reader.get("Parameters") or {}, f"{self.where}.ItemReader.Parameters")
        writer = spec.get("ResultWriter")
        if writer is not None:
            _only(writer, {"Resource", "Parameters"}, f"{self.where} ResultWriter")
            if writer.get("Resource") != S3_PUT_OBJECT:
                raise DefinitionError(f"{self.where}: ResultWriter Resource must be {S3_PUT_OBJECT}")
            self.result_writer = Template(writer.get("Parameters") or {}, f"{self.where}.ResultWriter.Parameters")
        self.tolerated_count = int(spec.get("ToleratedFailureCount", 0))
        self.tolerated_percentage = float(spec.get("ToleratedFailurePercentage", 0.0))
        self._load_results(spec)

    def _load_pass(self, spec: dict[str, Any]) -> None:
        self.parameters = compile_template(spec, "Parameters", self.where)
        self.has_result = "Result" in spec
        self.result = spec.get("Result")
        self.result_path = compile_result_path(spec)

    def _load_wait(self, spec: dict[str, Any]) -> None:
        given = [f for f in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath") if f in spec]
        if len(given) != 1:
            raise DefinitionError(f"{self.where}: a Wait needs exactly one of Seconds, SecondsPath, Timestamp, "
                                  "TimestampPath")
        self.seconds = spec.get("Seconds")
        self.timestamp = spec.get("Timestamp")
        self.seconds_path = Path(spec["SecondsPath"]) if "SecondsPath" in spec else None
        self.timestamp_path = Path(spec["TimestampPath"]) if "TimestampPath" in spec else None

    def _load_choice(self, spec: dict[str, Any]) -> None:
        rules = spec.get("Choices")
        if not isinstance(rules, list) or not rules:
            raise DefinitionError(f"{self.where}: Choices must be a non-empty array")
        self.choices: tuple[ChoiceRule, ...] = tuple(
            compile_rule(r, f"{self.where} Choices[{i}]") for i, r in enumerate(rules))
        self.default = spec.get("Default")

    def _load_succeed(self, spec: dict[str, Any]) -> None:
        pass

    def _load_fail(self, spec: dict[str, Any]) -> None:
        for field in ("Error", "Cause"):
            if field in spec and f"{field}Path" in spec:
                raise DefinitionError(f"{self.where}: use {field} or {field}Path, not both")
        self.error, self.cause = spec.get("Error"), spec.get("Cause")
        self.error_path = _fail_path(spec.get("ErrorPath"), f"{self.where} ErrorPath")
        self.cause_path = _fail_path(spec.get("CausePath"), f"{self.where} CausePath")

    def targets(self) -> list[str]:
        """Every state this one can transition to (for the definition's reference check)."""
        out = [self.next] if self.next else []
        out += [c.next for c in self.catchers]
        if self.type == "Choice":
            out += [r.next for r in self.choices if r.next]
            if self.default:
                out.append(self.default)
        return out


def _fail_path(text: Any, where: str) -> Any:
    if text is None:
        return None
    if not isinstance(text, str):
        raise DefinitionError(f"{where} must be a JSONPath or an intrinsic function")
    return compile_intrinsic(text) if is_intrinsic(text) else Path(text)


class Branch:
    """A StartAt and its States: the top level, a Parallel branch or a Map's ItemProcessor.

    `id` names it for traces: "" at the top, "<parent id>/<Parallel>[i]" or
    "<parent id>/<Map>" below.
    """

    __slots__ = ("start", "states", "id", "definition")

    def __init__(self, spec: dict[str, Any], branch_id: str, definition: "Definition") -> None:
        self.id, self.definition = branch_id, definition
        where = f"branch '{branch_id or '(top level)'}'"
        if not isinstance(spec, dict):
            raise DefinitionError(f"{where}: must be an object with StartAt and States")
        _only(spec, {"StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"} if not branch_id
              else {"StartAt", "States", "Comment"}, where)
        if spec.get("TimeoutSeconds") is not None:
            raise DefinitionError("a state machine TimeoutSeconds is not supported by the local interpreter")
        states = spec.get("States")
        self.start = spec.get("StartAt")
        if not isinstance(states, dict) or not states:
            raise DefinitionError(f"{where}: States must be a non-empty object")
        self.states: dict[str, State] = {}
        for name, state_spec in states.items():
            # AWS wants names unique across the machine (the compiler suffixes the copies);
            # moto does not insist, nor does this interpreter: a branch's id tells copies apart.
            definition.names.setdefault(name, self)
            self.states[name] = State(name, state_spec, self)
        if self.start not in self.states:
            raise DefinitionError(f"{where}: StartAt '{self.start}' is not one of its states")
        for state in self.states.values():
            for target in state.targets():
                if target not in self.states:
                    raise DefinitionError(f"{state.where}: transitions to '{target}', which is not a state "
                                          f"of the same branch")


class Definition:
    """A whole state machine: `root` is its top-level branch; `names` maps every state
    name to the (first) branch holding it."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.names: dict[str, Branch] = {}
        if spec.get("QueryLanguage", "JSONPath") != "JSONPath":
            raise DefinitionError("only the JSONPath query language is supported by the local interpreter")
        self.root = Branch(spec, "", self)

    def state(self, name: str) -> State:
        return self.names[name].states[name]


def _only(spec: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(spec) - allowed)
    if extra:
        raise DefinitionError(f"{where}: field(s) {', '.join(extra)} are not supported by the local interpreter "
                              "(SFNFLOW_LOCAL_ENGINE=moto runs them)")


def load_definition(spec: dict[str, Any] | str) -> Definition:
    import json

    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except ValueError as exc:
            raise DefinitionError(f"the definition is not valid JSON: {exc}") from None
    if not isinstance(spec, dict):
        raise DefinitionError("the definition must be a JSON object")
    return Definition(spec)
