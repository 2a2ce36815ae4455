"""Create, update or delete one CloudFormation stack with boto3, reporting progress.

What to do is decided in plan.py (`plan_stack`), from the state read here; this module
reads (`read_stack_state`) and carries a plan out (`apply_stack_plan`). Updates use
UpdateStack (not change sets: moto's change-set path drops stack outputs and exports);
`--plan` asks CloudFormation for a change set only to read it, and deletes it again.
An update whose template equals the deployed one is not sent at all ("no changes"); if
AWS still says "No updates are to be performed", that is the same answer. On failure the
first failing resource and its reason are in the DeployError.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import DeployError
from .plan import BLOCKED, CREATE, RECREATE, UNCHANGED, UPDATE, StackPlan, StackState, plan_stack

__all__ = ["StackResult", "apply_stack_plan", "change_set_replacements", "changed_resources", "delete_stack",
           "deploy_stack", "read_stack_state", "stack_outputs"]

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
TEMPLATE_BODY_LIMIT = 51_200  # bytes; above it CloudFormation wants the template in S3
EventSink = Callable[[str], None]


@dataclass
class StackResult:
    name: str
    action: str  # "created" | "updated" | "unchanged" | "deleted" | "absent"
    outputs: dict[str, str] = field(default_factory=dict)
    changes: dict[str, list[str]] = field(default_factory=dict)  # added / modified / removed logical ids
    warning: str = ""  # something AWS reported that did not stop the operation


def _status(cfn: Any, name: str) -> dict[str, Any] | None:
    import botocore.exceptions as bx

    try:
        return dict(cfn.describe_stacks(StackName=name)["Stacks"][0])
    except bx.ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def stack_outputs(cfn: Any, name: str) -> dict[str, str]:
    stack = _status(cfn, name) or {}
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def changed_resources(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[str]]:
    """Logical ids added, modified and removed between two templates."""
    before, after = old.get("Resources", {}), new.get("Resources", {})
    return {"added": sorted(set(after) - set(before)), "removed": sorted(set(before) - set(after)),
            "modified": sorted(k for k in set(before) & set(after) if before[k] != after[k])}


def read_stack_state(cfn: Any, name: str) -> StackState:
    """The stack as CloudFormation has it: status, deployed template, outputs (read-only calls)."""
    existing = _status(cfn, name)
    if existing is None:
        return StackState.absent()
    outputs = {o["OutputKey"]: o["OutputValue"] for o in existing.get("Outputs", [])}
    template = None
    if existing["StackStatus"] != "ROLLBACK_COMPLETE" and not existing["StackStatus"].endswith("_IN_PROGRESS"):
        template = json.loads(_template_text(cfn, name))
    return StackState(True, existing["StackStatus"], template, outputs)


def deploy_stack(cfn: Any, name: str, template: dict[str, Any], *, on_event: EventSink = print,
                 template_url: Callable[[str], str] | None = None, poll: float = 2.0,
                 timeout: float = 3600.0) -> StackResult:
    """Create the stack, or update it if it exists and differs. Returns what happened."""
    plan = plan_stack(name, read_stack_state(cfn, name), template)
    return apply_stack_plan(cfn, plan, template, on_event=on_event, template_url=template_url, poll=poll,
                            timeout=timeout)


def _template_arguments(name: str, template: dict[str, Any],
                        template_url: Callable[[str], str] | None) -> dict[str, Any]:
    body = json.dumps(template, indent=1, sort_keys=True)
    kwargs: dict[str, Any] = {"StackName": name, "Capabilities": CAPABILITIES}
    if len(body.encode()) > TEMPLATE_BODY_LIMIT and template_url is not None:
        kwargs["TemplateURL"] = template_url(body)
    else:
        kwargs["TemplateBody"] = body
    return kwargs


def apply_stack_plan(cfn: Any, plan: StackPlan, template: dict[str, Any], *, on_event: EventSink = print,
                     template_url: Callable[[str], str] | None = None, poll: float = 2.0,
                     timeout: float = 3600.0) -> StackResult:
    """Carry out one stack's plan (plan.py decided it)."""
    name = plan.name
    if plan.action == BLOCKED:
        raise DeployError(f"stack {name} cannot be deployed: {plan.reason}.")
    if plan.action == UNCHANGED:
        return StackResult(name, "unchanged", dict(plan.outputs))
    kwargs = _template_arguments(name, template, template_url)
    if plan.action == RECREATE:
        on_event(f"{name}: removing the stack left by a failed first deploy (it holds no resources)")
        delete_stack(cfn, name, on_event=on_event, poll=poll)
    if plan.action in (CREATE, RECREATE):
        cfn.create_stack(**kwargs, OnFailure="ROLLBACK")
        _wait(cfn, name, "CREATE", on_event, poll, timeout, since=None)
        return StackResult(name, "created", stack_outputs(cfn, name), {"added": sorted(template.get("Resources", {}))})
    changes = _changes_by_kind(plan)
    since = _last_event_id(cfn, name)
    import botocore.exceptions as bx

    try:
        cfn.update_stack(**kwargs)
    except bx.ClientError as exc:
        if "No updates are to be performed" in str(exc):
            return StackResult(name, "unchanged", stack_outputs(cfn, name))
        raise DeployError(f"CloudFormation refused the update of {name}: {exc}") from None
    _wait(cfn, name, "UPDATE", on_event, poll, timeout, since=since)
    return StackResult(name, "updated", stack_outputs(cfn, name), changes)


def _changes_by_kind(plan: StackPlan) -> dict[str, list[str]]:
    kinds = {"add": "added", "modify": "modified", "remove": "removed"}
    out: dict[str, list[str]] = {"added": [], "removed": [], "modified": []}
    for change in plan.changes:
        out[kinds[change.action]].append(change.logical_id)
    return {k: sorted(v) for k, v in out.items()}


def change_set_replacements(cfn: Any, plan: StackPlan, template: dict[str, Any],
                            template_url: Callable[[str], str] | None = None,
                            poll: float = 1.0, timeout: float = 300.0) -> StackPlan:
    """The update plan with CloudFormation's own change set read into it (which resources it would
    replace); the change set is deleted again, so nothing changes. Without one (CloudFormation
    refused it, or the emulator cannot make it), the plan says so and keeps the template diff."""
    if plan.action != UPDATE:
        return plan
    import botocore.exceptions as bx

    change_set = f"sfnflow-plan-{int(time.time())}"
    kwargs = _template_arguments(plan.name, template, template_url)
    try:
        cfn.create_change_set(**kwargs, ChangeSetName=change_set, ChangeSetType="UPDATE")
        try:
            deadline = time.monotonic() + timeout
            while True:
                described = cfn.describe_change_set(StackName=plan.name, ChangeSetName=change_set)
                if not str(described.get("Status", "")).endswith(("_PENDING", "_IN_PROGRESS")):
                    break
                if time.monotonic() > deadline:
                    return plan.with_replacements({}, "CloudFormation's change set did not finish in time")
                time.sleep(poll)
            if described.get("Status") == "FAILED":
                return plan.with_replacements({}, f"CloudFormation's change set failed: "
                                                  f"{described.get('StatusReason', 'no reason given')}")
            found = {c["ResourceChange"]["LogicalResourceId"]: str(c["ResourceChange"].get("Replacement", ""))
                     for c in described.get("Changes", []) if "ResourceChange" in c}
            return plan.with_replacements(found, "replacements as CloudFormation's change set says")
        finally:
            cfn.delete_change_set(StackName=plan.name, ChangeSetName=change_set)
    except (bx.ClientError, KeyError) as exc:
        return plan.with_replacements({}, f"CloudFormation's change set was not available ({exc}); changes are "
                                          "from comparing the templates")


def delete_stack(cfn: Any, name: str, *, on_event: EventSink = print, poll: float = 2.0,
                 timeout: float = 3600.0) -> StackResult:
    existing = _status(cfn, name)
    if existing is None:
        return StackResult(name, "absent")
    import botocore.exceptions as bx

    since = _last_event_id(cfn, name)
    try:
        cfn.delete_stack(StackName=name)
        _wait(cfn, name, "DELETE", on_event, poll, timeout, since=since, stack_id=existing["StackId"])
    except (bx.ClientError, DeployError) as exc:
        # Judge by what is left, not by the error: moto's CloudFormation, for one, reports a
        # DependencyViolation (a VPC deleted before its subnets) and deletes the stack anyway.
        left = _status(cfn, existing["StackId"])
        if left is None or left.get("StackStatus") == "DELETE_COMPLETE":
            return StackResult(name, "deleted", warning=f"AWS reported an error while deleting, but the stack "
                                                        f"is gone: {_short(exc)}")
        raise DeployError(f"stack {name} was not deleted (it is {left.get('StackStatus')}): {_short(exc)}. "
                          "See its events in the CloudFormation console, fix or retain the resource named "
                          "there, and run destroy again.") from None
    return StackResult(name, "deleted")


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 300 else text[:297] + "..."


def _template_text(cfn: Any, name: str) -> str:
    body = cfn.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
    return body if isinstance(body, str) else json.dumps(body)


def _events(cfn: Any, name: str) -> list[dict[str, Any]]:
    try:
        return list(cfn.describe_stack_events(StackName=name)["StackEvents"])  # newest first
    except Exception:  # the stack may vanish while being deleted
        return []


def _last_event_id(cfn: Any, name: str) -> str | None:
    events = _events(cfn, name)
    return events[0]["EventId"] if events else None


def _wait(cfn: Any, name: str, verb: str, on_event: EventSink, poll: float, timeout: float,
          since: str | None, stack_id: str | None = None) -> None:
    """Poll until the operation settles, printing each new stack event; raise on failure."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while True:
        new = []
        for event in _events(cfn, stack_id or name):
            if event["EventId"] == since:
                break
            if event["EventId"] not in seen:
                new.append(event)
        for event in reversed(new):
            seen.add(event["EventId"])
            reason = f"  {event['ResourceStatusReason']}" if event.get("ResourceStatusReason") else ""
            on_event(f"{event['LogicalResourceId']:<40} {event.get('ResourceType', ''):<34} "
                     f"{event['ResourceStatus']}{reason}")
        stack = _status(cfn, stack_id or name)
        status = stack["StackStatus"] if stack else "DELETE_COMPLETE"
        if not status.endswith("_IN_PROGRESS"):
            break
        if time.monotonic() > deadline:
            raise DeployError(f"stack {name} is still {status} after {int(timeout)} s; watch it in the console.")
        time.sleep(poll)
    if status != f"{verb}_COMPLETE":
        failed = [e for e in _events(cfn, stack_id or name)
                  if e["ResourceStatus"].endswith("_FAILED") and e["LogicalResourceId"] != name]
        first = failed[-1] if failed else None
        where = (f": {first['LogicalResourceId']} ({first.get('ResourceType', '')}) failed: "
                 f"{first.get('ResourceStatusReason', 'no reason given')}") if first else ""
        raise DeployError(f"{verb.lower()} of stack {name} ended in {status}{where}")
