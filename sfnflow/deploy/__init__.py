"""Deploying flows: synth (CDK, in this process) -> publish assets -> CloudFormation, with boto3.

    from sfnflow.deploy import synth_flow, deploy_flow, destroy_flow, aws_session
    result = deploy_flow(DeployConfig(flow_file="flow.py"), aws_session(region="eu-west-1"), on_event=print)

`synth_flow` needs no credentials. The CDK (aws-cdk-lib, constructs) is the optional
`deploy` extra and is imported only when a template is synthesized.
"""
from __future__ import annotations

from .errors import DeployError
from .aws import aws_session
from .stacks import StackResult
from .flow import DeployResult, deploy_flow, destroy_flow, plan_flow
from .plan import DeployPlan
from .synth import SynthResult, synth_flow

__all__ = ["DeployError", "DeployPlan", "DeployResult", "StackResult", "SynthResult", "aws_session", "deploy_flow",
           "destroy_flow", "plan_flow", "synth_flow"]
