"""MotoCloud: deploy a compiled flow into an in-process moto, as the cloud would run it, and run it.

Test and development tooling (it imports moto; nothing on a Lambda/Batch code path
imports it, and the code package leaves sfnflow/emulate out). Resources are created
directly from the compiler's DeploymentModel, no CDK or CloudFormation:

    artifact bucket + code package (sfnflow.deploy.package, content-addressed key)
    metadata table   (sfn_compiler.contract.table_layout.table_definition)
    IAM role
    one Lambda function per model function: the real code zip, handler
        runtime.lambda_handler.handler, SFNFLOW_BUCKET/TABLE/FLOW_FILE/PREFIX
    Batch: a compute environment, a queue per queue kind, a job definition per model job
        (command: runtime.batch_main; SFNFLOW_* + SFNFLOW_CODE_KEY)
    the state machine: the compiled ASL with every ${...} filled with the real names/ARNs

Executions are started with a name (the run id) and run by moto's Step Functions
interpreter; Lambda tasks run their real handler in process (lambdas.InProcessLambdaRunner)
and Batch jobs run as local subprocesses (batch.BatchRunner), through the COMPUTE patches
(moto_services.py), installed while the MotoCloud is open.

    with MotoCloud() as cloud:
        deployed = cloud.deploy("flow.py", compile_flow(graph))
        result = cloud.run(deployed, "run-1", {"alpha": "0.2"})
        result.status, result.error, cloud.metadata_store().get_run(...)

One MotoCloud at a time per process (it owns moto's mock and the patches), and not
while a LocalEngine runs.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from runtime.engine.patches import HISTORY, REGISTRY, SEMANTICS, SPEED, HistoryStats, PatchHooks
from sfn_compiler.contract import task_config
from sfn_compiler.contract.placeholders import ResourceNames, fill_definition

# Imported here, never lazily: see wait().
from .batch import BatchRunner
from .lambda_environments import EnvironmentLambdaRunner, RoutingLambdaRunner
from .lambdas import InProcessLambdaRunner
from .moto_services import COMPUTE

__all__ = ["CloudRunResult", "DeployedFlow", "HARNESS_GROUPS", "MotoCloud"]

# The patches a MotoCloud installs: no routing (its tasks run through moto's own Lambda
# and Batch, with real code).
HARNESS_GROUPS = (SPEED, SEMANTICS, HISTORY, COMPUTE)

LOG = logging.getLogger(__name__)

HANDLER = task_config.LAMBDA_HANDLER
BATCH_COMMAND = list(task_config.BATCH_ENTRY_COMMAND)  # the ASL's Command override replaces it
DEFAULT_IMAGE = f"public.ecr.aws/docker/library/python:{sys.version_info.major}.{sys.version_info.minor}"
_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
    "Service": ["lambda.amazonaws.com", "states.amazonaws.com", "batch.amazonaws.com", "ecs-tasks.amazonaws.com"]}}]}
_FAKE_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}
_CLEARED_ENV = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_DYNAMODB",
                "AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL_SFN", "AWS_ENDPOINT_URL_BATCH")


@dataclass(frozen=True)
class _Blob:
    """Bytes to store content-addressed (what upload_code_package reads of a package)."""

    data: bytes
    sha256: str


@dataclass(frozen=True)
class DeployedFlow:
    """A flow's resources in moto: what deploy() created and what the ASL was filled with."""

    flow: str
    flow_file: str
    state_machine_arn: str
    bucket: str
    table: str
    prefix: str
    code_key: str
    functions: dict[str, str]  # model function key -> function ARN
    job_queues: dict[str, str]  # queue kind -> job queue ARN
    job_definitions: dict[str, str]  # model job key -> job definition ARN


@dataclass
class CloudRunResult:
    """How one execution ended."""

    run_id: str
    status: str  # SUCCEEDED | FAILED | TIMED_OUT | ABORTED | RUNNING (wait timed out)
    error: str | None
    cause: str | None
    output: Any
    seconds: float
    execution_arn: str
    extra: dict[str, Any] = field(default_factory=dict)


class MotoCloud:
    """Context manager owning moto's mock (in process), its patches and the resources."""

    def __init__(self, *, region: str = "us-east-1", bucket: str = "sfnflow-artifacts",
                 table: str = "sfnflow-metadata", prefix: str = "", fast_retries: bool = True,
                 measure_history: bool = False, lean_history: bool = False) -> None:
        """
        Args:
            bucket, table, prefix: the datastore every deployed flow shares (as one team's
                deployment would); the client reads the same with use_cloud().
            fast_retries: skip Retry IntervalSeconds sleeps.
            measure_history: record state input/output sizes of every execution, map run and
                child execution in `self.stats` (patches.HistoryStats).
            lean_history: with measure_history, keep only failure/start/end events (faster
                for wide fan-outs; get_execution_history then returns little).
        """
        self.region, self.bucket, self.table, self.prefix = region, bucket, table, prefix
        self.fast_retries, self.measure_history, self.lean_history = fast_retries, measure_history, lean_history
        self.stats: Any = None
        # In process, except functions with a step environment: those run on their own
        # runtime's Python with their layer (lambda_environments.py) once one is deployed.
        self.lambdas = RoutingLambdaRunner(InProcessLambdaRunner())
        self.batch: BatchRunner | None = None
        self._hooks: PatchHooks | None = None
        self._patches: Any = None  # the patches' Installation while open
        self._mock: Any = None
        self._server: Any = None
        self._saved_env: dict[str, str | None] = {}
        self._clients: dict[str, Any] = {}
        self._role_arn = ""
        self._compute_env = ""
        self.deployed: dict[str, DeployedFlow] = {}
        self.layers: dict[str, Any] = {}  # function key -> the LambdaLayer deployed for it (last deploy wins)
        self.server_endpoint = ""  # the moto server's URL, once one runs (_ensure_server)

    # -- lifecycle ----------------------------------------------------------------------------
    def __enter__(self) -> "MotoCloud":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> None:
        self._hooks = PatchHooks(lambda_runner=self.lambdas, fast_retries=self.fast_retries,
                                 lean_history=self.lean_history)
        if self.measure_history:
            self.stats = self._hooks.stats = HistoryStats()
        self._patches = REGISTRY.install(self, self._hooks, HARNESS_GROUPS)  # refuses a second owner
        self._saved_env = {k: os.environ.get(k) for k in (*_FAKE_ENV, *_CLEARED_ENV, "AWS_DEFAULT_REGION",
                                                          "AWS_REGION")}
        os.environ.update(_FAKE_ENV, AWS_DEFAULT_REGION=self.region, AWS_REGION=self.region)
        for name in _CLEARED_ENV:
            os.environ.pop(name, None)
        from moto import mock_aws

        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True},
                                      "batch": {"use_docker": False}})
        self._mock.start()
        role = self.client("iam").create_role(RoleName="sfnflow-harness",
                                              AssumeRolePolicyDocument=json.dumps(_TRUST))
        self._role_arn = role["Role"]["Arn"]
        self.client("s3").create_bucket(Bucket=self.bucket)
        from sfn_compiler.contract.table_layout import table_definition

        self.client("dynamodb").create_table(**table_definition(self.table))

    def close(self) -> None:
        """Stop moto, remove the patches, restore the environment; each step whatever the one before raised."""
        try:
            # A handler abandoned by TimeoutSeconds may still run: let it finish against moto,
            # not against whatever its boto3 calls would reach once the mock is gone.
            if not self.lambdas.drain():
                LOG.warning("a Lambda handler is still running; stopping moto anyway")
            if self._hooks is not None:
                self._hooks.close()
            if self._server is not None:
                self._server.stop()
                self._server = None
            if self._mock is not None:
                self._mock.stop()
                self._mock = None
        finally:
            if self._patches is not None:
                self._patches.uninstall()
                self._patches = None
            self.lambdas.close()
            self._clients.clear()
            for key, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            self._saved_env = {}

    def client(self, service: str) -> Any:
        """A boto3 client talking to the in-process moto (made after the mock started)."""
        if self._mock is None:
            raise RuntimeError("the MotoCloud is not running (use it as a context manager)")
        if service not in self._clients:
            import boto3

            self._clients[service] = boto3.client(service, region_name=self.region)
        return self._clients[service]

    # -- deploy ---------------------------------------------------------------------------------
    def deploy(self, flow_file: str, compiled: Any, include: Sequence[str] = (), *,
               env_root: str | None = None) -> DeployedFlow:
        """Create (or update) every resource of a compiled flow; return what was created.

        `env_root`: where the flow's environment lock is kept (default: its local root).
        """
        from sfnflow.deploy.package import build_code_package, upload_code_package

        model = compiled.model
        package = build_code_package(flow_file, include)
        code_key, _ = upload_code_package(package, self.client("s3"), self.bucket, self.prefix)
        env = task_config.task_environment(self.bucket, self.table, package.flow_file, self.prefix)
        layers = self._layers(flow_file, model, package, env_root)
        functions = {f.key: self._function(model.flow_name, f, code_key, env, layers.get(f.key))
                     for f in model.functions}  # a step environment's hash goes in its function's variables
        for arn in functions.values():
            self.lambdas.warm(self._moto_function(arn))
        queues: dict[str, str] = {}
        jobs: dict[str, str] = {}
        if model.job_definitions:
            self._ensure_batch()
            for kind in sorted({j.queue for j in model.job_definitions}):
                queues[kind] = self._job_queue(f"{model.flow_name}-{kind}")
            job_env = self._batch_environment(model, package, code_key)
            bundles = self._batch_bundles(flow_file, model, env_root)
            jobs = {j.key: self._job_definition(model.flow_name, j, {**job_env, **bundles.get(j.key, ({}, ""))[0]},
                                                bundles.get(j.key, ({}, ""))[1])
                    for j in model.job_definitions}
        names = ResourceNames(self.bucket, self.table, functions, queues, jobs)
        definition = fill_definition(compiled.asl_text, model.placeholders, names)
        arn = self._state_machine(model.flow_name, definition)
        deployed = DeployedFlow(model.flow_name, os.path.abspath(flow_file), arn, self.bucket, self.table,
                                self.prefix, code_key, functions, queues, jobs)
        self.deployed[model.flow_name] = deployed
        return deployed

    def _layers(self, flow_file: str, model: Any, package: Any, env_root: str | None) -> dict[str, str]:
        """function key -> layer version ARN, for the functions with a step environment."""
        if not any(f.python_env for f in model.functions):
            return {}
        from runtime.stores.blobs import resolve_local_root
        from sfnflow.environments.lambda_layer import build_lambda_layers

        root = env_root or resolve_local_root()
        built = build_lambda_layers(model, root, code_unzipped_bytes=package.unzipped_size)
        self._ensure_server()
        if self.lambdas.environments is None:
            self.lambdas.environments = EnvironmentLambdaRunner(self.server_endpoint)
        lam, arns = self.client("lambda"), {}
        for key, layer in built.items():
            with open(layer.zip_path, "rb") as fh:
                arns[key] = str(lam.publish_layer_version(
                    LayerName=f"sfnflow-env-{layer.hash}", Content={"ZipFile": fh.read()},
                    CompatibleRuntimes=[f"python{layer.python}"], CompatibleArchitectures=[layer.architecture],
                    Description=f"sfnflow environment {layer.env_key}")["LayerVersionArn"])
        self.layers.update(built)
        return arns

    def _function(self, flow: str, fn: Any, code_key: str, env: dict[str, str], layer: str | None = None) -> str:
        lam = self.client("lambda")
        name = f"{flow}-{fn.key}"[:64]
        variables = {**dict(fn.environment), **env}
        if fn.key in self.layers:
            variables[task_config.ENV_ENVIRONMENT] = self.layers[fn.key].hash
        python = fn.python or f"{sys.version_info.major}.{sys.version_info.minor}"
        config = {"Role": self._role_arn, "Handler": HANDLER, "Timeout": int(fn.timeout_s),
                  "MemorySize": int(fn.memory_mb), "Environment": {"Variables": variables},
                  "Runtime": f"python{python}", "Layers": [layer] if layer else []}
        code = {"S3Bucket": self.bucket, "S3Key": code_key}
        try:
            return str(lam.create_function(FunctionName=name, Code=code, Architectures=[fn.architecture],
                                           **config)["FunctionArn"])
        except lam.exceptions.ResourceConflictException:  # re-deploy: new code and configuration
            lam.update_function_code(FunctionName=name, **code)
            return str(lam.update_function_configuration(FunctionName=name, **config)["FunctionArn"])

    def _moto_function(self, arn: str) -> Any:
        """moto's own record of a function (what the Lambda runner gets at each invocation)."""
        from moto.awslambda.models import lambda_backends

        return lambda_backends[arn.split(":")[4]][self.region].get_function(arn)

    def _state_machine(self, flow: str, definition: str) -> str:
        sfn = self.client("stepfunctions")
        for machine in sfn.list_state_machines()["stateMachines"]:
            if machine["name"] == flow:
                sfn.update_state_machine(stateMachineArn=machine["stateMachineArn"], definition=definition)
                return str(machine["stateMachineArn"])
        return str(sfn.create_state_machine(name=flow, definition=definition, roleArn=self._role_arn,
                                            type="STANDARD")["stateMachineArn"])

    # -- Batch ----------------------------------------------------------------------------------
    def _ensure_server(self) -> None:
        """A moto server sharing the mock's state, for code running in child processes
        (Batch jobs, Lambda functions with their own runtime) to reach moto through."""
        if self._server is None:
            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request
            self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            self._server.start()
            host, port = self._server.get_host_and_port()
            self.server_endpoint = f"http://{host}:{port}"
            self.batch = BatchRunner(self.server_endpoint, self.region)
            assert self._hooks is not None
            self._hooks.batch_runner = self.batch

    def _ensure_batch(self) -> None:
        """The compute environment, and a moto server the job subprocesses reach moto through."""
        self._ensure_server()
        if not self._compute_env:
            self._compute_env = str(self.client("batch").create_compute_environment(
                computeEnvironmentName="sfnflow-harness", type="UNMANAGED", state="ENABLED",
                serviceRole=self._role_arn)["computeEnvironmentArn"])

    def _job_queue(self, name: str) -> str:
        batch = self.client("batch")
        found = batch.describe_job_queues(jobQueues=[name])["jobQueues"]
        if found:
            return str(found[0]["jobQueueArn"])
        return str(batch.create_job_queue(jobQueueName=name, state="ENABLED", priority=1, computeEnvironmentOrder=[
            {"order": 1, "computeEnvironment": self._compute_env}])["jobQueueArn"])

    def _batch_environment(self, model: Any, package: Any, code_key: str) -> dict[str, str]:
        """As FlowStack sets it: the code's key and sha256, and for the stock image the
        bootstrap and the boto3 bundle (uploaded here like the code package)."""
        from sfnflow.deploy.package import upload_code_package

        env = task_config.batch_environment(self.bucket, self.table, package.flow_file, code_key, self.prefix,
                                            code_sha256=package.sha256, region=self.region)
        if any(job.image is None for job in model.job_definitions):
            support = package.batch_support
            deps_key, _ = upload_code_package(support, self.client("s3"), self.bucket, self.prefix)
            env.update(support.job_environment(deps_key))
        return env

    def _batch_bundles(self, flow_file: str, model: Any, env_root: str | None) -> dict[str, tuple[dict[str, str], str]]:
        """job key -> (its variables, its image) for Batch jobs with a step environment: the
        environment's bundle (uploaded once, content-addressed) replaces the boto3 bundle."""
        if not any(j.python_env for j in model.job_definitions):
            return {}
        from runtime.stores.blobs import resolve_local_root
        from sfnflow.deploy.package import upload_code_package
        from sfnflow.environments.batch_bundle import build_batch_bundles

        root = env_root or resolve_local_root()
        found = {}
        for key, bundle in build_batch_bundles(model, root).items():
            with open(bundle.zip_path, "rb") as fh:
                upload = _Blob(fh.read(), bundle.sha256)
            deps_key, _ = upload_code_package(upload, self.client("s3"), self.bucket, self.prefix)
            found[key] = ({task_config.ENV_DEPS_KEY: deps_key, task_config.ENV_DEPS_SHA256: bundle.sha256,
                           task_config.ENV_ENVIRONMENT: bundle.hash}, bundle.image)
        return found

    def _job_definition(self, flow: str, job: Any, env: dict[str, str], image: str = "") -> str:
        resources = [{"type": "VCPU", "value": str(job.cpu)}, {"type": "MEMORY", "value": str(job.memory_mb)}]
        if job.gpu:
            resources.append({"type": "GPU", "value": str(job.gpu)})
        variables = {**dict(job.environment), **env}
        return str(self.client("batch").register_job_definition(
            jobDefinitionName=f"{flow}-{job.key}"[:128], type="container",
            containerProperties={
                "image": job.image or image or DEFAULT_IMAGE, "command": list(BATCH_COMMAND),
                "resourceRequirements": resources, "jobRoleArn": self._role_arn,
                "environment": [{"name": k, "value": v} for k, v in sorted(variables.items())],
            })["jobDefinitionArn"])

    # -- runs -----------------------------------------------------------------------------------
    def start_run(self, deployed: DeployedFlow, run_id: str, parameters: Mapping[str, Any] | None = None) -> str:
        """StartExecution named `run_id` (the run id); return the execution ARN."""
        response = self.client("stepfunctions").start_execution(
            stateMachineArn=deployed.state_machine_arn, name=run_id,
            input=json.dumps({"parameters": dict(parameters or {})}))
        return str(response["executionArn"])

    def wait(self, execution_arn: str, timeout: float = 300.0, poll: float = 0.01) -> CloudRunResult:
        """Poll DescribeExecution until the execution ends (or `timeout` seconds pass).

        The interval grows to 0.1 s: each poll is a moto call holding the GIL the
        interpreter's threads and the in-process Lambda tasks need. Once the execution
        ended, also waits for a Lambda handler it abandoned (TimeoutSeconds) to return:
        while a handler runs, its code package's modules stand in for this process's
        `runtime` / `sfnflow` in sys.modules, so nothing should import them meanwhile.
        """
        sfn = self.client("stepfunctions")
        started = time.perf_counter()
        while True:
            described = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING" or time.perf_counter() - started > timeout:
                break
            time.sleep(poll)
            poll = min(poll * 1.5, 0.1)
        if described["status"] != "RUNNING":
            self.lambdas.drain()
        output = described.get("output")
        return CloudRunResult(
            run_id=str(described["name"]), status=str(described["status"]), error=described.get("error"),
            cause=described.get("cause"), output=json.loads(output) if output else None,
            seconds=time.perf_counter() - started, execution_arn=execution_arn)

    def run(self, deployed: DeployedFlow, run_id: str, parameters: Mapping[str, Any] | None = None,
            timeout: float = 300.0) -> CloudRunResult:
        """Start one execution and wait for it to end."""
        started = time.perf_counter()
        result = self.wait(self.start_run(deployed, run_id, parameters), timeout)
        result.seconds = time.perf_counter() - started
        return result

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        """Every event of an execution's history (not of its Distributed Map children)."""
        pages = self.client("stepfunctions").get_paginator("get_execution_history")
        return [e for page in pages.paginate(executionArn=execution_arn) for e in page["events"]]

    # -- reading what runs wrote ----------------------------------------------------------------
    def artifact_store(self) -> Any:
        from runtime.stores.artifacts import ArtifactStore
        from runtime.stores.s3 import S3BlobStore

        return ArtifactStore(S3BlobStore(self.bucket, self.prefix, client=self.client("s3")))

    def metadata_store(self) -> Any:
        from runtime.stores.dynamodb import DynamoMetadataStore

        return DynamoMetadataStore(self.table, client=self.client("dynamodb"))
