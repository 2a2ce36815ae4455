"""What a deploy would do, decided from what is there and what was synthesized; pure, no AWS calls.

    state = StackState.of(describe_stacks(...)[0], deployed_template)   # read by sfnflow/deploy/flow.py
    plan = plan_stack("LinearFlow", state, new_template)                # decided here
    plan.action, plan.changes                                           # applied by stacks.apply_stack_plan

`sfnflow deploy --plan` prints a DeployPlan and stops; `sfnflow deploy` applies the same
plan. Resource changes come from comparing the templates (logical id, type, which
properties differ); when CloudFormation's own change set could be read, each change also
says whether CloudFormation will replace the resource.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

__all__ = ["AssetPlan", "DeployPlan", "ResourceChange", "StackPlan", "StackState", "plan_deploy", "plan_stack"]

CREATE, RECREATE, UPDATE, UNCHANGED, BLOCKED = "create", "recreate", "update", "unchanged", "blocked"
_BROKEN = ("UPDATE_ROLLBACK_FAILED", "DELETE_FAILED", "ROLLBACK_FAILED", "IMPORT_ROLLBACK_FAILED")
_SYMBOL = {"add": "+", "modify": "~", "remove": "-"}


@dataclass(frozen=True)
class StackState:
    """A stack as CloudFormation has it now (exists False: there is none)."""

    exists: bool
    status: str = ""
    template: Mapping[str, Any] | None = None
    outputs: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def absent(cls) -> "StackState":
        return cls(False)


@dataclass(frozen=True)
class ResourceChange:
    logical_id: str
    type: str
    action: str  # "add" | "modify" | "remove"
    properties: tuple[str, ...] = ()  # top-level properties that differ (modify)
    replacement: str = ""  # CloudFormation's answer when a change set was read: "True" | "False" | "Conditional"

    def line(self) -> str:
        props = f" ({', '.join(self.properties)})" if self.properties else ""
        replace_note = {"True": ", replaced", "Conditional": ", maybe replaced"}.get(self.replacement, "")
        return f"{_SYMBOL[self.action]} {self.logical_id:<44} {self.type}{props}{replace_note}"


@dataclass(frozen=True)
class StackPlan:
    name: str
    action: str  # create | recreate | update | unchanged | blocked
    changes: tuple[ResourceChange, ...] = ()
    reason: str = ""  # why it is blocked, or a note on the changes
    outputs: Mapping[str, str] = field(default_factory=dict)  # the stack's outputs now

    @property
    def changed(self) -> bool:
        return self.action in (CREATE, RECREATE, UPDATE)

    def with_replacements(self, replacements: Mapping[str, str], note: str = "") -> "StackPlan":
        """The same plan with CloudFormation's replacement answers (from its change set) filled in."""
        changes = tuple(replace(c, replacement=replacements.get(c.logical_id, c.replacement)) for c in self.changes)
        return replace(self, changes=changes, reason=note or self.reason)

    def lines(self) -> list[str]:
        head = {CREATE: "create", RECREATE: "create (after removing the stack a failed first deploy left)",
                UPDATE: "update", UNCHANGED: "unchanged", BLOCKED: "cannot deploy"}[self.action]
        out = [f"stack {self.name}: {head}" + (f": {self.reason}" if self.reason and self.action == BLOCKED else "")]
        out += [f"    {c.line()}" for c in self.changes]
        if self.reason and self.action != BLOCKED:
            out.append(f"    ({self.reason})")
        return out


@dataclass(frozen=True)
class AssetPlan:
    name: str
    bucket: str
    key: str
    upload: bool  # False: the same content-addressed object is already there

    def line(self) -> str:
        verb = "upload" if self.upload else "already there:"
        return f"{verb} s3://{self.bucket}/{self.key} ({self.name})"


@dataclass(frozen=True)
class DeployPlan:
    datastore: StackPlan
    assets: tuple[AssetPlan, ...]
    flow: StackPlan
    superseded_code: str = ""  # the code package the flow stops using (tagged for expiry after the deploy)

    @property
    def changed(self) -> bool:
        return self.datastore.changed or self.flow.changed or any(a.upload for a in self.assets)

    @property
    def blocked(self) -> StackPlan | None:
        return next((p for p in (self.datastore, self.flow) if p.action == BLOCKED), None)

    def lines(self) -> list[str]:
        out = self.datastore.lines() + [a.line() for a in self.assets] + self.flow.lines()
        if self.superseded_code:
            out.append(f"then tag {self.superseded_code} superseded (the bucket expires it after 30 days)")
        if not self.changed and not self.blocked:
            out.append(f"no changes: {self.flow.name} is deployed as it is now.")
        return out


def plan_stack(name: str, state: StackState, template: Mapping[str, Any]) -> StackPlan:
    """Create, update, leave alone or refuse one stack, and which resources change."""
    if not state.exists:
        return StackPlan(name, CREATE, _diff({}, template))
    status = state.status
    if status == "ROLLBACK_COMPLETE":  # a failed first create: an empty stack that can only be deleted
        return StackPlan(name, RECREATE, _diff({}, template))
    if status.endswith("_IN_PROGRESS"):
        return StackPlan(name, BLOCKED, reason=f"it is busy ({status}); wait for it to finish and deploy again",
                         outputs=state.outputs)
    if status in _BROKEN:
        return StackPlan(name, BLOCKED, outputs=state.outputs,
                         reason=f"it is in {status}; fix it in the CloudFormation console (continue the rollback "
                                "or delete it) and deploy again")
    old = dict(state.template or {})
    if old == dict(template):
        return StackPlan(name, UNCHANGED, outputs=state.outputs)
    return StackPlan(name, UPDATE, _diff(old, template), outputs=state.outputs)


def plan_deploy(datastore: StackPlan, flow: StackPlan, assets: Sequence[AssetPlan], new_code_key: str) -> DeployPlan:
    """The whole deploy; the flow's previous code package is superseded when the key changes."""
    old_key = str(flow.outputs.get("CodeKey", "")) if flow.action == UPDATE else ""
    superseded = old_key if old_key and old_key != new_code_key else ""
    return DeployPlan(datastore=datastore, assets=tuple(assets), flow=flow, superseded_code=superseded)


def _diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[ResourceChange, ...]:
    before, after = dict(old.get("Resources", {})), dict(new.get("Resources", {}))
    changes = [ResourceChange(k, after[k].get("Type", ""), "add") for k in sorted(set(after) - set(before))]
    for key in sorted(set(before) & set(after)):
        if before[key] != after[key]:
            props_old, props_new = before[key].get("Properties", {}), after[key].get("Properties", {})
            names = sorted(p for p in set(props_old) | set(props_new) if props_old.get(p) != props_new.get(p))
            other = sorted(k for k in set(before[key]) | set(after[key])
                           if k != "Properties" and before[key].get(k) != after[key].get(k))
            changes.append(ResourceChange(key, after[key].get("Type", ""), "modify", tuple(names + other)))
    changes += [ResourceChange(k, before[k].get("Type", ""), "remove") for k in sorted(set(before) - set(after))]
    return tuple(changes)
