"""AWS Batch for a flow's Batch steps: network, compute environments, queues, job definitions.

Built from `DeploymentModel.job_definitions`. The "cpu" queue runs on Fargate (no
instances to manage, nothing running while idle) unless a job is larger than any Fargate
size; the "gpu" queue runs on EC2 GPU instances (Fargate has no GPUs). Every compute
environment scales to zero vCPUs. Without a configured VPC, a small VPC with public
subnets only is created: tasks get public IPs to reach S3, DynamoDB and the image
registry, and there is no NAT gateway, which would cost money every hour.
"""
from __future__ import annotations

import math
from typing import Any

from aws_cdk import Size
from aws_cdk import aws_batch as batch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from constructs import Construct

from sfn_compiler.deploy_model import BatchJobDefinition, DeploymentModel

from .config import DeployConfig
from .nag import acknowledge, acknowledge_findings

__all__ = ["BatchCompute", "fargate_size"]

# Fargate's valid (vCPU, memory MiB) pairs: Batch rejects any other combination.
_FARGATE: tuple[tuple[float, range], ...] = (
    (0.25, range(512, 2049, 512)),
    (0.5, range(1024, 4097, 1024)),
    (1.0, range(2048, 8193, 1024)),
    (2.0, range(4096, 16385, 1024)),
    (4.0, range(8192, 30721, 1024)),
    (8.0, range(16384, 61441, 4096)),
    (16.0, range(32768, 122881, 8192)),
)
_GPU_INSTANCE_CLASSES = ("G4DN", "G5", "G6")


def fargate_size(cpu: float, memory_mb: int) -> tuple[float, int] | None:
    """The smallest Fargate size with at least `cpu` vCPUs and `memory_mb` MiB, or None."""
    for vcpu, memories in _FARGATE:
        if vcpu < cpu:
            continue
        fits = [m for m in memories if m >= memory_mb]
        if fits:
            return vcpu, fits[0]
    return None


class BatchCompute(Construct):
    """Job queues (by queue kind) and job definitions (by model key) for one flow."""

    def __init__(self, scope: Construct, cid: str, *, model: DeploymentModel, config: DeployConfig,
                 environment: dict[str, str], grant_data: Any) -> None:
        super().__init__(scope, cid)
        self.config = config
        vpc, subnets, groups = self._network()
        self.job_role = iam.Role(self, "JobRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
                                 description="sfnflow Batch tasks: read/write the datastore")
        grant_data(self.job_role)
        self.queues: dict[str, batch.JobQueue] = {}
        self.job_definitions: dict[str, batch.EcsJobDefinition] = {}
        kinds = sorted({j.queue for j in model.job_definitions})
        for kind in kinds:
            jobs = [j for j in model.job_definitions if j.queue == kind]
            on_fargate = kind == "cpu" and all(fargate_size(j.cpu, j.memory_mb) for j in jobs)
            env = self._compute_environment(kind, on_fargate, vpc, subnets, groups)
            self.queues[kind] = batch.JobQueue(
                self, f"Queue_{kind}", compute_environments=[batch.OrderedComputeEnvironment(
                    compute_environment=env, order=1)])
            for job in jobs:
                self.job_definitions[job.key] = self._job_definition(job, on_fargate, environment)

    # -- network -----------------------------------------------------------------------
    def _network(self) -> tuple[ec2.IVpc, ec2.SubnetSelection, list[ec2.ISecurityGroup]]:
        config = self.config
        if config.vpc_id:
            vpc = ec2.Vpc.from_vpc_attributes(self, "Vpc", vpc_id=config.vpc_id,
                                              availability_zones=[f"az{i}" for i, _ in enumerate(config.subnet_ids)])
            subnets = ec2.SubnetSelection(subnets=[ec2.Subnet.from_subnet_id(self, f"Subnet{i}", s)
                                                   for i, s in enumerate(config.subnet_ids)])
        else:
            vpc = ec2.Vpc(
                self, "Vpc", max_azs=2, nat_gateways=0,
                # A True here adds a custom resource (Custom::VpcRestrictDefaultSG): none allowed.
                restrict_default_security_group=False,
                subnet_configuration=[ec2.SubnetConfiguration(
                    name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=20, map_public_ip_on_launch=True)],
            )
            acknowledge(vpc, "AwsSolutions-VPC7",
                        "VPC flow logs cost per GB ingested; this VPC only carries Batch tasks' outbound calls "
                        "to AWS APIs and the image registry. Enable them on a VPC you bring (vpc_id).")
            subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
        if config.security_group_ids:
            groups = [ec2.SecurityGroup.from_security_group_id(self, f"Group{i}", g)
                      for i, g in enumerate(config.security_group_ids)]
        else:
            groups = [ec2.SecurityGroup(self, "Tasks", vpc=vpc, allow_all_outbound=True,
                                        description="sfnflow Batch tasks: outbound only (no inbound rules)")]
        return vpc, subnets, groups

    def _compute_environment(self, kind: str, on_fargate: bool, vpc: ec2.IVpc, subnets: ec2.SubnetSelection,
                             groups: list[ec2.ISecurityGroup]) -> batch.IComputeEnvironment:
        common: dict[str, Any] = dict(vpc=vpc, vpc_subnets=subnets, security_groups=groups,
                                      maxv_cpus=self.config.batch_max_vcpus)
        if on_fargate:
            return batch.FargateComputeEnvironment(self, f"Compute_{kind}", **common)
        classes = ([getattr(ec2.InstanceClass, c) for c in _GPU_INSTANCE_CLASSES] if kind == "gpu" else None)
        env = batch.ManagedEc2EcsComputeEnvironment(
            self, f"Compute_{kind}", minv_cpus=0,  # scale to zero: no idle instances
            instance_classes=classes, use_optimal_instance_classes=kind != "gpu", **common)
        acknowledge_findings(
            env, "AwsSolutions-IAM4",
            ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"],
            "AmazonEC2ContainerServiceforEC2Role is the instance policy AWS Batch documents for ECS container "
            "instances; it grants only ECS agent and image-pull actions.")
        return env

    # -- job definitions -----------------------------------------------------------------
    def _job_definition(self, job: BatchJobDefinition, on_fargate: bool,
                        environment: dict[str, str]) -> batch.EcsJobDefinition:
        env = dict(job.environment)
        env.update(environment)
        # No @batch(image=...): config.image, a stock public.ecr.aws python:<deployer's major.minor>-slim
        # (no Docker Hub login; artifacts pickled there must load on the laptop). It has neither
        # sfnflow nor boto3: the compiled Command bootstraps them (sfn_compiler/batch_bootstrap.py).
        image = ecs.ContainerImage.from_registry(job.image or self.config.image)
        # The state machine overrides the command per task (the TaskEnvelope as arguments).
        command = ["python", "-m", "runtime.batch_main"]
        container: batch.IEcsContainerDefinition
        if on_fargate:
            size = fargate_size(job.cpu, job.memory_mb)
            assert size is not None
            container = batch.EcsFargateContainerDefinition(
                self, f"Container_{job.key}", image=image, cpu=size[0], memory=Size.mebibytes(size[1]),
                command=command, environment=env, job_role=self.job_role,
                assign_public_ip=not self.config.vpc_id)
        else:
            container = batch.EcsEc2ContainerDefinition(
                self, f"Container_{job.key}", image=image, cpu=max(1, math.ceil(job.cpu)),
                memory=Size.mebibytes(job.memory_mb), gpu=job.gpu or None,
                command=command, environment=env, job_role=self.job_role)
        acknowledge_findings(
            container, "AwsSolutions-IAM5",
            ["Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/batch/job:*"],
            "Batch writes every job's output to the /aws/batch/job log group, one stream per job (named at run "
            "time).")
        return batch.EcsJobDefinition(
            self, f"Job_{job.key}", container=container,
            # Step Functions' Retry (from @retry) retries a failed job; Batch must not retry too.
            # @timeout is the Task state's TimeoutSeconds, which also stops the job.
            retry_attempts=1)
