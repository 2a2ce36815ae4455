"""FlowStack: one flow's cloud resources, built only from the compiler's output and the code package.

    compiled = compile_file("flow.py")                  # ASL + DeploymentModel
    package = build_code_package("flow.py")             # sfnflow.deploy.package: a deterministic zip
    FlowStack(app, compiled, package, config)           # package: anything shaped like CodeBundle

Holds: one Lambda function per model function (code: the package, published as a file
asset to `<datastore bucket>/code/<sha256>.zip`, so the CDK CLI and `sfnflow deploy`
publish it the same way and an unchanged package is never uploaded twice), AWS Batch
when the model has job definitions (cdk/batch.py), the state machine (the compiled ASL
with a DefinitionSubstitution for every placeholder; CloudWatch logging; X-Ray), one
EventBridge rule per @schedule, least-privilege IAM, and outputs. The bucket and the
table belong to the account-wide datastore stack (cdk/datastore_stack.py) and are
imported by export name. No custom resources anywhere (moto cannot run them, and each
one slows every deploy).
"""
from __future__ import annotations

import json
import os
import shutil
from typing import Any, Iterator, Mapping, Protocol

from aws_cdk import (
    ArnFormat,
    Aws,
    CfnOutput,
    Duration,
    FileAssetPackaging,
    Fn,
    RemovalPolicy,
    Stack,
    Stage,
)
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from sfn_compiler.asl.emit import MAP_RESULTS_PREFIX
from sfn_compiler.compile import CompiledFlow
from sfn_compiler.contract import task_config
from sfn_compiler.contract.placeholders import ResourceNames, placeholder_values
from sfn_compiler.contract.table_layout import FLOWS_PK, run_pk
from sfn_compiler.event_rules import finish_pattern
from sfn_compiler.run_contract import (
    PARAMETER_SPEC_OUTPUT, STEP_GRAPH_OUTPUT, encode_parameter_specs, encode_step_graph, schedule_input,
)

from .config import DeployConfig, flow_stack_name
from .nag import acknowledge, acknowledge_findings

__all__ = ["CodeBundle", "FlowStack", "LayerBundle"]


class CodeBundle(Protocol):
    """What the stack needs of a code package (sfnflow.deploy.package.CodePackage is one)."""

    @property
    def data(self) -> bytes: ...  # the zip
    @property
    def sha256(self) -> str: ...  # of `data`: the asset's content address
    @property
    def flow_file(self) -> str: ...  # the flow file's path inside the zip

class LayerBundle(Protocol):
    """A step environment's packages for Lambda (sfnflow.environments.lambda_layer.LambdaLayer is one)."""

    @property
    def zip_path(self) -> str: ...  # the layer zip (packages under python/)
    @property
    def sha256(self) -> str: ...  # of the zip: its content address
    @property
    def env_key(self) -> str: ...
    @property
    def python(self) -> str: ...  # the runtime's Python minor
    @property
    def architecture(self) -> str: ...
    @property
    def hash(self) -> str: ...  # the environment's hash (SFNFLOW_ENVIRONMENT)


class EnvironmentBundle(Protocol):
    """A step environment's packages for a Batch job (sfnflow.environments.batch_bundle.BatchBundle)."""

    @property
    def zip_path(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def env_key(self) -> str: ...
    @property
    def image(self) -> str: ...  # the stock image of the environment's Python, pinned
    @property
    def hash(self) -> str: ...


_DDB_INTEGRATION = "arn:aws:states:::dynamodb:"


class FlowStack(Stack):
    """The stack of one deployed flow (its name is `config.stack_name`)."""

    def __init__(self, scope: Construct, compiled: CompiledFlow, package: CodeBundle, config: DeployConfig,
                 layers: Mapping[str, LayerBundle] | None = None,
                 batch_bundles: Mapping[str, EnvironmentBundle] | None = None, **kwargs: Any) -> None:
        """`layers`: model function key -> the layer of its step environment (functions without
        one run on the deploying interpreter's Python with the code package alone);
        `batch_bundles`: job definition key -> its step environment's bundle."""
        model = compiled.model
        config = config.for_flow(model.flow_name)
        super().__init__(scope, config.stack_name, stack_name=config.stack_name,
                         description=f"sfnflow flow {model.flow_name} ({os.path.basename(package.flow_file)})",
                         **kwargs)
        self.compiled, self.config, self.package = compiled, config, package
        self.layer_bundles = dict(layers or {})
        self.batch_bundles = dict(batch_bundles or {})
        self.layers: dict[str, lambda_.LayerVersion] = {}  # by layer zip sha256
        self.bucket = s3.Bucket.from_bucket_name(self, "Datastore", Fn.import_value(config.bucket_export))
        self.table = dynamodb.Table.from_table_attributes(
            self, "Metadata", table_name=Fn.import_value(config.table_export),
            global_indexes=_index_names())
        self.code_bucket, self.code_key = self._code_asset(package)
        # The bucket name is predictable, so every S3 call the tasks make names the account
        # that must own it (ExpectedBucketOwner).
        self.task_env = task_config.task_environment(self.bucket.bucket_name, self.table.table_name,
                                                     package.flow_file, bucket_owner=Aws.ACCOUNT_ID)
        self.notes: list[str] = []  # adjustments the deployer should hear about (e.g. Batch job sizes)
        self.functions = self._functions()
        self.batch = self._batch()
        self.state_machine = self._state_machine()
        self._schedules()
        self._event_rules()
        self._outputs()

    # -- code ----------------------------------------------------------------------------
    def _code_asset(self, package: CodeBundle) -> tuple[s3.IBucket, str]:
        """Register the package zip as a file asset whose key is its content address."""
        location = self._file_asset(package.data, package.sha256, f"{self.compiled.model.flow_name} code package")
        bucket = s3.Bucket.from_bucket_name(self, "CodeBucket", location.bucket_name)
        acknowledge(bucket, "Annotation::@aws-cdk/aws-lambda:codeFromBucketObjectVersionNotSpecified",
                    "The package's key is its sha256 (code/<sha256>.zip): new code is a new key, so the "
                    "function is updated whenever the code changes, without object versions.")
        return bucket, location.object_key

    def _zip_asset(self, zip_path: str, sha256: str, display_name: str) -> Any:
        """A zip on disk (a step environment's), published like `_file_asset`'s."""
        path = os.path.join(Stage.of(self).outdir, f"asset.{sha256}.zip")  # type: ignore[union-attr]
        if not os.path.exists(path):
            shutil.copyfile(zip_path, path)
        return self.synthesizer.add_file_asset(source_hash=sha256, file_name=os.path.basename(path),
                                               packaging=FileAssetPackaging.FILE, display_name=display_name)

    def _file_asset(self, data: bytes, sha256: str, display_name: str) -> Any:
        """A zip in the cloud assembly, published to `code/<sha256>.zip` of the datastore bucket."""
        outdir = Stage.of(self).outdir  # type: ignore[union-attr]
        name = f"asset.{sha256}.zip"
        path = os.path.join(outdir, name)
        if not os.path.exists(path):
            with open(path, "wb") as fh:
                fh.write(data)
        return self.synthesizer.add_file_asset(source_hash=sha256, file_name=name,
                                               packaging=FileAssetPackaging.FILE, display_name=display_name)

    # -- Lambda --------------------------------------------------------------------------
    def _functions(self) -> dict[str, lambda_.Function]:
        model = self.compiled.model
        if not model.functions:
            return {}
        role = iam.Role(self, "FunctionRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=f"sfnflow {model.flow_name} Lambda steps: datastore and own logs")
        self._grant_data(role)
        default_runtime = lambda_.Runtime(f"python{self.config.python_version}", lambda_.RuntimeFamily.PYTHON)
        functions = {}
        for spec in model.functions:
            # A step environment's Python is its function's runtime; its packages are its layer.
            bundle = self.layer_bundles.get(spec.key)
            python = spec.python or (bundle.python if bundle is not None else None)  # the layer's Python
            runtime = lambda_.Runtime(f"python{python}", lambda_.RuntimeFamily.PYTHON) if python else default_runtime
            if spec.python_env and bundle is None:
                raise ValueError(f"function {spec.key} has step environment {spec.python_env} but no layer was built")
            # Deleted with the stack: retention bounds what a run leaves, and a RETAINed group
            # would be left behind by every destroy.
            log_group = logs.LogGroup(self, f"Logs_{spec.key}", retention=_retention(self.config),
                                      removal_policy=RemovalPolicy.DESTROY)
            log_group.grant_write(role)
            env = dict(spec.environment)
            env.update(self.task_env)
            if bundle is not None:
                env[task_config.ENV_ENVIRONMENT] = bundle.hash  # recorded with each task it runs
            fn = lambda_.Function(
                self, f"Function_{spec.key}", runtime=runtime, handler=task_config.LAMBDA_HANDLER,
                code=lambda_.Code.from_bucket(self.code_bucket, self.code_key),
                memory_size=spec.memory_mb, timeout=Duration.seconds(spec.timeout_s),
                architecture=lambda_.Architecture.ARM_64 if spec.architecture == "arm64" else lambda_.Architecture.X86_64,
                environment=env, role=role, log_group=log_group,
                layers=[self._layer(bundle, runtime)] if bundle is not None else None,
                description=f"sfnflow {model.flow_name}: steps {', '.join(spec.steps)}")
            acknowledge(fn, "AwsSolutions-L1",
                        "The runtime is the deploying interpreter's Python on purpose: cloudpickled artifacts "
                        "only load on the same Python minor version (DESIGN.md, Compute).")
            functions[spec.key] = fn
        return functions  # Lambda reads the code package with the deployer's rights, not the role's

    def _layer(self, bundle: LayerBundle, runtime: lambda_.Runtime) -> lambda_.LayerVersion:
        """One LayerVersion per distinct layer zip, its asset key the zip's content address."""
        found = self.layers.get(bundle.sha256)
        if found is not None:
            return found
        location = self._zip_asset(bundle.zip_path, bundle.sha256, f"environment {bundle.env_key} layer")
        bucket = s3.Bucket.from_bucket_name(self, f"LayerBucket_{bundle.env_key}_{bundle.architecture}",
                                            location.bucket_name)
        acknowledge(bucket, "Annotation::@aws-cdk/aws-lambda:codeFromBucketObjectVersionNotSpecified",
                    "The layer's key is its zip's sha256 (code/<sha256>.zip): other packages are a new key, so "
                    "the layer version is replaced whenever the environment changes, without object versions.")
        layer = lambda_.LayerVersion(
            self, f"Layer_{bundle.env_key}_{bundle.architecture}",
            code=lambda_.Code.from_bucket(bucket, location.object_key), compatible_runtimes=[runtime],
            compatible_architectures=[lambda_.Architecture.ARM_64 if bundle.architecture == "arm64"
                                      else lambda_.Architecture.X86_64],
            description=f"sfnflow step environment {bundle.env_key} (Python {bundle.python})")
        self.layers[bundle.sha256] = layer
        return layer

    def _grant_data(self, grantee: iam.Role) -> None:
        """Read the datastore; write only this flow's part of it.

        Reads go anywhere (a step may read another flow's artifacts through the client, as
        in Metaflow). Writes: objects under `<Flow>/` only, so no step can replace another
        flow's artifacts or any code package (`code/` is written by the deployer alone);
        items whose partition key is this flow's (`RUN#<Flow>#...`, and the `FLOWS` list).
        No s3:DeleteObject: tasks only add content-addressed objects. s3:ListBucket lets a
        HeadObject on a missing key answer 404 (not 403), which is how the artifact store
        skips writing an object that is already there.
        """
        flow = self.compiled.model.flow_name
        grantee.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"],
                                                  resources=[self.bucket.arn_for_objects("*")]))
        grantee.add_to_policy(iam.PolicyStatement(actions=["s3:PutObject"],
                                                  resources=[self.bucket.arn_for_objects(f"{flow}/*")]))
        grantee.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn]))
        self.table.grant(grantee, "dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem",
                         "dynamodb:ConditionCheckItem")
        grantee.add_to_policy(iam.PolicyStatement(
            actions=["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"],
            resources=[self.table.table_arn],
            conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": _own_partition_keys(flow)}}))
        acknowledge_findings(grantee, "AwsSolutions-IAM5",
                             [self._objects_finding("*"), self._objects_finding(f"{flow}/*"), self._index_finding()],
                             "Artifact keys are content addresses (<flow>/data/<sha>) and run ids are chosen at "
                             "run time, so object and index ARNs end in '*', within the one datastore bucket and "
                             "table; writes stay under this flow's own prefix.")

    def _objects_finding(self, pattern: str) -> str:
        return f"Resource::arn:<AWS::Partition>:s3:::{self.config.bucket_export}/{pattern}"

    def _index_finding(self) -> str:
        return (f"Resource::arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/"
                f"{self.config.table_export}/index/*")

    # -- Batch ---------------------------------------------------------------------------
    def _batch(self) -> Any:
        model = self.compiled.model
        if not model.has_batch:
            return None
        from .batch import BatchCompute

        env = self._batch_environment()
        job_envs, job_images = self._batch_step_environments()
        compute = BatchCompute(self, "Batch", model=model, config=self.config, environment=env,
                               grant_data=self._grant_data, log_retention=_retention(self.config),
                               job_environments=job_envs, job_images=job_images)
        self.notes += compute.notes
        return compute  # the job role reads the package through _grant_data

    def _batch_environment(self) -> dict[str, str]:
        """The task's variables plus what a job needs to fetch and check its code before running any.

        The sha256 comes from the deployer (this template), not from the download: the
        bootstrap refuses a package whose bytes do not hash to it.
        """
        env = task_config.batch_environment(
            self.bucket.bucket_name, self.table.table_name, self.package.flow_file, self.code_key,
            bucket_owner=Aws.ACCOUNT_ID, code_sha256=self.package.sha256, region=Aws.REGION)
        if any(job.image is None for job in self.compiled.model.job_definitions):
            env.update(self._stock_image_support())
        return env

    def _batch_step_environments(self) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
        """Per job with a step environment: its bundle (an asset, checked by sha256 at task start,
        in place of the boto3 bundle, which it includes) and the stock image of its Python."""
        envs, images = {}, {}
        for job in self.compiled.model.job_definitions:
            if not job.python_env:
                continue
            bundle = self.batch_bundles.get(job.key)
            if bundle is None:
                raise ValueError(f"job {job.key} has step environment {job.python_env} but no bundle was built")
            location = self._zip_asset(bundle.zip_path, bundle.sha256, f"environment {bundle.env_key} for Batch")
            envs[job.key] = {task_config.ENV_DEPS_KEY: location.object_key, task_config.ENV_DEPS_SHA256: bundle.sha256,
                             task_config.ENV_ENVIRONMENT: bundle.hash}
            images[job.key] = bundle.image
        return envs, images

    def _stock_image_support(self) -> dict[str, str]:
        """The bootstrap and the boto3 bundle (a second asset) for jobs on the stock image."""
        support = getattr(self.package, "batch_support", None)
        if support is None:
            raise ValueError("Batch steps on the stock image need the boto3 bundle and bootstrap: pass a code "
                             "package built by sfnflow.deploy.package.build_code_package")
        location = self._file_asset(support.data, support.sha256, "boto3 bundle for Batch steps")
        return dict(support.job_environment(location.object_key))

    # -- state machine -------------------------------------------------------------------
    def _substitutions(self) -> dict[str, str]:
        batch = self.batch
        names = ResourceNames(
            bucket=self.bucket.bucket_name, table=self.table.table_name,
            functions={key: fn.function_arn for key, fn in self.functions.items()},
            job_queues={kind: q.job_queue_arn for kind, q in batch.queues.items()} if batch else {},
            job_definitions={key: j.job_definition_arn for key, j in batch.job_definitions.items()} if batch else {})
        return placeholder_values(self.compiled.model.placeholders, names)

    def _state_machine_logs(self) -> sfn.LogOptions:
        """CloudWatch logging of the state machine, ERROR without execution data by default.

        The group is under /aws/vendedlogs/states/: Step Functions then needs no entry in
        the account's 5,120-character CloudWatch Logs resource policy (which fills up after
        some flows and then refuses every new state machine with logging). A fixed name,
        deleted with the stack: no orphan group per destroy, none clashing on redeploy.
        """
        group = logs.LogGroup(self, "StateMachineLogs", retention=_retention(self.config),
                              log_group_name=f"/aws/vendedlogs/states/sfnflow-{self.config.stack_name}",
                              removal_policy=RemovalPolicy.DESTROY)
        return sfn.LogOptions(destination=group, level=getattr(sfn.LogLevel, self.config.log_level),
                              include_execution_data=self.config.log_execution_data)

    def _state_machine(self) -> sfn.StateMachine:
        name = self.config.stack_name
        machine = sfn.StateMachine(
            self, "StateMachine", state_machine_name=name,
            # Compact text: the definition counts against CloudFormation's template size limits.
            definition_body=sfn.DefinitionBody.from_string(
                json.dumps(self.compiled.asl, sort_keys=True, separators=(",", ":"))),
            definition_substitutions=self._substitutions(),
            state_machine_type=sfn.StateMachineType.STANDARD,
            logs=self._state_machine_logs(),
            tracing_enabled=True)
        self._grant_tasks(machine, name)
        if self.config.log_level != "ALL":
            acknowledge(machine, "AwsSolutions-SF1",
                        "ERROR-level logging by default: ALL would copy every state's input, output and error "
                        "cause (flow parameters included) into CloudWatch Logs for every run and Map child; "
                        "a flow that wants it deploys with log_level=ALL.")
        acknowledge_findings(machine, "AwsSolutions-IAM5", ["Resource::*"],
                             "X-Ray (tracing), CloudWatch Logs delivery and Batch DescribeJobs have no "
                             "resource-level permissions.")
        acknowledge_findings(
            machine, "AwsSolutions-IAM5",
            [f"Resource::<{self.get_logical_id(fn.node.default_child)}.Arn>:*" for fn in self.functions.values()],
            "CDK's grant_invoke adds the function's versions and aliases (<arn>:*) next to its ARN.")
        return machine

    def _grant_tasks(self, machine: sfn.StateMachine, name: str) -> None:
        """What the ASL's Task states call: the definition is text, so CDK cannot infer these grants."""
        for fn in self.functions.values():
            fn.grant_invoke(machine)
        if self.batch is not None:
            self._grant_batch(machine)
        if _has_distributed_map(self.compiled.asl):
            self._grant_distributed_map(machine, name)
        actions = sorted({_ddb_action(r) for r in _resources(self.compiled.asl) if r.startswith(_DDB_INTEGRATION)})
        if actions:  # the state machine's own run-status writes
            self.table.grant(machine, *actions)
            acknowledge_findings(machine, "AwsSolutions-IAM5", [self._index_finding()],
                                 "CDK's table grant also covers the table's indexes (<table>/index/*).")

    def _grant_distributed_map(self, machine: sfn.StateMachine, name: str) -> None:
        """ItemReader, ResultWriter, child executions and their redrive (AWS's documented policies)."""
        flow = self.compiled.model.flow_name
        items, results = f"{flow}/*/foreach.json", f"{MAP_RESULTS_PREFIX}{flow}/*"
        machine.add_to_role_policy(iam.PolicyStatement(  # ItemReader
            actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects(items)]))
        machine.add_to_role_policy(iam.PolicyStatement(  # ResultWriter (multipart for big manifests)
            actions=["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
            resources=[self.bucket.arn_for_objects(results)]))
        own = self.format_arn(service="states", resource="stateMachine", resource_name=name,
                              arn_format=ArnFormat.COLON_RESOURCE_NAME)
        executions = [self.format_arn(service="states", resource="execution", resource_name=f"{name}{sep}*",
                                      arn_format=ArnFormat.COLON_RESOURCE_NAME) for sep in (":", "/")]
        machine.add_to_role_policy(iam.PolicyStatement(actions=["states:StartExecution"], resources=[own]))
        machine.add_to_role_policy(iam.PolicyStatement(
            actions=["states:DescribeExecution", "states:StopExecution"], resources=executions))
        # Redriving a failed parent redrives its failed Map Run's children (`<sm>/<map run>:<child>`).
        children = self.format_arn(service="states", resource="execution", resource_name=f"{name}/*:*",
                                   arn_format=ArnFormat.COLON_RESOURCE_NAME)
        machine.add_to_role_policy(iam.PolicyStatement(actions=["states:RedriveExecution"], resources=[children]))
        prefix = "Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
        acknowledge_findings(machine, "AwsSolutions-IAM5",
                             [self._objects_finding(items), self._objects_finding(results),
                              f"{prefix}{name}:*", f"{prefix}{name}/*", f"{prefix}{name}/*:*"],
                             "A Distributed Map reads its items from, and writes its result manifest to, keys "
                             "named by run id, and names (and redrives) its child executions at run time; all stay "
                             "within this flow's prefixes and this state machine.")

    def _grant_batch(self, machine: sfn.StateMachine) -> None:
        arns_ = [q.job_queue_arn for q in self.batch.queues.values()]
        arns_ += [j.job_definition_arn for j in self.batch.job_definitions.values()]
        machine.add_to_role_policy(iam.PolicyStatement(actions=["batch:SubmitJob"], resources=arns_))
        machine.add_to_role_policy(iam.PolicyStatement(actions=["batch:DescribeJobs"], resources=["*"]))
        machine.add_to_role_policy(iam.PolicyStatement(
            actions=["batch:TerminateJob"],
            resources=[self.format_arn(service="batch", resource="job", resource_name="*")]))
        acknowledge_findings(machine, "AwsSolutions-IAM5",
                             ["Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job/*"],
                             "Batch job ids are assigned at submission; .sync stops a timed-out job by id.")
        # `.sync` waits on an EventBridge rule Step Functions manages in the account.
        machine.add_to_role_policy(iam.PolicyStatement(
            actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resources=[self.format_arn(service="events", resource="rule",
                                       resource_name="StepFunctionsGetEventsForBatchJobsRule")]))

    # -- schedules and outputs ---------------------------------------------------------------
    def _schedules(self) -> None:
        for i, schedule in enumerate(self.compiled.model.schedules, start=1):
            events.Rule(
                self, f"Schedule{i}", schedule=events.Schedule.expression(schedule.expression),
                description=f"sfnflow {self.compiled.model.flow_name}: {schedule.source}"[:512],
                targets=[targets.SfnStateMachine(
                    self.state_machine,
                    input=events.RuleTargetInput.from_object(schedule_input(self.compiled.model.parameters)))])

    def _event_rules(self) -> None:
        """@trigger / @trigger_on_finish: the event itself is the execution input (run_input.py maps it)."""
        for rule in self.compiled.model.event_rules:
            pattern = json.loads(rule.pattern_json)
            if rule.finish_flow:
                upstream = self.format_arn(service="states", resource="stateMachine",
                                           resource_name=flow_stack_name(rule.finish_flow),
                                           arn_format=ArnFormat.COLON_RESOURCE_NAME)
                pattern = finish_pattern(upstream)
            events.Rule(self, rule.key, description=rule.description[:512], event_pattern=_event_pattern(pattern),
                        targets=[targets.SfnStateMachine(self.state_machine)])

    def _outputs(self) -> None:
        machine = self.state_machine
        CfnOutput(self, "FlowName", value=self.compiled.model.flow_name)
        CfnOutput(self, "StateMachineArn", value=machine.state_machine_arn)
        CfnOutput(self, "StateMachineName", value=machine.state_machine_name)
        CfnOutput(self, "BucketName", value=self.bucket.bucket_name)
        CfnOutput(self, "TableName", value=self.table.table_name)
        CfnOutput(self, "CodeKey", value=self.code_key)
        # What `sfnflow trigger` validates parameters against (sfn_compiler/run_contract.py).
        CfnOutput(self, PARAMETER_SPEC_OUTPUT, value=encode_parameter_specs(self.compiled.model.parameters))
        CfnOutput(self, STEP_GRAPH_OUTPUT, value=encode_step_graph(self.compiled.graph.steps))  # `resume` plans on it
        CfnOutput(self, "ConsoleUrl", value=Fn.join("", [
            "https://", self.region, ".console.aws.amazon.com/states/home?region=", self.region,
            "#/statemachines/view/", machine.state_machine_arn]))


_PATTERN_FIELDS = {"source": "source", "detail-type": "detail_type", "detail": "detail", "account": "account",
                   "region": "region", "resources": "resources", "id": "id", "time": "time", "version": "version"}


def _event_pattern(pattern: dict[str, Any]) -> events.EventPattern:
    """An EventBridge pattern (as @trigger wrote it) as CDK's EventPattern; content filters
    (prefix, wildcard, ...) inside `detail` pass through as written."""
    unknown = sorted(set(pattern) - set(_PATTERN_FIELDS))
    if unknown:
        raise ValueError(f"@trigger pattern has top-level keys EventBridge patterns do not have: {unknown}; "
                         f"use {', '.join(_PATTERN_FIELDS)}.")
    return events.EventPattern(**{_PATTERN_FIELDS[k]: v for k, v in pattern.items()})


_RETENTION = {1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
              60: "TWO_MONTHS", 90: "THREE_MONTHS", 180: "SIX_MONTHS", 365: "ONE_YEAR", 3653: "TEN_YEARS"}


def _retention(config: DeployConfig) -> logs.RetentionDays:
    days = config.log_retention_days
    if days not in _RETENTION:
        raise ValueError(f"log_retention_days={days}: use one of {', '.join(map(str, _RETENTION))}")
    return getattr(logs.RetentionDays, _RETENTION[days])


def _own_partition_keys(flow: str) -> list[str]:
    """Partition keys a flow's tasks write (contract/table_layout.py: runs, attempts, tags; the flow list)."""
    return [run_pk(flow, "*"), FLOWS_PK]


def _index_names() -> list[str]:
    from sfn_compiler.contract.table_layout import table_definition

    return [i["IndexName"] for i in table_definition("x").get("GlobalSecondaryIndexes", [])]


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _resources(asl: dict[str, Any]) -> set[str]:
    return {str(n["Resource"]) for n in _walk(asl) if isinstance(n.get("Resource"), str)}


def _ddb_action(resource: str) -> str:
    """`arn:aws:states:::dynamodb:updateItem` -> `dynamodb:UpdateItem`."""
    action = resource[len(_DDB_INTEGRATION):].split(".")[0]
    return f"dynamodb:{action[:1].upper()}{action[1:]}"


def _has_distributed_map(asl: dict[str, Any]) -> bool:
    return any(n.get("Mode") == "DISTRIBUTED" for n in _walk(asl))
