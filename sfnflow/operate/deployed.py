"""find_deployed: a flow's name (or file) -> what its deployed stack serves.

The stack's outputs are the truth: the state machine, the datastore, and the parameter
spec the deployed code was compiled with (sfn_compiler/run_contract.py). A stack that is
being deployed, failed its first deploy or is being deleted is refused with one
sentence, so that nothing starts against a half-made flow.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from sfn_compiler.dsl.specs import ParameterSpec
from sfn_compiler.run_contract import PARAMETER_SPEC_OUTPUT, STEP_GRAPH_OUTPUT, decode_parameter_specs, decode_step_graph

from .errors import OperateError
from .profile import Deployment, load_deployments
from .session import OperateTarget, operate_target

__all__ = ["DeployedFlow", "find_deployed", "flow_name_of", "read_stack"]

USABLE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE",
          "IMPORT_ROLLBACK_COMPLETE")


@dataclass(frozen=True)
class DeployedFlow:
    name: str
    stack: str
    state_machine_arn: str
    bucket: str
    table: str
    parameters: tuple[ParameterSpec, ...]
    target: OperateTarget
    steps: dict[str, tuple[str, ...]] | None = None  # step -> out-edges, in source order (StepGraph)

    @property
    def region(self) -> str:
        return self.target.region

    def deployment(self) -> Deployment:
        return Deployment(flow=self.name, stack=self.stack, state_machine_arn=self.state_machine_arn,
                          bucket=self.bucket, table=self.table, region=self.target.region,
                          account=self.target.account, endpoint=self.target.endpoint)

    def stores(self) -> Any:
        """The client's Stores for this flow's datastore (S3 + DynamoDB)."""
        from ..client.stores import cloud_stores

        return cloud_stores(self.bucket, self.table, s3_client=self.target.client("s3"),
                            dynamodb_client=self.target.client("dynamodb"))


def flow_name_of(ref: str) -> str:
    """FLOW may be a flow's name or its file (`flow.py`): the file's flow class names it."""
    if ref.endswith(".py") or os.path.sep in ref:
        if not os.path.isfile(ref):
            raise OperateError(f"there is no flow file {ref}; give the flow's file or its name (e.g. TrainFlow).")
        from sfn_compiler.loader import load_flow

        return str(load_flow(ref).__name__)
    return ref


def find_deployed(ref: str, *, region: str | None = None, profile: str | None = None,
                  stack_name: str | None = None, target: OperateTarget | None = None) -> DeployedFlow:
    """Raises OperateError: not deployed here, deploy under way or failed, no credentials/Region."""
    from cdk.config import flow_stack_name

    name = flow_name_of(ref)
    known = load_deployments().get(name)
    target = target or operate_target(known, region=region, profile=profile)
    stack = stack_name or (known.stack if known else flow_stack_name(name))
    outputs = read_stack(target.client("cloudformation"), stack, name, target.where)
    missing = [k for k in ("StateMachineArn", "BucketName", "TableName", PARAMETER_SPEC_OUTPUT) if k not in outputs]
    if missing:
        raise OperateError(f"stack {stack} has no {', '.join(missing)} output: it was deployed by an older sfnflow; "
                           f"deploy it again (sfnflow deploy FLOW.py).")
    try:
        specs = decode_parameter_specs(outputs[PARAMETER_SPEC_OUTPUT])
    except (ValueError, TypeError, KeyError):
        raise OperateError(f"stack {stack}'s parameter spec cannot be read; deploy the flow again.") from None
    try:
        steps = decode_step_graph(outputs[STEP_GRAPH_OUTPUT]) if STEP_GRAPH_OUTPUT in outputs else None
    except (ValueError, TypeError):
        steps = None
    return DeployedFlow(name=outputs.get("FlowName", name), stack=stack, state_machine_arn=outputs["StateMachineArn"],
                        bucket=outputs["BucketName"], table=outputs["TableName"], parameters=specs, target=target,
                        steps=steps)


def read_stack(cfn: Any, stack: str, flow: str, where: str) -> dict[str, str]:
    """The outputs of a settled, usable flow stack (OperateError otherwise)."""
    import botocore.exceptions as bx

    try:
        found = cfn.describe_stacks(StackName=stack)["Stacks"]
    except bx.ClientError as exc:
        if "does not exist" in str(exc):
            raise OperateError(f"flow {flow} is not deployed in {where} (no stack {stack}): deploy it with "
                               "`sfnflow deploy FLOW.py` first.") from None
        raise OperateError(f"CloudFormation refused to describe stack {stack}: {exc}") from None
    except bx.EndpointConnectionError:
        raise OperateError(f"cannot reach {where}: is `sfnflow emulator` running?") from None
    status = found[0]["StackStatus"]
    if status == "DELETE_IN_PROGRESS" or status == "DELETE_COMPLETE":
        raise OperateError(f"flow {flow}'s stack {stack} is being deleted ({status}); deploy it again to use it.")
    if status.endswith("_IN_PROGRESS"):
        raise OperateError(f"a deploy of {flow} is under way (stack {stack} is {status}); wait for it to finish, "
                           "then try again.")
    if status not in USABLE:
        raise OperateError(f"flow {flow}'s stack {stack} is {status}: its last deploy failed; fix the cause and "
                           "deploy again (sfnflow deploy FLOW.py).")
    return {o["OutputKey"]: o["OutputValue"] for o in found[0].get("Outputs", [])}
