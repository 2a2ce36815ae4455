"""`sfnflow report RUN_ID`: one self-contained HTML page about a run."""
from __future__ import annotations

import os
from typing import Any

import click

from .cmd_operate import operate_errors
from .errors import UserError


@click.command()
@click.argument("run")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Where to write the page (default: <flow>-<run id>.html in the current folder).")
@click.option("--root", type=click.Path(file_okay=False), default=None, help="Local store root (default: nearest .sfnflow/).")
@click.option("--local", is_flag=True, help="Read local runs even if the flow is deployed.")
@operate_errors
def report(run: str, output: str | None, root: str | None, local: bool) -> None:
    """An HTML report of RUN_ID (or FLOW/RUN_ID): graph, timeline, artifacts, logs, errors, cards."""
    from sfn_compiler.asl.arns import execution_console_url

    from ..operate import source_for_run
    from ..report import collect, render

    parts = run.strip("/").split("/")
    if len(parts) > 2 or not all(parts):
        raise UserError(f"give RUN_ID or FLOW/RUN_ID, not {run!r}.")
    flow, run_id = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])
    source, flow = source_for_run(run_id, flow, root=root, local=local)
    stores = source.stores
    record = stores.metadata.get_run(flow, run_id)
    if record is None:
        raise UserError(f"no run {flow}/{run_id} in {stores.root}. List runs with: sfnflow runs {flow}")
    console = None
    if source.deployment is not None and not source.deployment.endpoint:  # the emulator has no console
        prefix, _, machine = source.deployment.state_machine_arn.rpartition(":stateMachine:")
        console = execution_console_url(source.deployment.region, f"{prefix}:execution:{machine}:{run_id}")
    graph, compute = _graph_of(record.flow_file)
    page = render(collect(stores, flow, run_id, graph, compute, console_url=console))
    path = output or f"{flow}-{run_id}.html"
    with open(path, "w", encoding="utf-8") as out:
        out.write(page)
    click.echo(f"Wrote {os.path.abspath(path)} ({len(page.encode()) / 1024:,.0f} KiB). Open it in a browser.")


def _graph_of(flow_file: str | None) -> tuple[Any, dict[str, str]]:
    """The flow's graph from the file the run started from; (None, {}) if that is gone or broken."""
    if not flow_file or not os.path.exists(flow_file):
        return None, {}
    from sfn_compiler.compile import compile_file

    try:
        compiled = compile_file(flow_file)
        return compiled.graph, compiled.model.compute_labels()
    except Exception:  # the file changed since the run: the report is still worth having
        return None, {}
