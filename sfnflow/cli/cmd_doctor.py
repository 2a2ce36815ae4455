"""`sfnflow doctor`: check a local store; `--rebuild` remakes its run index from the run folders."""
from __future__ import annotations

import click

from .errors import UserError, reports_user_errors


@click.command()
@click.option("--root", type=click.Path(file_okay=False), default=None, help="Local store root (default: nearest .sfnflow/).")
@click.option("--rebuild", is_flag=True, help="Set metadata.sqlite aside and rebuild it from the run folders.")
@click.option("--blobs", is_flag=True, help="Also check every artifact blob against its hash (reads them all).")
@reports_user_errors
def doctor(root: str | None, rebuild: bool, blobs: bool) -> None:
    """Check the local store: run index, dead runs, and (with --blobs) every artifact."""
    from runtime.stores.blobs import resolve_local_root

    from ..doctor import check_store, rebuild_index

    root = resolve_local_root(root=root)
    if rebuild:
        runs, tasks, kept = rebuild_index(root)
        where = f" The old index is kept as {kept}." if kept else ""
        click.echo(f"Rebuilt the run index of {root}: {runs} run(s), {tasks} task(s).{where}")
        return
    report = check_store(root, blobs=blobs)
    click.echo(f"Store {root}: {report.runs_on_disk} run folder(s) on disk, {report.runs_indexed} run(s) indexed.")
    if report.index_problem:
        click.echo(f"  run index: {report.index_problem}")
    elif report.runs_indexed < report.runs_on_disk:
        click.echo(f"  run index: {report.runs_on_disk - report.runs_indexed} run folder(s) are not in the index.")
    for run in report.dead_runs:
        click.echo(f"  {run}: left RUNNING by a process that is gone; reads as ABORTED (sfnflow resume continues it).")
    if blobs:
        click.echo(f"  artifacts: {report.blobs_checked} checked, {len(report.damaged_blobs)} damaged"
                   + (" (set aside; the next run that makes them stores them afresh)" if report.damaged_blobs else "")
                   + ".")
        for key in report.damaged_blobs:
            click.echo(f"    {key}")
    if report.index_problem or report.runs_indexed < report.runs_on_disk:
        raise UserError(f"the run index needs a rebuild: sfnflow doctor --rebuild --root {root}")
    if report.damaged_blobs:
        raise UserError("some artifacts were damaged; rerun the steps that made them (sfnflow resume RUN --from STEP).")
    click.echo("  no problems found." if report.healthy else "")
