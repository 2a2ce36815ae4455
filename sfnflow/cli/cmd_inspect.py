"""`sfnflow runs` and `sfnflow logs`: look at runs, local or deployed (operate/where.py says which)."""
from __future__ import annotations

import datetime as _dt

import click

from .cmd_operate import operate_errors
from .errors import UserError


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
@click.option("--local", is_flag=True, help="Read local runs even if the flow is deployed.")
@click.option("-n", "--limit", type=int, default=20, show_default=True, help="How many runs to list.")
@operate_errors
def runs(flow_name: str, root: str | None, local: bool, limit: int) -> None:
    """Runs of a flow (its name or file), newest first: local runs, or the deployed datastore's."""
    list_runs(flow_name, root=root, local=local, limit=limit)


def list_runs(flow: str, *, root: str | None = None, local: bool = False, limit: int = 20) -> list[object]:
    from ..client import Run
    from ..operate import flow_name_of, source_for_flow

    flow_name = flow_name_of(flow)
    source = source_for_flow(flow_name, root=root, local=local)
    found = [Run._from_record(r) for r in source.stores.metadata.list_runs(flow_name)]
    if not found:
        if source.deployment is not None:
            raise UserError(f"no runs of {flow_name} yet in {source.stores.root}. Start one with: "
                            f"sfnflow trigger {flow_name}")
        raise UserError(f"no runs of {flow_name} yet. Start one with: sfnflow run <flow file>")
    click.echo(source.label, err=True)
    click.echo(f"{'RUN':<38} {'STATUS':<10} {'STARTED':<20} {'TOOK':>8}  {'TRIGGER':<10} TAGS")
    for run in found[:limit]:
        tags = ",".join(sorted(run.user_tags))
        origin = f"  (resumed {run.origin_run_id})" if run.origin_run_id else ""
        click.echo(f"{run.id:<38} {run.status:<10} {_fmt(run.created_at):<20} {_duration(run):>8}  "
                   f"{run.record.trigger:<10} {tags}{origin}")
    return found


@click.command()
@click.argument("pathspec")
@click.option("--root", type=click.Path(file_okay=False), default=None, help="Local store root (default: nearest .sfnflow/).")
@click.option("--local", is_flag=True, help="Read local runs even if the flow is deployed.")
@click.option("--stderr/--stdout", "show_stderr", default=None, help="Only one stream (default: both).")
@operate_errors
def logs(pathspec: str, root: str | None, local: bool, show_stderr: bool | None) -> None:
    """Logs of RUN_ID/STEP[/TASK] (FLOW/ first if the run id is ambiguous).

    Cloud tasks: CloudWatch Logs (Lambda, Batch), else the datastore's copy of the output.
    """
    show_logs(pathspec, root=root, local=local, show_stderr=show_stderr)


def show_logs(pathspec: str, *, root: str | None = None, local: bool = False, show_stderr: bool | None = None) -> None:
    from ..client import Task
    from ..operate import source_for_run
    from ..operate.cloud_logs import cloud_task_log

    parts = pathspec.strip("/").split("/")
    if len(parts) < 2 or len(parts) > 4:
        raise UserError("give RUN_ID/STEP or RUN_ID/STEP/TASK (optionally FLOW/ first).")
    flow = parts[0] if len(parts) == 4 else None
    rest = parts[1:] if len(parts) == 4 else parts
    if len(parts) == 3 and flow is None:
        # FLOW/RUN/STEP or RUN/STEP/TASK: FLOW/RUN/STEP when that run exists.
        try:
            source, flow = source_for_run(parts[1], parts[0], root=root, local=local)
            if source.stores.metadata.get_run(flow, parts[1]) is not None:
                rest = parts[1:]
            else:
                flow = None
        except Exception:
            flow = None
    run_id, step = rest[0], rest[1]
    source, flow = source_for_run(run_id, flow, root=root, local=local)
    click.echo(source.label, err=True)
    metadata = source.stores.metadata
    records = metadata.list_tasks(flow, run_id, step)
    if len(rest) == 3:
        records = [r for r in records if r.task_id == rest[2]]
    if not records:
        raise UserError(f"no tasks for {flow}/{run_id}/{step}{'/' + rest[2] if len(rest) == 3 else ''}. "
                        f"See the run's steps with: sfnflow status {flow}/{run_id}")
    records.sort(key=lambda r: [int(i) if i.isdigit() else -1 for i in r.task_id.split(".")])
    for record in records:
        cloud = cloud_task_log(record, source.client) if (source.deployment and show_stderr is None) else None
        if cloud is not None:
            click.echo(f"--- {record.pathspec} (attempt {record.attempt}, {record.status}; {cloud.where})")
        elif len(records) > 1 or source.deployment is not None:
            where = "; the datastore's copy" if source.deployment is not None else ""
            click.echo(f"--- {record.pathspec} (attempt {record.attempt}, {record.status}{where})")
        if cloud is not None:
            click.echo(cloud.text, nl=False)
            continue
        task = Task._from_record(record)
        out = task.stdout if show_stderr is not True else ""
        err = task.stderr if show_stderr is not False else ""
        if not out and not err:
            which = {True: "stderr", False: "stdout"}.get(show_stderr, "output")  # type: ignore[arg-type]
            click.echo(f"({task.pathspec}, attempt {task.current_attempt}, {task.status.lower()}: "
                       f"no {which} was recorded)", err=True)
            continue
        click.echo(out, nl=False)
        click.echo(err, nl=False, err=show_stderr is None)
