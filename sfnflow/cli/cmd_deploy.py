"""`sfnflow synth`, `deploy`, `destroy` and `emulator`: the flow's cloud side.

Thin: options -> DeployConfig -> one call into sfnflow.deploy -> print. Users see one
sentence for missing credentials, Region, CDK libraries or Node.js, never a traceback.
"""
from __future__ import annotations

import functools
import json
from typing import Any, Callable

import click

from .errors import UserError, reports_user_errors

FLOW_FILE = click.Path(exists=True, dir_okay=False)


def _deploy_errors(func: Callable[..., Any], *, verb: str = "deploy") -> Callable[..., Any]:
    """Turn boto3 surprises (throttling, refused calls) into one line each."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValueError as exc:  # bad configuration values (stack name, VPC settings, ...)
            raise UserError(str(exc)) from None
        except Exception as exc:
            import botocore.exceptions as bx

            if isinstance(exc, (bx.ClientError, bx.BotoCoreError)):
                raise UserError(f"AWS refused a {verb} call: {exc}") from None
            raise

    return reports_user_errors(wrapper)


def _config(flow_file: str, with_: str | None, stack_name: str | None, **extra: Any) -> Any:
    from cdk.config import DeployConfig

    return DeployConfig(flow_file=flow_file, with_batch=with_ == "batch", stack_name=stack_name or "",
                        **{k: v for k, v in extra.items() if v is not None and v != "" and v != ()})


_with_option = click.option("--with", "with_", type=click.Choice(["batch"]), default=None,
                            help="Put every step on AWS Batch.")
_stack_option = click.option("--stack-name", default=None, help="The flow's stack (default: the flow's name).")
_suffixes_option = click.option("--package-suffixes", default=None,
                                help="Also package files with these suffixes under the flow's folder (.csv,.txt).")


def _suffixes(text: str | None) -> tuple[str, ...]:
    from ..deploy.package_files import parse_suffixes

    return parse_suffixes(text)


@click.command()
@click.argument("flow_file", type=FLOW_FILE)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the flow stack's template here instead of standard output.")
@click.option("--outdir", type=click.Path(file_okay=False), default=None,
              help="Keep the whole cloud assembly (both stacks, assets) in this folder.")
@_with_option
@_stack_option
@_suffixes_option
@_deploy_errors
def synth(flow_file: str, output: str | None, outdir: str | None, with_: str | None, stack_name: str | None,
          package_suffixes: str | None) -> None:
    """The CloudFormation template of the flow's stack (offline; no AWS credentials needed)."""
    from ..deploy import synth_flow

    result = synth_flow(_config(flow_file, with_, stack_name, package_suffixes=_suffixes(package_suffixes)),
                        outdir=outdir, on_progress=_progress)
    text = json.dumps(result.flow.template(), indent=1, sort_keys=True)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        click.echo(f"wrote {output}: stack {result.flow.name}, {len(text.encode())} bytes, "
                   f"{_synth_took(result)}", err=True)
    else:
        click.echo(text)


@click.command()
@click.argument("flow_file", type=FLOW_FILE)
@click.option("--region", default=None, help="AWS Region (default: your AWS configuration).")
@click.option("--profile", default=None, help="AWS profile from ~/.aws/config.")
@_stack_option
@_with_option
@click.option("--vpc-id", default=None, help="Run Batch jobs in this VPC (with --subnet-ids).")
@click.option("--subnet-ids", default=None, help="Comma-separated subnets for Batch jobs.")
@click.option("--no-public-ip", is_flag=True,
              help="Fargate jobs without a public IP: only for private subnets with a NAT gateway or VPC endpoints.")
@click.option("--max-concurrency", type=int, default=None,
              help="Child executions at once per Distributed Map (default 500).")
@click.option("--log-level", type=click.Choice(["OFF", "FATAL", "ERROR", "ALL"]), default=None,
              help="The state machine's CloudWatch logging (default ERROR).")
@click.option("--log-execution-data", is_flag=True, help="Log states' inputs and outputs too (off by default).")
@click.option("--plan", "plan_only", is_flag=True,
              help="Show what the deploy would create, change or delete, and change nothing.")
@_suffixes_option
@_deploy_errors
def deploy(flow_file: str, region: str | None, profile: str | None, stack_name: str | None, with_: str | None,
           vpc_id: str | None, subnet_ids: str | None, no_public_ip: bool, max_concurrency: int | None,
           log_level: str | None, log_execution_data: bool, plan_only: bool, package_suffixes: str | None) -> None:
    """Deploy the flow: S3 + DynamoDB (shared), Lambda/Batch, the state machine, schedules."""
    from ..deploy import aws_session, deploy_flow, plan_flow, synth_flow
    from ..deploy.errors import require_cdk

    require_cdk()  # before anything slow or remote
    subnets = tuple(s.strip() for s in (subnet_ids or "").split(",") if s.strip())
    config = _config(flow_file, with_, stack_name, vpc_id=vpc_id, subnet_ids=subnets, max_concurrency=max_concurrency,
                     log_level=log_level, log_execution_data=log_execution_data,
                     package_suffixes=_suffixes(package_suffixes), **({"batch_public_ip": False} if no_public_ip else {}))
    target = aws_session(region=region, profile=profile)  # fail fast, before the slow synth
    where = f"{target.endpoint} (AWS_ENDPOINT_URL)" if target.endpoint else f"account {target.account}"
    verb = "planning a deploy of" if plan_only else "deploying"
    click.echo(f"{verb} {flow_file} to {where}, {target.region}", err=True)
    synth = synth_flow(config, on_progress=_progress)
    click.echo(f"stacks {synth.datastore.name} and {synth.flow.name}: {_synth_took(synth)}", err=True)
    from ..deploy.package_files import package_report

    click.echo(package_report(synth.package).line(), err=True)
    for note in _size_notes(synth):
        click.echo(f"note: {note}", err=True)
    plan = plan_flow(synth, target, change_set=plan_only)
    if plan_only:
        click.echo(f"plan (nothing was changed; `sfnflow deploy {flow_file}` applies it):")
        for line in plan.lines():
            click.echo(f"  {line}")
        return
    result = deploy_flow(config, target, synth=synth, plan=plan,
                         on_event=lambda line: click.echo("  " + line, err=True))
    for asset in result.assets:
        click.echo(f"{asset.name} s3://{asset.bucket}/{asset.key}: "
                   f"{'uploaded' if asset.uploaded else 'already there'}", err=True)
    _report_stack(result.datastore)
    _report_stack(result.flow)
    if result.superseded:
        click.echo(f"the previous code package {result.superseded} is tagged superseded (expires in 30 days)",
                   err=True)
    if not result.changed:
        click.echo(f"no changes: {synth.flow.name} is already deployed as it is now.")
    outputs = result.flow.outputs
    for key in ("StateMachineArn", "BucketName", "TableName", "ConsoleUrl"):
        if key in outputs:
            click.echo(f"{key}: {outputs[key]}")
    _remember(synth.compiled.model, outputs, target)


def _remember(model: Any, outputs: dict[str, str], target: Any) -> None:
    """Record the deploy for trigger/runs/status/logs and the client; say how to start a run."""
    from ..operate.profile import deployment_from_outputs, record_deployment

    name = model.flow_name
    path = record_deployment(deployment_from_outputs(name, outputs, target.region, target.account, target.endpoint))
    example = " ".join(f"--{p.name} {json.dumps(p.default) if p.type == 'json' else p.default}"
                       for p in model.parameters[:2] if p.has_default and not p.default_is_callable)
    click.echo(f"start a run:  sfnflow trigger {name} {example}".rstrip(), err=True)
    click.echo('  (or the console\'s "Start execution" with {} or {"parameters": {...}})', err=True)
    click.echo(f"recorded in {path}: runs, status, logs and Flow('{name}') read the deployed datastore.", err=True)


def _size_notes(synth: Any) -> list[str]:
    from sfn_compiler.batch_sizes import size_notes

    return size_notes(synth.compiled.model.job_definitions)


def _report_stack(stack: Any) -> None:
    if stack.action == "unchanged":
        return
    detail = ""
    if stack.action == "updated":
        parts = [f"{k}: {', '.join(v)}" for k, v in stack.changes.items() if v]
        detail = f" ({'; '.join(parts)})" if parts else ""
    click.echo(f"stack {stack.name} {stack.action}{detail}", err=True)


@click.command()
@click.argument("flow_file", type=FLOW_FILE)
@click.option("--region", default=None, help="AWS Region (default: your AWS configuration).")
@click.option("--profile", default=None, help="AWS profile from ~/.aws/config.")
@_stack_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@functools.partial(_deploy_errors, verb="delete")
def destroy(flow_file: str, region: str | None, profile: str | None, stack_name: str | None, yes: bool) -> None:
    """Delete the flow's stack. Its runs' data (bucket, table, logs) is kept."""
    from cdk.config import flow_stack_name
    from sfn_compiler.loader import load_flow

    from ..deploy import aws_session, destroy_flow

    name = stack_name or flow_stack_name(load_flow(flow_file).__name__)
    target = aws_session(region=region, profile=profile)
    if not yes:
        click.confirm(f"delete stack {name} (state machine, functions, Batch, schedules) in {target.region}?",
                      abort=True, err=True)
    result, outputs = destroy_flow(name, target, on_event=lambda line: click.echo("  " + line, err=True))
    if result.action == "absent":
        click.echo(f"stack {name} does not exist in {target.region}; nothing to delete.")
        return
    click.echo(f"deleted stack {name}." + (f" ({result.warning})" if result.warning else ""))
    from ..operate.profile import forget_deployment

    forget_deployment(outputs.get("FlowName", name))
    bucket, table = outputs.get("BucketName", "the datastore bucket"), outputs.get("TableName", "the datastore table")
    click.echo(f"kept: the flow's artifacts in s3://{bucket}/{outputs.get('FlowName', name)}/ and its runs in the "
               f"DynamoDB table {table}. Its log groups went with the stack; its code package is tagged superseded "
               "(the bucket expires it in 30 days) unless another stack uses it. The datastore is shared by all "
               "flows; delete data there yourself if you no longer need it.")


@click.command()
@click.option("--port", type=int, default=4566, show_default=True, help="Port on 127.0.0.1 (0: any free port).")
def emulator(port: int) -> None:
    """A local AWS (moto) for trying deploys: Lambda and Batch steps run their real code locally."""
    import signal
    import threading

    from sfnflow.emulate.emulator import Emulator

    emu = Emulator(port=port)
    try:
        emu.start()
    except OSError as exc:
        raise UserError(f"cannot listen on 127.0.0.1:{emu.port} ({exc.strerror}); pick another --port.") from None
    click.echo(f"sfnflow emulator (moto) listening on {emu.endpoint}\n"
               f"  export AWS_ENDPOINT_URL={emu.endpoint} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test "
               f"AWS_DEFAULT_REGION={emu.region}\n"
               "  then: sfnflow deploy FLOW.py; sfnflow trigger FLOW --wait; sfnflow logs RUN_ID/STEP\n"
               "Everything is kept in memory only: stopping the emulator (Ctrl-C) forgets every stack, object "
               "and run.")
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    stopped.wait()
    emu.stop()
    click.echo("emulator stopped; its state is gone.", err=True)


def _progress(line: str) -> None:
    click.echo(line, err=True)


def _synth_took(result: Any) -> str:
    where = " (from the synth cache)" if result.extra.get("cached") else ""
    return f"synthesized in {result.seconds:.1f} s{where}"
