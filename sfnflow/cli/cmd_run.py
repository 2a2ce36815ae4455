"""`sfnflow run` and `sfnflow resume`: local runs through the compiled state machine."""
from __future__ import annotations

import os
import sys
from typing import Any

import click

from .errors import UserError, reports_user_errors
from .params import check_required, environment_values, parse_parameter_args

RUN_SETTINGS = {"ignore_unknown_options": True, "allow_extra_args": True, "allow_interspersed_args": True}


@click.command(context_settings=RUN_SETTINGS)
@click.argument("flow_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--max-workers", type=click.IntRange(min=1), default=None,
              help="Worker processes running tasks (default: the number of cores).")
@click.option("--tag", "tags", multiple=True, help="Tag the run (repeatable).")
@click.option("--root", type=click.Path(file_okay=False), default=None,
              help="Local store root (default: SFNFLOW_ROOT, else the nearest .sfnflow/ from the current "
                   "folder upward, else a new one here).")
@click.option("--environment", type=click.Choice(["conda", "pypi", "uv"]), default=None,
              help="Accepted for Metaflow command lines: @pypi/@conda step environments always apply.")
@click.option("--with", "with_", type=click.Choice(["batch"]), default=None,
              help="Run every step as a Batch job would (compiles them to Batch tasks).")
@click.option("--run-id-file", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the new run's id to this file as soon as the run is recorded.")
@click.pass_context
@reports_user_errors
def run(ctx: click.Context, flow_file: str, max_workers: int | None, tags: tuple[str, ...], root: str | None,
        environment: str | None, with_: str | None, run_id_file: str | None) -> None:
    """Run FLOW_FILE locally; flow parameters go after it as --name value."""
    from sfn_compiler.compile import CompileOptions, compile_file

    from sfn_compiler.compute import compute_notes

    compiled = compile_file(flow_file, CompileOptions(with_batch=with_ == "batch"))
    parameters = parse_parameter_args(compiled.graph.parameters, ctx.args)
    parameters.update(environment_values(compiled.graph.parameters, parameters))
    check_required(compiled.graph.parameters, parameters)
    for note in compute_notes(compiled.graph, with_ == "batch"):
        click.echo(note, err=True)
    from sfn_compiler.graph.warnings import flow_warnings

    for warning in flow_warnings(compiled.graph):
        click.echo(f"warning: {warning}", err=True)
    run_setup_code(flow_file)
    _execute(flow_file, compiled, parameters, root=root, max_workers=max_workers, tags=tags, run_id_file=run_id_file)


@click.command()
@click.argument("run_id", required=False)
@click.option("--from", "from_step", default=None, help="Rerun from this step (default: the first failed step).")
@click.option("--flow-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The flow file (default: the one the run was started from).")
@click.option("--max-workers", type=click.IntRange(min=1), default=None, help="Worker processes running tasks.")
@click.option("--tag", "tags", multiple=True, help="Tag the new run (repeatable).")
@click.option("--root", type=click.Path(file_okay=False), default=None, help="Local store root.")
@click.option("--force", is_flag=True, help="Resume even though RUN_ID is still running.")
@click.option("--local", is_flag=True, help="Resume a local run even if the flow is deployed.")
@click.option("--wait", is_flag=True, help="A deployed flow's run: follow the new run and exit with its outcome.")
@click.option("--region", default=None, help="A deployed flow's run: its AWS Region.")
@click.option("--profile", default=None, help="A deployed flow's run: the AWS profile.")
@click.option("--run-id-file", type=click.Path(dir_okay=False, writable=True), default=None,
              help="A local resume: write the new run's id to this file as soon as the run is recorded.")
@reports_user_errors
def resume(run_id: str | None, from_step: str | None, flow_file: str | None, max_workers: int | None,
           tags: tuple[str, ...], root: str | None, force: bool, local: bool, wait: bool, region: str | None,
           profile: str | None, run_id_file: str | None) -> None:
    """Start a new run that reuses the successful tasks of RUN_ID before the failed (or --from) step.

    A run of a deployed flow resumes in the cloud (a new execution); RUN_ID may be FLOW/RUN_ID.
    """
    if run_id and not (flow_file or root or local):
        from .cmd_operate import resume_if_deployed

        if resume_if_deployed(run_id, from_step=from_step, tags=tags, wait=wait, region=region, profile=profile):
            return
    from sfn_compiler.compile import compile_file

    from ..resume import plan_resume

    plan = plan_resume(run_id, from_step=from_step, flow_file=flow_file, root=root, force=force)
    if plan.note:
        click.echo(plan.note, err=True)
    compiled = compile_file(plan.flow_file)
    plan = plan.for_graph(compiled.graph)
    click.echo(f"Resuming {plan.flow}/{plan.origin_run_id} {plan.describe()}", err=True)
    _execute(plan.flow_file, compiled, plan.parameters, root=plan.root, max_workers=max_workers, tags=tags,
             origin_run_id=plan.origin_run_id, resume_steps=plan.runtime_steps, run_id_file=run_id_file)


def run_setup_code(flow_file: str) -> None:
    """`sfnflow run flow.py` runs the flow's `if __name__ == "__main__":` setup code first, as
    `python flow.py run` does (there it has already run: this process is that __main__)."""
    from sfn_compiler.loader import load_flow, run_main_block

    main = sys.modules.get("__main__")
    if os.path.abspath(getattr(main, "__file__", "") or "") == os.path.abspath(flow_file):
        return
    run_main_block(sys.modules[load_flow(flow_file).__module__])


def _execute(flow_file: str, compiled: Any, parameters: dict[str, Any], *, root: str | None,
             max_workers: int | None, tags: tuple[str, ...], origin_run_id: str | None = None,
             resume_steps: tuple[str, ...] = (), run_id_file: str | None = None) -> None:
    from runtime.engine.local import engine_name
    from runtime.stores.blobs import resolve_local_root
    from runtime.stores.sqlite_metadata import SqliteMetadataStore

    from ..local_run import new_run_id, run_locally
    from .progress import Progress
    from .summary import print_summary

    engine_name()  # a misspelt SFNFLOW_LOCAL_ENGINE is refused before the run is recorded
    root = resolve_local_root(root=root)
    environments: Any = ()
    if getattr(compiled.model, "environments", ()):  # refusals before the run starts
        from ..environments.local import prepare_local

        environments = prepare_local(compiled.graph.name, compiled.model, root)
    SqliteMetadataStore(root).check_writable()  # a damaged or read-only store, before the run says it started
    run_id = new_run_id()
    retries = {n.name: n.decorator("retry").times for n in compiled.graph.steps if n.decorator("retry") is not None}
    from .live_output import LiveOutput, enabled, terminal_writer

    live = enabled()
    with Progress(compiled.graph.name, run_id, retries=retries) as progress, \
            LiveOutput(root, compiled.graph.name, run_id, terminal_writer(progress)) as output:

        def on_event(kind: str, step: str, task: str, **info: Any) -> None:
            progress.on_event(kind, step, task, **info)
            if live:
                output.on_event(kind, step, task, **info)

        result = run_locally(flow_file, compiled.graph, compiled, parameters, root=root, max_workers=max_workers,
                             tags=tags, origin_run_id=origin_run_id, resume_steps=resume_steps,
                             on_event=on_event, run_id=run_id, environments=environments,
                             on_recorded=_run_id_writer(run_id_file))
    print_summary(result, end_output_shown=live)
    if result.status != "SUCCEEDED":
        sys.exit(1)


def _run_id_writer(path: str | None) -> Any:
    """Metaflow's --run-id-file: the id lands once the run's record exists (so a reader that
    sees the file finds the run), written whole (a reader never sees half of it)."""
    if not path:
        return None

    def write(run_id: str) -> None:
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                out.write(run_id)
            os.replace(tmp, path)
        except OSError as exc:  # the run is recorded already: it goes on, and says so
            click.echo(f"sfnflow: could not write the run id to {path} ({exc.strerror}); the run goes on.", err=True)

    return write


__all__ = ["UserError", "resume", "run"]
