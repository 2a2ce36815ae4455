"""Event triggers: start a deployed flow when an EventBridge event arrives.

Metaflow's spellings, deployed as EventBridge rules that target the state machine with
the event itself as the execution input (the start step maps event fields to
parameters, see runtime/run_input.py):

    @trigger(event="data_ready")                                  # detail-type "data_ready"
    @trigger(event={"name": "data_ready", "parameters": {"path": "path"}})
    @trigger(events=["a", {"name": "b", "parameters": ["day"]}])
    @trigger(event={"pattern": {"source": ["my.app"]}, "parameters": {"day": "day"}})
    @trigger(event=s3_object_created("my-bucket", prefix="incoming/", parameters={"key": "object.key"}))
    @trigger_on_finish(flow="OtherFlow")                          # OtherFlow's run SUCCEEDED
    @trigger_on_finish(flows=["A", "B"], parameters={"upstream": "name"})

A named event matches EventBridge events whose `detail-type` is the name (send them with
PutEvents, any `Source`). A field is a dotted path into the event's `detail`; `$.x`
addresses the whole event (`$.time`, `$.id`). Only the decorator's records live here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

__all__ = ["EventTrigger", "FinishTrigger", "TriggerSpec", "make_trigger", "make_trigger_on_finish",
           "s3_object_created", "STATES_STATUS_CHANGE"]

STATES_STATUS_CHANGE = "Step Functions Execution Status Change"


class TriggerUsageError(TypeError):
    """@trigger / @trigger_on_finish got arguments it cannot deploy."""


@dataclass(frozen=True)
class EventTrigger:
    name: str  # what the user called it (detail-type, or a label for a pattern)
    pattern_json: str  # the EventBridge event pattern, canonical JSON
    parameters: tuple[tuple[str, str], ...] = ()  # (parameter name, event field path)

    @property
    def pattern(self) -> dict[str, Any]:
        return dict(json.loads(self.pattern_json))


@dataclass(frozen=True)
class FinishTrigger:
    flow: str  # the upstream flow whose successful runs start this one
    parameters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TriggerSpec:
    """@trigger or @trigger_on_finish (`kind` tells which)."""

    events: tuple[EventTrigger, ...] = ()
    finishes: tuple[FinishTrigger, ...] = ()
    kind: str = "trigger"
    source: str = ""  # what the user wrote, for messages

    @property
    def all_parameters(self) -> list[tuple[tuple[str, str], ...]]:
        return [e.parameters for e in self.events] + [f.parameters for f in self.finishes]


def s3_object_created(bucket: str, prefix: str = "", suffix: str = "",
                      parameters: Mapping[str, str] | Sequence[str] | None = None) -> dict[str, Any]:
    """An event for @trigger: an object created in `bucket` (under `prefix`, ending in `suffix`).

    The bucket must send its events to EventBridge (S3 console: Properties > Amazon
    EventBridge > On, or `put_bucket_notification_configuration(... EventBridgeConfiguration={})`).
    Fields: `object.key`, `object.size`, `bucket.name`.
    """
    key: list[Any] = []
    if prefix and suffix:
        key = [{"wildcard": f"{prefix}*{suffix}"}]
    elif prefix:
        key = [{"prefix": prefix}]
    elif suffix:
        key = [{"suffix": suffix}]
    detail: dict[str, Any] = {"bucket": {"name": [bucket]}}
    if key:
        detail["object"] = {"key": key}
    pattern = {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": detail}
    return {"name": f"s3://{bucket}/{prefix}*{suffix}", "pattern": pattern, "parameters": parameters or {}}


def _mapping(raw: Any, where: str) -> tuple[tuple[str, str], ...]:
    """Metaflow's `parameters`: a list of names (same field name) or {parameter: field}."""
    if raw is None:
        return ()
    if isinstance(raw, Mapping):
        pairs = [(str(k), str(v)) for k, v in raw.items()]
    elif isinstance(raw, (list, tuple)):
        pairs = []
        for item in raw:
            if isinstance(item, (list, tuple)) and len(item) == 2:
                pairs.append((str(item[0]), str(item[1])))
            else:
                pairs.append((str(item), str(item)))
    else:
        raise TriggerUsageError(f"{where}: parameters must be a list of names or a dict {{parameter: field}}, "
                                f"not {type(raw).__name__}")
    return tuple(sorted(pairs))


def _event(raw: Any) -> EventTrigger:
    if isinstance(raw, str):
        if not raw:
            raise TriggerUsageError("@trigger: an event name cannot be empty")
        return EventTrigger(raw, json.dumps({"detail-type": [raw]}, sort_keys=True))
    if not isinstance(raw, Mapping):
        raise TriggerUsageError(f"@trigger: an event is a name or a dict, not {type(raw).__name__}")
    unknown = sorted(set(raw) - {"name", "pattern", "parameters", "source"})
    if unknown:
        raise TriggerUsageError(f"@trigger: unknown event keys {unknown}; use name, pattern, source, parameters")
    name, pattern = raw.get("name"), raw.get("pattern")
    if pattern is None:
        if not name:
            raise TriggerUsageError("@trigger: an event dict needs a 'name' (its detail-type) or a 'pattern'")
        pattern = {"detail-type": [str(name)]}
        if raw.get("source"):
            pattern["source"] = [str(raw["source"])]
    elif not isinstance(pattern, Mapping) or not pattern:
        raise TriggerUsageError("@trigger: 'pattern' must be a non-empty EventBridge event pattern (a dict)")
    text = json.dumps(pattern, sort_keys=True)
    return EventTrigger(str(name or text), text, _mapping(raw.get("parameters"), f"@trigger event {name or text}"))


def make_trigger(event: Any = None, events: Sequence[Any] | None = None, options: Any = None) -> TriggerSpec:
    given = ([event] if event is not None else []) + list(events or [])
    if not given:
        raise TriggerUsageError("@trigger needs event=... or events=[...]")
    parsed = tuple(_event(e) for e in given)
    return TriggerSpec(events=parsed, kind="trigger", source=", ".join(e.name for e in parsed))


def make_trigger_on_finish(flow: Any = None, flows: Sequence[Any] | None = None,
                           parameters: Any = None, options: Any = None) -> TriggerSpec:
    given = ([flow] if flow is not None else []) + list(flows or [])
    if not given:
        raise TriggerUsageError("@trigger_on_finish needs flow='OtherFlow' or flows=[...]")
    names = []
    for item in given:
        name = item.get("name") if isinstance(item, Mapping) else item
        if not isinstance(name, str) or not name:
            raise TriggerUsageError(f"@trigger_on_finish: a flow is named by a string, not {item!r}")
        names.append(name.rsplit(".", 1)[-1])  # Metaflow's project.branch.Flow: the flow's name
    mapping = _mapping(parameters, "@trigger_on_finish")
    return TriggerSpec(finishes=tuple(FinishTrigger(n, mapping) for n in names), kind="trigger_on_finish",
                       source=", ".join(names))
