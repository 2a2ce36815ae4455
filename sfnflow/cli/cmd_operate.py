"""`sfnflow trigger` and `sfnflow status`: start and look at runs of deployed flows.

Thin click commands over plain functions (`trigger_flow`, `show_status`) that a second
command line (`python flow.py step-functions trigger ...`) can call as they are.
"""
from __future__ import annotations

import functools
import sys
import time
from typing import Any, Callable, Sequence

import click

from .errors import UserError, reports_user_errors

RUN_SETTINGS = {"ignore_unknown_options": True, "allow_extra_args": True, "allow_interspersed_args": True}


def operate_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Our errors as one sentence (reports_user_errors); boto3's surprises as one line too."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            import botocore.exceptions as bx

            if isinstance(exc, bx.EndpointConnectionError):
                raise UserError(f"cannot reach {exc.kwargs.get('endpoint_url', 'the endpoint')}: is "
                                "`sfnflow emulator` running (or the network up)?") from None
            if isinstance(exc, bx.NoCredentialsError):
                raise UserError("no AWS credentials were found: run `aws configure`, or set AWS_ACCESS_KEY_ID "
                                "and AWS_SECRET_ACCESS_KEY (any values for the emulator).") from None
            if isinstance(exc, (bx.ClientError, bx.BotoCoreError)):
                raise UserError(f"AWS refused a call: {exc}") from None
            raise

    return reports_user_errors(wrapper)


# -- trigger ------------------------------------------------------------------------------
@click.command(context_settings=RUN_SETTINGS)
@click.argument("flow")
@click.option("--name", "run_id", default=None, help="The run id (the execution name); default: a new one.")
@click.option("--wait", is_flag=True, help="Follow the run step by step; exit with its outcome.")
@click.option("--tag", "tags", multiple=True, help="Tag the run (repeatable).")
@click.option("--region", default=None, help="AWS Region (default: your AWS configuration, else where FLOW was deployed).")
@click.option("--profile", default=None, help="AWS profile from ~/.aws/config.")
@click.option("--stack-name", default=None, help="The flow's stack, if deployed under another name.")
@click.pass_context
@operate_errors
def trigger(ctx: click.Context, flow: str, run_id: str | None, wait: bool, tags: tuple[str, ...],
            region: str | None, profile: str | None, stack_name: str | None) -> None:
    """Start a run of the deployed FLOW (its name or file); parameters follow as --name value."""
    outcome = trigger_flow(flow, ctx.args, run_id=run_id, wait=wait, tags=tags, region=region, profile=profile,
                           stack_name=stack_name)
    if outcome is not None and not outcome.succeeded:
        sys.exit(1)


def trigger_flow(flow: str, parameter_args: Sequence[str], *, run_id: str | None = None, wait: bool = False,
                 tags: Sequence[str] = (), region: str | None = None, profile: str | None = None,
                 stack_name: str | None = None) -> Any:
    """Validate against the deployed spec, start, print; with `wait`, follow and return the outcome."""
    from ..operate import find_deployed, start_run
    from .params import check_required, parse_parameter_args

    deployed = find_deployed(flow, region=region, profile=profile, stack_name=stack_name)
    parameters = parse_parameter_args(deployed.parameters, list(parameter_args))
    check_required(deployed.parameters, parameters)
    if any(spec.include and spec.name in parameters for spec in deployed.parameters):
        from ..includes import store_includes

        # The file is here, the start step is not: store the content in the datastore first.
        parameters = store_includes(deployed.parameters, parameters, deployed.stores().artifacts, deployed.name)
    started = start_run(deployed, parameters, name=run_id, tags=tags, trigger="cli")
    given = " ".join(f"--{k} {v}" for k, v in sorted(parameters.items())) or "defaults only"
    click.echo(f"started {started.flow} run {started.run_id} on {deployed.target.where} ({given})", err=True)
    click.echo(started.run_id)
    click.echo(f"  console: {started.console_url}", err=True)
    if not wait:
        click.echo(f"  follow:  sfnflow status {started.run_id}", err=True)
        return None
    return follow_run(deployed, started.run_id)


def follow_run(deployed: Any, run_id: str, poll: float = 1.0) -> Any:
    from ..operate import wait_for_run

    began = time.monotonic()

    def show(status: str, steps: list[Any]) -> None:
        detail = " | ".join(f"{s.step}: {s.summary()}" for s in steps) or "starting"
        click.echo(f"  [{time.monotonic() - began:5.1f}s] {status:<9} {detail}", err=True)

    outcome = wait_for_run(deployed, run_id, on_progress=show, poll=poll)
    took = time.monotonic() - began
    if outcome.succeeded:
        click.echo(f"run {deployed.name}/{run_id} succeeded in {took:.1f} s.", err=True)
    else:
        reason = _cause(outcome.error, outcome.cause)
        click.echo(f"run {deployed.name}/{run_id} {outcome.status.lower()}{reason}.", err=True)
        click.echo(f"  details: sfnflow status {run_id}", err=True)
    return outcome


def _cause(error: str | None, cause: str | None) -> str:
    if not error:
        return ""
    import json

    message = cause or ""
    try:
        parsed = json.loads(message)
        if isinstance(parsed, dict):
            message = str(parsed.get("errorMessage") or message)
    except (TypeError, ValueError):
        pass
    return f": {error}: {message[:300]}" if message else f": {error}"


# -- status ----------------------------------------------------------------------------------
@click.command()
@click.argument("run")
@click.option("--local", is_flag=True, help="Read local runs even if the flow is deployed.")
@click.option("--root", type=click.Path(file_okay=False), default=None, help="Local store root.")
@operate_errors
def status(run: str, local: bool, root: str | None) -> None:
    """Per step: tasks succeeded / running / failed, and the failing task's error. RUN is RUN_ID or FLOW/RUN_ID."""
    show_status(run, local=local, root=root)


def show_status(run: str, *, local: bool = False, root: str | None = None) -> Any:
    from ..operate import run_report, source_for_run

    flow, _, run_id = run.strip("/").rpartition("/")
    source, flow = source_for_run(run_id, flow or None, root=root, local=local)
    click.echo(source.label, err=True)
    report = run_report(source.stores.metadata, flow, run_id)
    record = report.run
    took = f", took {record.finished_at - record.created_at:.1f} s" if record.finished_at else ""
    origin = f", resumed from {record.origin_run_id}" if record.origin_run_id else ""
    click.echo(f"run {report.pathspec}: {record.status} (trigger {record.trigger}{took}{origin})")
    if record.parameters:
        click.echo("  parameters: " + ", ".join(f"{k}={v!r}" for k, v in sorted(record.parameters.items())))
    width = max([len(s.step) for s in report.steps] + [4])
    for step in report.steps:
        click.echo(f"  {step.step:<{width}}  {step.summary()}")
    for task in report.failures[:3]:
        error = task.error or {}
        click.echo(f"failed: {task.pathspec} (attempt {task.attempt}, {task.compute}): "
                   f"{error.get('type', 'error')}: {error.get('message', '')}")
        click.echo(f"  logs: sfnflow logs {flow}/{run_id}/{task.step}/{task.task_id}")
    if record.status == "FAILED" and not report.failures and record.error:
        click.echo(f"failed: {record.error.get('type')}: {record.error.get('message')}")
    if record.status == "FAILED":
        click.echo(f"  resume: sfnflow resume {flow}/{run_id}")
    if source.deployment is not None and source.deployment.state_machine_arn:
        from sfn_compiler.asl import arns

        prefix, _, machine = source.deployment.state_machine_arn.rpartition(":stateMachine:")
        click.echo(f"  console: {arns.execution_console_url(source.deployment.region, f'{prefix}:execution:{machine}:{run_id}')}")
    return report


# -- resume (a deployed flow's run) --------------------------------------------------------------
def resume_if_deployed(run: str, *, from_step: str | None = None, tags: Sequence[str] = (), wait: bool = False,
                       region: str | None = None, profile: str | None = None, force: bool = False) -> bool:
    """Resume RUN in the cloud if it is a deployed flow's run; False if it is not (a local run)."""
    from ..operate import OperateError, source_for_run
    from ..operate.resume_deployed import resume_deployed

    flow, _, run_id = run.strip("/").rpartition("/")
    try:
        source, flow = source_for_run(run_id, flow or None)
    except OperateError:
        return False  # not found anywhere: the local resume says so
    if source.deployment is None:
        return False
    click.echo(source.label, err=True)
    resumed = _operate(lambda: resume_deployed(source.stores.metadata, flow, run_id, from_step=from_step,
                                               tags=tags, region=region, profile=profile, force=force))
    started = resumed.started
    click.echo(f"resuming {flow}/{run_id} {resumed.plan.describe()}", err=True)
    click.echo(f"started {flow} run {started.run_id} on {resumed.deployed.target.where}", err=True)
    click.echo(started.run_id)
    click.echo(f"  console: {started.console_url}", err=True)
    if not wait:
        click.echo(f"  follow:  sfnflow status {started.run_id}", err=True)
        return True
    outcome = _operate(lambda: follow_run(resumed.deployed, started.run_id))
    if not outcome.succeeded:
        sys.exit(1)
    return True


def _operate(call: Callable[[], Any]) -> Any:
    """Run `call` with operate_errors' translations (for helpers called from other commands)."""
    return operate_errors(call)()
