"""`sfnflow runs` and `sfnflow logs`: look at local runs."""
from __future__ import annotations

import datetime as _dt

import click

from .errors import UserError, reports_user_errors


def _fmt(ts: _dt.datetime | None) -> str:
    return ts.astimezone().strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


def _duration(run: object) -> str:
    start, end = getattr(run, "created_at"), getattr(run, "finished_at")
    if not start or not end:
        return "-"
    return f"{(end - start).total_seconds():.1f}s"


@click.command()
@click.argument("flow_name")
@click.option("--root", type=click.Path(file_okay=False), default=None, help="Local store root (default: nearest .sfnflow/).")
@click.option("-n", "--limit", type=int, default=20, show_default=True, help="How many runs to list.")
@reports_user_errors
def runs(flow_name: str, root: str | None, limit: int) -> None:
    """Runs of a flow, newest first."""
    from ..client import Flow, set_root

    set_root(root)
    found = Flow(flow_name).runs()
    if not found:
        raise UserError(f"no runs of {flow_name} yet. Start one with: sfnflow run <flow file>")
    click.echo(f"{'RUN':<28} {'STATUS':<10} {'STARTED':<20} {'TOOK':>8}  TAGS")
    for run in found[:limit]:
        tags = ",".join(sorted(run.user_tags))
        origin = f"  (resumed {run.origin_run_id})" if run.origin_run_id else ""
        click.echo(f"{run.id:<28} {run.status:<10} {_fmt(run.created_at):<20} {_duration(run):>8}  {tags}{origin}")


@click.command()
@click.argument("pathspec")
@click.option("--root", type=click.Path(file_okay=False), default=None, help="Local store root (default: nearest .sfnflow/).")
@click.option("--stderr/--stdout", "show_stderr", default=None, help="Only one stream (default: both).")
@reports_user_errors
def logs(pathspec: str, root: str | None, show_stderr: bool | None) -> None:
    """Logs of RUN_ID/STEP[/TASK] (FLOW/ first if the run id is ambiguous)."""
    from ..client import Step, Task, set_root

    set_root(root)
    parts = pathspec.strip("/").split("/")
    if len(parts) < 2:
        raise UserError("give RUN_ID/STEP or RUN_ID/STEP/TASK (optionally FLOW/ first).")
    flow_name, parts = _flow_of(parts)
    if len(parts) == 2:
        tasks = Step(f"{flow_name}/{parts[0]}/{parts[1]}").tasks()
    else:
        tasks = [Task(f"{flow_name}/{parts[0]}/{parts[1]}/{parts[2]}")]
    if not tasks:
        raise UserError(f"no tasks for {pathspec}.")
    for task in tasks:
        if len(tasks) > 1:
            click.echo(f"--- {task.pathspec} (attempt {task.current_attempt}, {task.status})")
        out = task.stdout if show_stderr is not True else ""
        err = task.stderr if show_stderr is not False else ""
        if not out and not err:
            which = {True: "stderr", False: "stdout"}.get(show_stderr, "output")  # type: ignore[arg-type]
            click.echo(f"({task.pathspec}, attempt {task.current_attempt}, {task.status.lower()}: "
                       f"no {which} was recorded)", err=True)
            continue
        click.echo(out, nl=False)
        click.echo(err, nl=False, err=show_stderr is None)


def _flow_of(parts: list[str]) -> tuple[str, list[str]]:
    """Find the flow of a run id by looking in every flow of the store."""
    from ..client import get_stores

    metadata = get_stores().metadata
    if len(parts) == 4 or (len(parts) == 3 and metadata.get_run(parts[0], parts[1]) is not None):
        return parts[0], parts[1:]
    owners = [f for f in metadata.list_flows() if metadata.get_run(f, parts[0]) is not None]
    if not owners:
        raise UserError(f"no local run {parts[0]}. List runs with: sfnflow runs FLOW_NAME")
    if len(owners) > 1:
        raise UserError(f"run {parts[0]} exists in several flows ({', '.join(owners)}); write FLOW/{'/'.join(parts)}.")
    return owners[0], parts
