"""deploy_flow / destroy_flow: the whole deploy of one flow, as the CLI runs it.

    synth (both stacks) -> datastore stack (created once per account and Region; unchanged after)
      -> publish the code package to the datastore bucket (skipped when already there)
      -> flow stack (created, updated, or "no changes")
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

from .aws import AwsTarget
from .publish import PublishedAsset, publish_assets
from .stacks import StackResult, delete_stack, deploy_stack, stack_outputs
from .synth import SynthResult, synth_flow

__all__ = ["DeployResult", "deploy_flow", "destroy_flow"]


@dataclass
class DeployResult:
    synth: SynthResult
    datastore: StackResult
    flow: StackResult
    assets: list[PublishedAsset] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.flow.action != "unchanged" or self.datastore.action != "unchanged" or any(
            a.uploaded for a in self.assets)


def deploy_flow(config: Any, target: AwsTarget, *, on_event: Callable[[str], None] = print,
                synth: SynthResult | None = None, poll: float = 2.0) -> DeployResult:
    """Deploy (or update) the datastore and the flow's stack; return what changed."""
    synth = synth or synth_flow(config)
    cfn, s3 = target.client("cloudformation"), target.client("s3")
    datastore = deploy_stack(cfn, synth.datastore.name, synth.datastore.template(), on_event=on_event, poll=poll)
    assets = publish_assets(synth.flow.assets_path, s3, target.account, target.region) if synth.flow.assets_path else []
    bucket = datastore.outputs.get("BucketName") or stack_outputs(cfn, synth.datastore.name).get("BucketName", "")

    def template_url(body: str) -> str:
        key = f"templates/{hashlib.sha256(body.encode()).hexdigest()}.json"
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
        base = target.endpoint.rstrip("/") if target.endpoint else f"https://s3.{target.region}.amazonaws.com"
        return f"{base}/{bucket}/{key}"

    flow = deploy_stack(cfn, synth.flow.name, synth.flow.template(), on_event=on_event,
                        template_url=template_url, poll=poll)
    return DeployResult(synth=synth, datastore=datastore, flow=flow, assets=assets)


def destroy_flow(stack_name: str, target: AwsTarget, *, on_event: Callable[[str], None] = print,
                 poll: float = 2.0) -> tuple[StackResult, dict[str, str]]:
    """Delete the flow's stack; return it and the outputs it had (what the datastore keeps)."""
    cfn = target.client("cloudformation")
    outputs = stack_outputs(cfn, stack_name) if _exists(cfn, stack_name) else {}
    return delete_stack(cfn, stack_name, on_event=on_event, poll=poll), outputs


def _exists(cfn: Any, name: str) -> bool:
    try:
        cfn.describe_stacks(StackName=name)
        return True
    except Exception:
        return False
