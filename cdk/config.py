"""Deploy configuration: names, sizes and network choices for the two sfnflow stacks.

One frozen record read from CDK context (`cdk synth -c flow=...`), from `sfnflow deploy`
options, or built by tests. Everything a stack is named after is derived here once, so
the CLI, the CDK app and the tests agree on stack names, export names and bucket names.
Standard library only: `sfnflow deploy` reads it before it imports aws_cdk.
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

from sfn_compiler.contract.task_config import ENV_CDK_FLOW
from .pins import default_batch_image, lambda_runtime_problem

__all__ = ["DATASTORE_STACK", "DeployConfig", "config_from_context", "flow_stack_name"]

DATASTORE_STACK = "sfnflow-datastore"
# `${AWS::AccountId}` / `${AWS::Region}` are filled at deploy time, by CloudFormation in the
# template (Fn::Sub) and by the asset publisher (ours or the CDK CLI) in the asset manifest.
DEFAULT_BUCKET_PATTERN = "sfnflow-datastore-${AWS::AccountId}-${AWS::Region}"
CODE_PREFIX = "code/"  # sfnflow.deploy.package.code_key(): <prefix>code/<sha256>.zip
TEMPLATES_PREFIX = "templates/"  # sfnflow deploy's TemplateURL uploads (templates over 51,200 bytes)
# `sfnflow deploy` tags the code package a flow no longer uses with this; the datastore's
# lifecycle rule expires tagged packages (untagged ones, e.g. from `cdk deploy`, stay).
SUPERSEDED_TAG = ("sfnflow-code", "superseded")
SUPERSEDED_CODE_DAYS = 30  # long enough to roll back by redeploying the old code
SCRATCH_DAYS = 7  # Distributed Map result manifests and uploaded templates
BATCH_MAX_VCPUS = 256  # per compute environment; it scales to zero when idle
# A job waiting RUNNABLE this long for capacity that does not come (a GPU quota of 0 vCPUs,
# no instance of the type in the zone) is cancelled, so the run fails instead of waiting
# for the Standard execution's one-year limit. Batch allows 10 minutes to 24 hours.
BATCH_RUNNABLE_MINUTES = 60
LOG_LEVELS = ("OFF", "FATAL", "ERROR", "ALL")

_STACK_NAME_OK = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")


def flow_stack_name(flow_name: str) -> str:
    """CloudFormation stack names allow letters, digits and hyphens: `My_Flow` -> `My-Flow`."""
    return flow_name.replace("_", "-")


@dataclass(frozen=True)
class DeployConfig:
    """What a deploy needs beyond the compiled flow. Every field has a working default.

    Attributes:
        flow_file: the flow to deploy.
        with_batch: put every step on AWS Batch (`--with batch`).
        stack_name: the flow's stack; default: the flow's name. The state machine gets
            the same name, so `trigger` and the console find it by the flow's name.
        datastore_stack: the account-wide stack holding the bucket and the table.
        bucket_name: the datastore bucket; `${AWS::AccountId}`/`${AWS::Region}` allowed.
        python_version: the Lambda runtime's Python ("3.11"); default: this interpreter's,
            because cloudpickled artifacts do not load across Python minor versions.
        batch_image: the container image of Batch steps without @batch(image=...); default: the
            stock `python:<minor>-slim` pinned by digest (cdk/pins.py). It needs only
            Python: the job fetches its code and boto3 from the datastore, nothing from PyPI.
        vpc_id, subnet_ids, security_group_ids: run Batch jobs in your own network;
            default: a new VPC with public subnets only (no NAT gateway: no idle cost).
        batch_public_ip: give Fargate jobs a public IP (needed in public subnets to reach S3,
            DynamoDB and the image registry). Set False only for private subnets that have
            a NAT gateway or VPC endpoints (S3, DynamoDB, ECR, CloudWatch Logs).
        batch_max_vcpus: the ceiling of each Batch compute environment.
        batch_runnable_minutes: cancel a job stuck RUNNABLE (no capacity) after this long.
        max_concurrency: child executions at once per Distributed Map.
        log_retention_days: CloudWatch retention of the state machine's and tasks' logs.
        log_level, log_execution_data: the state machine's CloudWatch logging; default ERROR
            without execution data (inputs, outputs and error causes stay out of the logs).
        package_suffixes: files under the flow's folder with these suffixes go into the
            code package (Metaflow's --package-suffixes); see sfnflow/deploy/package_files.py.
    """

    flow_file: str = ""
    with_batch: bool = False
    stack_name: str = ""
    datastore_stack: str = DATASTORE_STACK
    bucket_name: str = DEFAULT_BUCKET_PATTERN
    python_version: str = field(default_factory=lambda: f"{sys.version_info.major}.{sys.version_info.minor}")
    batch_image: str = ""
    vpc_id: str = ""
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    batch_public_ip: bool = True
    batch_max_vcpus: int = BATCH_MAX_VCPUS
    batch_runnable_minutes: int = BATCH_RUNNABLE_MINUTES
    max_concurrency: int = 500  # sfn_compiler.asl.states.DISTRIBUTED_MAX_CONCURRENCY
    log_retention_days: int = 30
    log_level: str = "ERROR"
    log_execution_data: bool = False
    package_suffixes: tuple[str, ...] = ()  # data files that travel with the flow: (".csv", ".txt")

    def __post_init__(self) -> None:
        problem = lambda_runtime_problem(self.python_version)
        if problem:
            raise ValueError(problem)
        if self.log_level not in LOG_LEVELS:
            raise ValueError(f"log_level {self.log_level!r}: use one of {', '.join(LOG_LEVELS)}.")
        if not 10 <= self.batch_runnable_minutes <= 1440:
            raise ValueError(f"batch_runnable_minutes={self.batch_runnable_minutes}: AWS Batch allows 10 to 1440.")
        if not 1 <= self.max_concurrency <= 10_000:
            raise ValueError(f"max_concurrency={self.max_concurrency}: a Distributed Map allows 1 to 10000.")
        if self.stack_name and not _STACK_NAME_OK.match(self.stack_name):
            raise ValueError(f"stack name {self.stack_name!r}: use letters, digits and hyphens, "
                             "starting with a letter (CloudFormation's rule).")
        if bool(self.vpc_id) != bool(self.subnet_ids):
            raise ValueError("give both vpc_id and subnet_ids (Batch runs in the subnets you name), or neither.")

    def for_flow(self, flow_name: str) -> "DeployConfig":
        """This config with the stack name filled in from the flow's name."""
        return self if self.stack_name else replace(self, stack_name=flow_stack_name(flow_name))

    @property
    def image(self) -> str:
        """The default Batch image; raises ValueError when none is pinned for this Python."""
        image = self.batch_image or default_batch_image(self.python_version)
        if not image:
            raise ValueError(f"no stock Batch image is pinned for Python {self.python_version}: set batch_image "
                             "(-c batch_image=... or DeployConfig) to an image with that Python, by digest.")
        return image

    @property
    def bucket_export(self) -> str:
        return f"{self.datastore_stack}-BucketName"

    @property
    def table_export(self) -> str:
        return f"{self.datastore_stack}-TableName"


def _split(value: Any) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return tuple(v.strip() for v in str(value or "").split(",") if v.strip())


def config_from_context(get: Callable[[str], Any], environ: Mapping[str, str] | None = None) -> DeployConfig:
    """A DeployConfig from CDK context values (`get` = `app.node.try_get_context`).

    Keys: flow, with ("batch"), stack_name, datastore_stack, bucket_name, python_version,
    batch_image, vpc_id, subnet_ids, security_group_ids, package_suffixes (comma-separated or lists),
    batch_public_ip (true/false), batch_max_vcpus, batch_runnable_minutes, max_concurrency,
    log_retention_days, log_level, log_execution_data (true/false).
    """
    environ = os.environ if environ is None else environ
    flow = get("flow") or environ.get(ENV_CDK_FLOW, "")
    values: dict[str, Any] = {"flow_file": str(flow), "with_batch": str(get("with") or "") == "batch"}
    for key in ("stack_name", "datastore_stack", "bucket_name", "python_version", "batch_image", "vpc_id",
                "log_level"):
        if get(key):
            values[key] = str(get(key))
    for key in ("subnet_ids", "security_group_ids", "package_suffixes"):
        if get(key):
            values[key] = _split(get(key))
    for key in ("batch_max_vcpus", "log_retention_days", "batch_runnable_minutes", "max_concurrency"):
        if get(key):
            values[key] = int(get(key))
    for key in ("batch_public_ip", "log_execution_data"):
        if get(key) is not None and get(key) != "":
            values[key] = _flag(key, get(key))
    return DeployConfig(**values)


def _flag(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValueError(f"-c {key}={value}: use true or false.")
