"""`step-functions create | trigger | list-runs | delete`: Metaflow's way to put a flow on
Step Functions, kept so the habit works (`python flow.py step-functions create`). Each
subcommand is sfnflow's own command under its Metaflow name, with the same options and
code: create = deploy (`--only-json` = compile), trigger = trigger, list-runs = runs,
delete = destroy. `sfnflow deploy / trigger / runs / destroy` stay the primary spelling.
"""
from __future__ import annotations

import click

from .cmd_operate import operate_errors
from .errors import UserError

FLOW_FILE = click.Path(exists=True, dir_okay=False)
TRIGGER_SETTINGS = {"ignore_unknown_options": True, "allow_extra_args": True, "allow_interspersed_args": True}


@click.group(name="step-functions")
def step_functions() -> None:
    """Metaflow's spelling of deploy / trigger / runs / destroy on AWS Step Functions."""


def _with_batch(with_: tuple[str, ...]) -> str | None:
    """`--with batch` as on `run`; Metaflow's `--with retry` etc. are accepted where run accepts them."""
    unknown = [w for w in with_ if w.split(":", 1)[0] != "batch"]
    if unknown:
        raise UserError(f"--with {unknown[0]}: step-functions create takes --with batch here; put other "
                        "decorators on the steps in the flow file.")
    return "batch" if with_ else None


@step_functions.command("create")
@click.argument("flow_file", type=FLOW_FILE)
@click.option("--only-json", is_flag=True, help="Print the state machine (ASL) that would be deployed; deploy nothing.")
@click.option("--with", "with_", multiple=True, help="batch: put every step on AWS Batch (as on run).")
@click.option("--name", "stack_name", default=None, help="The state machine's and stack's name (default: the flow's).")
@click.option("--region", default=None, help="AWS Region (default: your AWS configuration).")
@click.option("--profile", default=None, help="AWS profile from ~/.aws/config.")
@click.pass_context
def create(ctx: click.Context, flow_file: str, only_json: bool, with_: tuple[str, ...], stack_name: str | None,
           region: str | None, profile: str | None) -> None:
    """Deploy FLOW_FILE (sfnflow deploy); with --only-json, print its ASL (sfnflow compile)."""
    from .cmd_compile import compile_command
    from .cmd_deploy import deploy

    batch = _with_batch(with_)
    if only_json:
        ctx.invoke(compile_command, flow_file=flow_file, output=None, with_=batch)
        return
    ctx.invoke(deploy, flow_file=flow_file, region=region, profile=profile, stack_name=stack_name, with_=batch,
               vpc_id=None, subnet_ids=None)


@step_functions.command("trigger", context_settings=TRIGGER_SETTINGS)
@click.argument("flow")
@click.option("--name", "run_id", default=None, help="The run id (the execution name).")
@click.option("--wait", is_flag=True, help="Follow the run step by step; exit with its outcome.")
@click.option("--region", default=None, help="AWS Region.")
@click.option("--profile", default=None, help="AWS profile from ~/.aws/config.")
@click.pass_context
def trigger(ctx: click.Context, flow: str, run_id: str | None, wait: bool, region: str | None,
            profile: str | None) -> None:
    """Start a run of the deployed flow (sfnflow trigger); parameters follow as --name value."""
    from . import cmd_operate

    ctx.invoke(cmd_operate.trigger, flow=flow, run_id=run_id, wait=wait, tags=(), region=region, profile=profile,
               stack_name=None)


@step_functions.command("list-runs")
@click.argument("flow")
@click.option("-n", "--limit", type=int, default=20, show_default=True, help="How many runs to list.")
@operate_errors
def list_runs(flow: str, limit: int) -> None:
    """Runs of the flow (its name or file), newest first (sfnflow runs)."""
    from .cmd_inspect import list_runs as runs_of

    runs_of(flow, limit=limit)


@step_functions.command("delete")
@click.argument("flow_file", type=FLOW_FILE)
@click.option("--name", "stack_name", default=None, help="The stack, if deployed under another name.")
@click.option("--region", default=None, help="AWS Region.")
@click.option("--profile", default=None, help="AWS profile from ~/.aws/config.")
@click.option("--yes", "--authorize", "yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def delete(ctx: click.Context, flow_file: str, stack_name: str | None, region: str | None, profile: str | None,
           yes: bool) -> None:
    """Delete the deployed flow (sfnflow destroy); its runs' data is kept."""
    from .cmd_deploy import destroy

    ctx.invoke(destroy, flow_file=flow_file, region=region, profile=profile, stack_name=stack_name, yes=yes)
