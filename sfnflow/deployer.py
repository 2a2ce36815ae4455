"""The deploy -> trigger -> watch -> read loop in Python, as Metaflow users know it from `Deployer`.

    from sfnflow.deployer import Deployer

    deployed = Deployer("trainflow.py", package_suffixes=[".csv"]).deploy()
    triggered = deployed.trigger(alpha=0.3)          # parameters checked against the deployed spec
    triggered.wait(timeout=3600)                     # or .status while it runs
    triggered.status, triggered.run.data.best        # the client's Run, read from the deployed datastore

    deployed = Deployer.from_deployed("TrainFlow")   # a flow deployed earlier (by name or file)

The same plain functions as the CLI (sfnflow/operate, sfnflow/deploy); errors are
OperateError / DeployError with one sentence each.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

__all__ = ["DeployedFlow", "Deployer", "TriggeredRun"]


class Deployer:
    """Deploy one flow file (the CDK `deploy` extra is needed; credentials and Region as for the CLI)."""

    def __init__(self, flow_file: str, *, region: str | None = None, profile: str | None = None,
                 stack_name: str | None = None, package_suffixes: Sequence[str] = (), with_batch: bool = False) -> None:
        self.flow_file, self.region, self.profile = flow_file, region, profile
        self.stack_name, self.with_batch = stack_name, with_batch
        self.package_suffixes = tuple(package_suffixes)

    def deploy(self, on_event: Callable[[str], None] | None = None) -> "DeployedFlow":
        """Synthesize and deploy (or update) the flow; record it like `sfnflow deploy` does."""
        from cdk.config import DeployConfig

        from .deploy import aws_session, deploy_flow
        from .deploy.package_files import parse_suffixes
        from .operate.profile import deployment_from_outputs, record_deployment

        config = DeployConfig(flow_file=self.flow_file, with_batch=self.with_batch, stack_name=self.stack_name or "",
                              package_suffixes=parse_suffixes(list(self.package_suffixes)))
        target = aws_session(region=self.region, profile=self.profile)
        result = deploy_flow(config, target, on_event=on_event or (lambda line: None))
        name = result.synth.compiled.model.flow_name
        record_deployment(deployment_from_outputs(name, result.flow.outputs, target.region, target.account,
                                                  target.endpoint))
        return DeployedFlow.find(name, region=target.region, profile=self.profile, stack_name=self.stack_name)

    @staticmethod
    def from_deployed(flow: str, *, region: str | None = None, profile: str | None = None,
                      stack_name: str | None = None) -> "DeployedFlow":
        """A flow deployed earlier: its name or its file."""
        return DeployedFlow.find(flow, region=region, profile=profile, stack_name=stack_name)


@dataclass
class DeployedFlow:
    """A deployed flow, as its stack serves it."""

    deployed: Any  # operate.DeployedFlow

    @classmethod
    def find(cls, flow: str, *, region: str | None = None, profile: str | None = None,
             stack_name: str | None = None) -> "DeployedFlow":
        from .operate import find_deployed, load_deployments, record_deployment

        deployed = find_deployed(flow, region=region, profile=profile, stack_name=stack_name)
        # Remember where it is, so the client's Run("Flow/run") reads its datastore on this machine too.
        if load_deployments().get(deployed.name) != deployed.deployment():
            record_deployment(deployed.deployment())
        return cls(deployed)

    @property
    def name(self) -> str:
        return str(self.deployed.name)

    @property
    def state_machine_arn(self) -> str:
        return str(self.deployed.state_machine_arn)

    @property
    def parameters(self) -> dict[str, Any]:
        """name -> ParameterSpec, as deployed."""
        return {s.name: s for s in self.deployed.parameters}

    def trigger(self, run_id: str | None = None, tags: Sequence[str] = (), **parameters: Any) -> "TriggeredRun":
        """Start a run; parameters are checked and typed against the deployed spec first."""
        from .operate import check_parameters, start_run

        started = start_run(self.deployed, check_parameters(self.deployed.parameters, parameters), name=run_id,
                            tags=tags, trigger="api")
        return TriggeredRun(self, started.run_id, started.execution_arn, started.console_url)

    def runs(self) -> list[Any]:
        """The flow's runs in its deployed datastore, newest first (client Run objects)."""
        from .client import Run

        return [Run._from_record(r) for r in self.deployed.stores().metadata.list_runs(self.name)]

    def run(self, run_id: str) -> "TriggeredRun":
        """A handle on an existing run of this flow (a schedule's, the console's, ...)."""
        from sfn_compiler.asl import arns

        from .operate.watch import execution_arn_of

        arn = execution_arn_of(self.deployed, run_id)
        return TriggeredRun(self, run_id, arn, arns.execution_console_url(self.deployed.region, arn))


@dataclass
class TriggeredRun:
    flow: DeployedFlow
    run_id: str
    execution_arn: str
    console_url: str
    outcome: Any = field(default=None, repr=False)

    @property
    def pathspec(self) -> str:
        return f"{self.flow.name}/{self.run_id}"

    @property
    def status(self) -> str:
        """RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED (Step Functions' own word)."""
        described = self.flow.deployed.target.client("stepfunctions").describe_execution(
            executionArn=self.execution_arn)
        return str(described["status"])

    def wait(self, timeout: float | None = None, poll: float = 2.0,
             on_progress: Callable[[str, list[Any]], None] | None = None) -> "TriggeredRun":
        """Block until the run ends (OperateError if `timeout` seconds pass first)."""
        from .operate import wait_for_run

        self.outcome = wait_for_run(self.flow.deployed, self.run_id, on_progress=on_progress, poll=poll,
                                    timeout=timeout)
        return self

    @property
    def successful(self) -> bool:
        return self.status == "SUCCEEDED"

    @property
    def run(self) -> Any:
        """The client's Run (its record exists once the start step began)."""
        from .client import Run

        from .client import NotFound

        record = self.flow.deployed.stores().metadata.get_run(self.flow.name, self.run_id)
        if record is None:
            raise NotFound(f"run {self.pathspec} has not started its first step yet (status {self.status}); "
                           "wait() for it.")
        return Run._from_record(record)

    def terminate(self) -> None:
        """Stop the execution (its run ends ABORTED in Step Functions)."""
        self.flow.deployed.target.client("stepfunctions").stop_execution(
            executionArn=self.execution_arn, cause="stopped from sfnflow's Deployer")
