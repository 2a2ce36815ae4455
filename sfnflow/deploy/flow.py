"""plan_flow / deploy_flow / destroy_flow: the whole deploy of one flow, as the CLI runs it.

    synth (both stacks) -> plan (read-only: stack states, deployed templates, which assets exist)
      -> datastore stack (created once per account and Region; unchanged after)
      -> publish the code package (and the Batch steps' boto3 bundle) unless already there
      -> flow stack (created, updated, or "no changes")
      -> the code package the flow stopped using is tagged for expiry (code_lifecycle.py)

`sfnflow deploy --plan` stops after the plan. What to do is decided in plan.py (pure);
this module reads the state it decides from and carries the plan out.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

from .aws import AwsTarget
from .code_lifecycle import mark_superseded
from .errors import DeployError
from .package import code_key
from .plan import DeployPlan, plan_deploy, plan_stack
from .publish import PublishedAsset, plan_assets, publish_assets
from .stacks import (
    StackResult,
    apply_stack_plan,
    change_set_replacements,
    delete_stack,
    read_stack_state,
    stack_outputs,
)
from .synth import SynthResult, synth_flow

__all__ = ["DeployResult", "deploy_flow", "destroy_flow", "plan_flow"]


@dataclass
class DeployResult:
    synth: SynthResult
    datastore: StackResult
    flow: StackResult
    assets: list[PublishedAsset] = field(default_factory=list)
    plan: DeployPlan | None = None
    superseded: str = ""  # the code package tagged for expiry, if any

    @property
    def changed(self) -> bool:
        return self.flow.action != "unchanged" or self.datastore.action != "unchanged" or any(
            a.uploaded for a in self.assets)


def plan_flow(synth: SynthResult, target: AwsTarget, *, change_set: bool = False) -> DeployPlan:
    """What deploying `synth` would do, read without changing anything.

    `change_set`: also ask CloudFormation which resources an update would replace (it
    makes a change set, reads it, and deletes it; the stacks are not touched).
    """
    cfn, s3 = target.client("cloudformation"), target.client("s3")
    datastore_template, flow_template = synth.datastore.template(), synth.flow.template()
    datastore = plan_stack(synth.datastore.name, read_stack_state(cfn, synth.datastore.name), datastore_template)
    flow = plan_stack(synth.flow.name, read_stack_state(cfn, synth.flow.name), flow_template)
    if change_set:
        flow = change_set_replacements(cfn, flow, flow_template)
    assets = plan_assets(synth.flow.assets_path, s3, target.account, target.region) if synth.flow.assets_path else []
    return plan_deploy(datastore, flow, assets, code_key(synth.package.sha256))


def deploy_flow(config: Any, target: AwsTarget, *, on_event: Callable[[str], None] = print,
                synth: SynthResult | None = None, poll: float = 2.0, plan: DeployPlan | None = None) -> DeployResult:
    """Deploy (or update) the datastore and the flow's stack; return what changed."""
    synth = synth or synth_flow(config)
    plan = plan or plan_flow(synth, target)
    if plan.blocked is not None:
        raise DeployError(f"stack {plan.blocked.name} cannot be deployed: {plan.blocked.reason}.")
    cfn, s3 = target.client("cloudformation"), target.client("s3")
    datastore = apply_stack_plan(cfn, plan.datastore, synth.datastore.template(), on_event=on_event, poll=poll)
    assets = publish_assets(synth.flow.assets_path, s3, target.account, target.region) if synth.flow.assets_path else []
    bucket = datastore.outputs.get("BucketName") or stack_outputs(cfn, synth.datastore.name).get("BucketName", "")

    def template_url(body: str) -> str:
        key = f"templates/{hashlib.sha256(body.encode()).hexdigest()}.json"
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode(), ExpectedBucketOwner=target.account)
        base = target.endpoint.rstrip("/") if target.endpoint else f"https://s3.{target.region}.amazonaws.com"
        return f"{base}/{bucket}/{key}"

    flow = apply_stack_plan(cfn, plan.flow, synth.flow.template(), on_event=on_event,
                            template_url=template_url, poll=poll)
    superseded = ""
    if plan.superseded_code and mark_superseded(cfn, s3, bucket, plan.superseded_code, target.account, flow.name):
        superseded = plan.superseded_code
    return DeployResult(synth=synth, datastore=datastore, flow=flow, assets=assets, plan=plan, superseded=superseded)


def destroy_flow(stack_name: str, target: AwsTarget, *, on_event: Callable[[str], None] = print,
                 poll: float = 2.0) -> tuple[StackResult, dict[str, str]]:
    """Delete the flow's stack; return it and the outputs it had (what the datastore keeps).

    Its code package is tagged for expiry unless another stack still uses it.
    """
    cfn = target.client("cloudformation")
    outputs = stack_outputs(cfn, stack_name) if _exists(cfn, stack_name) else {}
    result = delete_stack(cfn, stack_name, on_event=on_event, poll=poll)
    if result.action == "deleted" and outputs.get("CodeKey") and outputs.get("BucketName"):
        mark_superseded(cfn, target.client("s3"), outputs["BucketName"], outputs["CodeKey"], target.account,
                        stack_name)
    return result, outputs


def _exists(cfn: Any, name: str) -> bool:
    try:
        cfn.describe_stacks(StackName=name)
        return True
    except Exception:
        return False
