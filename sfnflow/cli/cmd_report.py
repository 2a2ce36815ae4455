"""`sfnflow report RUN_ID`: one self-contained HTML page about a run."""
from __future__ import annotations

import os
from typing import Any

import click

from .errors import UserError, reports_user_errors


@click.command()
@click.argument("run")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Where to write the page (default: <flow>-<run id>.html in the current folder).")
@click.option("--root", type=click.Path(file_okay=False), default=None, help="Local store root (default: nearest .sfnflow/).")
@reports_user_errors
def report(run: str, output: str | None, root: str | None) -> None:
    """An HTML report of RUN_ID (or FLOW/RUN_ID): graph, timeline, artifacts, logs, errors."""
    from ..client import get_stores, set_root
    from ..report import collect, render
    from .cmd_inspect import _flow_of

    set_root(root)
    flow, (run_id,) = _flow_of(run.strip("/").split("/")) if "/" not in run.strip("/") else _split(run)
    stores = get_stores()
    record = stores.metadata.get_run(flow, run_id)
    if record is None:
        raise UserError(f"no run {flow}/{run_id} in {stores.root}. List runs with: sfnflow runs {flow}")
    graph, compute = _graph_of(record.flow_file)
    page = render(collect(stores, flow, run_id, graph, compute))
    path = output or f"{flow}-{run_id}.html"
    with open(path, "w", encoding="utf-8") as out:
        out.write(page)
    click.echo(f"Wrote {os.path.abspath(path)} ({len(page.encode()) / 1024:,.0f} KiB). Open it in a browser.")


def _split(run: str) -> tuple[str, list[str]]:
    flow, run_id = run.strip("/").split("/", 1)
    return flow, [run_id]


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
