"""read_run_input: whatever an execution was started with -> the run's raw parameters and origin.

The start step receives the execution's whole input (the state machine cannot assume a
shape: `$.parameters` on `{}` is an uncatchable States.Runtime error in AWS). Accepted:

    {"parameters": {...}, "sfnflow": {...}}   `sfnflow trigger`, the schedule rule, resume
    {} or {"Comment": "..."}                   the console's Start button (all defaults)
    {"alpha": 0.3}                             parameters at the top level (typed in the console)
    an EventBridge event                       @trigger / @trigger_on_finish rules: fields of the
                                               event mapped to parameters by the matching trigger

`sfnflow` (optional) carries {"trigger", "tags", "user", "origin_run_id", "resume_steps"}.
Defaults are not applied here: runtime.context.start_parameters does that when the start
step runs (a callable default is evaluated then). Problems raise RunInputError with one
sentence; the start step reports it as the run's failure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from sfn_compiler.dsl.triggers import STATES_STATUS_CHANGE, TriggerSpec
from sfn_compiler.graph.model import FlowGraph
from sfn_compiler.run_contract import OPTIONS_KEY, PARAMETERS_KEY

__all__ = ["RunInput", "RunInputError", "event_matches", "read_run_input"]

CONSOLE_KEYS = frozenset({"Comment"})  # the console's sample input: {"Comment": "Insert your JSON here"}
EVENT_KEYS = frozenset({"detail-type", "source", "detail"})


class RunInputError(ValueError):
    """The execution input cannot be read as this flow's parameters."""


@dataclass(frozen=True)
class RunInput:
    parameters: dict[str, Any]  # raw values by parameter name (not converted, no defaults yet)
    trigger: str = "console"  # "cli", "schedule", "api", "event:<name>", "finish:<flow>", "console"
    tags: tuple[str, ...] = ()
    user: str | None = None  # who started the run (its user: tag), when the input says
    origin_run_id: str | None = None
    resume_steps: tuple[str, ...] = ()
    event: dict[str, Any] | None = field(default=None, compare=False)  # the EventBridge event, if any


def read_run_input(raw: Any, graph: FlowGraph) -> RunInput:
    """Read an execution input (see the module docstring). Raises RunInputError."""
    if raw is None:
        return RunInput({})
    if not isinstance(raw, Mapping):
        raise RunInputError(f"the execution input must be a JSON object, not {type(raw).__name__}; start it with "
                            "{} or {\"parameters\": {...}}.")
    if EVENT_KEYS <= set(raw):
        return _from_event(dict(raw), graph)
    options = raw.get(OPTIONS_KEY) or {}
    if not isinstance(options, Mapping):
        raise RunInputError(f"the execution input's '{OPTIONS_KEY}' must be an object.")
    wrapped = isinstance(raw.get(PARAMETERS_KEY), Mapping) and not _is_parameter(graph, PARAMETERS_KEY)
    if wrapped:
        extra = sorted(set(raw) - {PARAMETERS_KEY, OPTIONS_KEY} - CONSOLE_KEYS)
        if extra:
            raise RunInputError(f"the execution input has {', '.join(map(repr, extra))} next to 'parameters'; "
                                "put every parameter inside 'parameters'.")
        parameters = dict(raw[PARAMETERS_KEY])
    else:
        parameters = {k: v for k, v in raw.items() if k not in CONSOLE_KEYS and k != OPTIONS_KEY}
    trigger = str(options.get("trigger") or ("console" if not options else "api"))
    user = options.get("user")
    if user is not None and not (isinstance(user, str) and user):
        raise RunInputError(f"the execution input's '{OPTIONS_KEY}.user' must be a user name (a string).")
    return RunInput(parameters, trigger=trigger, tags=_strings(options.get("tags"), "tags"), user=user,
                    origin_run_id=options.get("origin_run_id") or None,
                    resume_steps=_strings(options.get("resume_steps"), "resume_steps"))


def _is_parameter(graph: FlowGraph, name: str) -> bool:
    return any(name in (p.name, p.attribute) for p in graph.parameters)


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise RunInputError(f"the execution input's '{OPTIONS_KEY}.{what}' must be a list of strings.")
    return tuple(value)


# -- EventBridge events -----------------------------------------------------------------
def _triggers(graph: FlowGraph) -> list[TriggerSpec]:
    return [d for d in graph.flow_decorators if isinstance(d, TriggerSpec)]


def _from_event(event: dict[str, Any], graph: FlowGraph) -> RunInput:
    """An event a rule delivered: find the trigger it matches, map its fields to parameters."""
    triggers = _triggers(graph)
    if event.get("detail-type") == STATES_STATUS_CHANGE and event.get("source") == "aws.states":
        machine = str((event.get("detail") or {}).get("stateMachineArn", "")).rsplit(":", 1)[-1]
        for spec in triggers:
            for finish in spec.finishes:
                if machine in (finish.flow, finish.flow.replace("_", "-")):
                    return RunInput(_map_fields(event, finish.parameters, f"@trigger_on_finish({finish.flow})"),
                                    trigger=f"finish:{finish.flow}", event=event)
    events = [e for spec in triggers for e in spec.events]
    chosen = next((e for e in events if event_matches(e.pattern, event)), None)
    if chosen is None and len(events) == 1:
        chosen = events[0]  # the rule matched it; our subset matcher may not know every operator
    if chosen is None:
        # An event no trigger describes (a rule made by hand, the console): run with defaults.
        return RunInput({}, trigger=f"event:{event.get('detail-type')}", event=event)
    return RunInput(_map_fields(event, chosen.parameters, f"@trigger event {chosen.name}"),
                    trigger=f"event:{chosen.name}", event=event)


def _map_fields(event: dict[str, Any], mapping: Sequence[tuple[str, str]], where: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for parameter, path in mapping:
        found, value = _lookup(event, path)
        if found:
            values[parameter] = value
        # A field the event lacks leaves the parameter to its default (or to the
        # required-parameter error, which names it).
    return values


def _lookup(event: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """`a.b` in the event's detail; `$.a.b` from the event's top."""
    node: Any = event
    if path.startswith("$."):
        parts = path[2:].split(".")
    else:
        node = event.get("detail")
        parts = path.split(".")
    for part in parts:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


def event_matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """EventBridge pattern matching for the operators sfnflow writes (values, prefix, suffix,
    wildcard, exists). Used to tell which of a flow's triggers an event came from."""
    for key, want in pattern.items():
        present = key in event
        value = event.get(key)
        if isinstance(want, Mapping):
            if not isinstance(value, Mapping) or not event_matches(want, value):
                return False
        elif isinstance(want, list):
            if not any(_matches_one(w, present, value) for w in want):
                return False
        else:
            return False
    return True


def _matches_one(want: Any, present: bool, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    if isinstance(want, Mapping):
        if "exists" in want:
            return bool(want["exists"]) == present
        text = [v for v in values if isinstance(v, str)]
        if "prefix" in want:
            return any(v.startswith(str(want["prefix"])) for v in text)
        if "suffix" in want:
            return any(v.endswith(str(want["suffix"])) for v in text)
        if "wildcard" in want:
            import fnmatch

            return any(fnmatch.fnmatchcase(v, str(want["wildcard"])) for v in text)
        return False
    return present and want in values
