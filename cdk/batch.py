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
from typing import Any, Mapping

from aws_cdk import Duration, RemovalPolicy, Size
from aws_cdk import aws_batch as batch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from sfn_compiler.asl.states import BATCH_DEFAULT_ATTEMPT_SECONDS
from sfn_compiler.batch_sizes import fargate_size, fit_ec2_job, queue_on_fargate, size_notes
from sfn_compiler.deploy_model import BatchJobDefinition, DeploymentModel

from .config import DeployConfig
from .nag import acknowledge, acknowledge_findings

__all__ = ["BatchCompute", "fargate_size"]  # fargate_size: from sfn_compiler.batch_sizes

_GPU_INSTANCE_CLASSES = ("G4DN", "G5", "G6")
# Why Batch cancels a job that waited RUNNABLE past the queue's limit: the only reasons
# it offers, all of them "capacity that is not coming".
_RUNNABLE_REASONS = ("INSUFFICIENT_INSTANCE_CAPACITY", "COMPUTE_ENVIRONMENT_MAX_RESOURCE", "JOB_RESOURCE_REQUIREMENT")


class BatchCompute(Construct):
    """Job queues (by queue kind) and job definitions (by model key) for one flow."""

    def __init__(self, scope: Construct, cid: str, *, model: DeploymentModel, config: DeployConfig,
                 environment: dict[str, str], grant_data: Any, log_retention: logs.RetentionDays,
                 job_environments: Mapping[str, Mapping[str, str]] | None = None,
                 job_images: Mapping[str, str] | None = None) -> None:
        """`job_environments` / `job_images`: per job key, variables over `environment` and the
        image (a step environment's bundle and its Python's stock image)."""
        super().__init__(scope, cid)
        self._job_environments, self._job_images = dict(job_environments or {}), dict(job_images or {})
        self.config = config
        self.notes = size_notes(model.job_definitions)  # sizes adjusted so Batch can place the job
        # The flow's own log group (retention set, deleted with the stack), not the
        # account-wide /aws/batch/job that Batch creates with no retention.
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY)
        vpc, subnets, groups = self._network()
        self.job_role = iam.Role(self, "JobRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
                                 description="sfnflow Batch tasks: read/write the datastore")
        grant_data(self.job_role)
        self.queues: dict[str, batch.JobQueue] = {}
        self.job_definitions: dict[str, batch.EcsJobDefinition] = {}
        kinds = sorted({j.queue for j in model.job_definitions})
        for kind in kinds:
            jobs = [j for j in model.job_definitions if j.queue == kind]
            on_fargate = queue_on_fargate(kind, [(j.cpu, j.memory_mb) for j in jobs])
            env = self._compute_environment(kind, on_fargate, vpc, subnets, groups)
            self.queues[kind] = batch.JobQueue(
                self, f"Queue_{kind}", compute_environments=[batch.OrderedComputeEnvironment(
                    compute_environment=env, order=1)],
                job_state_time_limit_actions=self._runnable_limits())
            for job in jobs:
                self.job_definitions[job.key] = self._job_definition(
                    job, on_fargate, {**environment, **self._job_environments.get(job.key, {})})

    def _runnable_limits(self) -> list[batch.JobStateTimeLimitAction]:
        """Cancel jobs stuck RUNNABLE, so the waiting `.sync` state fails instead of waiting a year."""
        wait = Duration.minutes(self.config.batch_runnable_minutes)
        return [batch.JobStateTimeLimitAction(
            max_time=wait, reason=getattr(batch.JobStateTimeLimitActionsReason, reason),
            action=batch.JobStateTimeLimitActionsAction.CANCEL, state=batch.JobStateTimeLimitActionsState.RUNNABLE)
            for reason in _RUNNABLE_REASONS]

    # -- network -----------------------------------------------------------------------
    def _network(self) -> tuple[ec2.IVpc, ec2.SubnetSelection, list[ec2.ISecurityGroup]]:
        config = self.config
        if config.vpc_id:
            vpc = ec2.Vpc.from_vpc_attributes(self, "Vpc", vpc_id=config.vpc_id,
                                              availability_zones=[f"az{i}" for i, _ in enumerate(config.subnet_ids)])
            named = [ec2.Subnet.from_subnet_id(self, f"Subnet{i}", s) for i, s in enumerate(config.subnet_ids)]
            for subnet in named:
                acknowledge(subnet, "Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId",
                            "Batch only places tasks in the subnets you name; nothing here reads their route "
                            "tables (routing to S3, DynamoDB and the registry is yours to provide).")
            subnets = ec2.SubnetSelection(subnets=named)
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
        # pinned by digest (no Docker Hub login; artifacts pickled there must load on the laptop).
        # It has neither sfnflow nor boto3: the compiled Command bootstraps them (sfn_compiler/batch_bootstrap.py).
        image = ecs.ContainerImage.from_registry(job.image or self._job_images.get(job.key) or self.config.image)
        logging = ecs.LogDriver.aws_logs(stream_prefix=job.key.replace("_", "-"), log_group=self.log_group)
        # The state machine overrides the command per task (the TaskEnvelope as arguments).
        command = ["python", "-m", "runtime.batch_main"]
        container: batch.IEcsContainerDefinition
        if on_fargate:
            size = fargate_size(job.cpu, job.memory_mb)
            assert size is not None
            container = batch.EcsFargateContainerDefinition(
                self, f"Container_{job.key}", image=image, cpu=size[0], memory=Size.mebibytes(size[1]),
                command=command, environment=env, job_role=self.job_role, logging=logging,
                # A public subnet reaches S3, DynamoDB and the registry only through a public IP;
                # private subnets need a NAT gateway or VPC endpoints instead (cdk/README.md).
                assign_public_ip=self.config.batch_public_ip)
        else:
            fit = fit_ec2_job(job.cpu, job.memory_mb, job.gpu)  # its note is in self.notes
            container = batch.EcsEc2ContainerDefinition(
                self, f"Container_{job.key}", image=image, cpu=max(1, math.ceil(job.cpu)),
                memory=Size.mebibytes(fit.memory_mb), gpu=job.gpu or None, logging=logging,
                command=command, environment=env, job_role=self.job_role)
        return batch.EcsJobDefinition(
            self, f"Job_{job.key}", container=container,
            # Step Functions' Retry (from @retry) retries a failed job; Batch must not retry too.
            retry_attempts=1,
            # Every job is bounded; each Task state overrides this with the step's @timeout.
            timeout=Duration.seconds(BATCH_DEFAULT_ATTEMPT_SECONDS))
