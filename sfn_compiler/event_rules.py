"""@trigger / @trigger_on_finish -> the EventBridge rules a flow stack creates.

Each rule targets the state machine with the event itself as the execution input (no
Input, no InputTransformer): the start step maps the event's fields to parameters
(runtime/run_input.py), and the run records which trigger started it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from .dsl.triggers import STATES_STATUS_CHANGE, TriggerSpec
from .graph.model import FlowGraph

__all__ = ["EventRule", "event_rules_of", "finish_pattern"]


@dataclass(frozen=True)
class EventRule:
    key: str  # construct id: "Trigger1", "OnFinish1", ...
    pattern_json: str  # the event pattern; for finish rules without the upstream ARN (CDK adds it)
    description: str
    finish_flow: str = ""  # @trigger_on_finish: the upstream flow (its state machine has its stack's name)


def finish_pattern(state_machine_arn: str) -> dict[str, object]:
    """Step Functions' own event when a run of the upstream state machine succeeds."""
    return {"source": ["aws.states"], "detail-type": [STATES_STATUS_CHANGE],
            "detail": {"status": ["SUCCEEDED"], "stateMachineArn": [state_machine_arn]}}


def event_rules_of(graph: FlowGraph) -> tuple[EventRule, ...]:
    specs = [d for d in graph.flow_decorators if isinstance(d, TriggerSpec)]
    events = [e for spec in specs for e in spec.events]
    finishes = [f for spec in specs for f in spec.finishes]
    rules = [EventRule(f"Trigger{i}", e.pattern_json, f"sfnflow {graph.name}: @trigger {e.name}")
             for i, e in enumerate(events, start=1)]
    rules += [EventRule(f"OnFinish{i}", json.dumps(finish_pattern(""), sort_keys=True),
                        f"sfnflow {graph.name}: @trigger_on_finish {f.flow}", finish_flow=f.flow)
              for i, f in enumerate(finishes, start=1)]
    return tuple(rules)
