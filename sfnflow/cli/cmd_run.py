"""`sfnflow run` and `sfnflow resume`: local runs through the compiled state machine."""
from __future__ import annotations

import os
import sys
from typing import Any

import click

from .errors import UserError, reports_user_errors
from .params import check_required, environment_values, parse_parameter_args

RUN_SETTINGS = {"ignore_unknown_options": True, "allow_extra_args": True, "allow_interspersed_args": True}


class FlowCommand(click.Command):
    """A command whose help also lists the flow's parameters (`run --help`, as Metaflow's does).

    A flow parameter named like one of the command's Metaflow-compatibility options
    (`--config`, `--config-value`: top-level options in Metaflow, where a flow may well have
    a `config` parameter) wins: that option is left out when the flow defines the name.
    """

    SHADOWABLE = ("--config", "--config-value")

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["sfnflow.shadowed"] = _parameters_shadowing(self, args)
        rest = super().parse_args(ctx, args)
        for name in ctx.meta["sfnflow.shadowed"]:
            ctx.params.setdefault(name, ())  # the option's value: not given
        return rest

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        shadowed = ctx.meta.get("sfnflow.shadowed", ())
        return [p for p in super().get_params(ctx) if p.name not in shadowed]

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_help(ctx, formatter)
        from .flow_help import flow_file_in, parameter_rows

        path = flow_file_in(ctx)
        rows = parameter_rows(path) if path else None
        if rows:
            with formatter.section(f"Parameters of {os.path.basename(path)}"):
                formatter.write_dl(rows)
        elif rows is not None:
            formatter.write_paragraph()
            formatter.write_text(f"{os.path.basename(path)} has no parameters.")


def _parameters_shadowing(command: click.Command, args: list[str]) -> tuple[str, ...]:
    """Names of `command`'s shadowable options that the flow file in `args` declares as Parameters."""
    used = {a.split("=", 1)[0] for a in args} & set(FlowCommand.SHADOWABLE)
    flow_file = next((a for a in args if a.endswith(".py") and os.path.isfile(a)), None)
    if not used or flow_file is None:
        return ()
    declared = {name.replace("_", "-") for name in _declared_parameters(flow_file)}
    return tuple(p.name for p in command.params if any(o in used and o[2:] in declared for o in p.opts))


def _declared_parameters(path: str) -> set[str]:
    """`Parameter("name", ...)` names in a flow file, read from its source (nothing imported)."""
    import ast

    try:
        tree = ast.parse(open(path, encoding="utf-8").read())
    except (OSError, SyntaxError, ValueError):
        return set()
    return {call.args[0].value for call in ast.walk(tree)
            if isinstance(call, ast.Call) and getattr(call.func, "id", getattr(call.func, "attr", "")) == "Parameter"
            and call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)}


@click.command(cls=FlowCommand, context_settings=RUN_SETTINGS)
@click.argument("flow_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--max-workers", type=click.IntRange(min=1), default=None,
              help="Worker processes running tasks (default: the number of cores).")
@click.option("--tag", "tags", multiple=True, help="Tag the run (repeatable).")
@click.option("--root", type=click.Path(file_okay=False), default=None,
              help="Local store root (default: SFNFLOW_ROOT, else the nearest .sfnflow/ from the current "
                   "folder upward, else a new one here).")
@click.option("--environment", type=click.Choice(["conda", "pypi", "uv"]), default=None,
              help="Accepted for Metaflow command lines: @pypi/@conda step environments always apply.")
@click.option("--with", "with_", multiple=True, metavar="DECORATOR[:k=v,...]",
              help="Add a step decorator to every step, e.g. --with retry, --with batch:cpu=4 (repeatable).")
@click.option("--max-num-splits", type=int, default=None,
              help="Accepted for Metaflow command lines: sfnflow has no foreach limit.")
@click.option("--quiet", is_flag=True, help="Do not show the steps' output while the run goes.")
@click.option("--config", "config_files", type=(str, str), multiple=True, metavar="NAME PATH",
              help="A Config's value from a file (repeatable).")
@click.option("--config-value", "config_values", type=(str, str), multiple=True, metavar="NAME JSON",
              help="A Config's value given as text (repeatable).")
@click.option("--run-id-file", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the new run's id to this file as soon as the run is recorded.")
@click.pass_context
@reports_user_errors
def run(ctx: click.Context, flow_file: str, max_workers: int | None, tags: tuple[str, ...], root: str | None,
        environment: str | None, with_: tuple[str, ...], max_num_splits: int | None, quiet: bool,
        config_files: tuple[tuple[str, str], ...], config_values: tuple[tuple[str, str], ...],
        run_id_file: str | None) -> None:
    """Run FLOW_FILE locally; flow parameters go after it as --name value."""
    from sfn_compiler.compile import CompileOptions, compile_file

    from sfn_compiler.compute import compute_notes

    if max_num_splits is not None:
        click.echo(f"note: --max-num-splits {max_num_splits} is not needed: sfnflow has no limit on a foreach's "
                   "width (wide ones run as a Distributed Map).", err=True)
    with_batch = any(w.split(":", 1)[0].strip() == "batch" for w in with_)
    sources = config_sources(config_files, config_values)
    compiled = compile_file(flow_file, CompileOptions(with_batch=with_batch, with_decorators=tuple(with_),
                                                      config_sources=sources))
    pass_down_options(with_, quiet, sources)
    parameters = parse_parameter_args(compiled.graph.parameters, ctx.args)
    parameters.update(environment_values(compiled.graph.parameters, parameters))
    check_required(compiled.graph.parameters, parameters)
    for note in compute_notes(compiled.graph, with_batch):
        click.echo(note, err=True)
    from sfn_compiler.graph.warnings import flow_warnings

    for warning in flow_warnings(compiled.graph):
        click.echo(f"warning: {warning}", err=True)
    run_setup_code(flow_file)
    _execute(flow_file, compiled, parameters, root=root, max_workers=max_workers, tags=tags, run_id_file=run_id_file)


@click.command()
@click.argument("run_id", required=False, metavar="[RUN_ID | STEP]")
@click.option("--origin-run-id", default=None, help="The run to resume (Metaflow's spelling; then the argument "
                                                    "is the STEP to rerun from).")
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
@click.option("--with", "with_", multiple=True, metavar="DECORATOR[:k=v,...]",
              help="Add a step decorator to every step of the new run (repeatable).")
@reports_user_errors
def resume(run_id: str | None, origin_run_id: str | None, from_step: str | None, flow_file: str | None,
           max_workers: int | None, tags: tuple[str, ...], root: str | None, force: bool, local: bool, wait: bool,
           region: str | None, profile: str | None, run_id_file: str | None, with_: tuple[str, ...]) -> None:
    """Start a new run that reuses the successful tasks of RUN_ID before the failed (or --from) step.

    Metaflow's form works too: `python flow.py resume [STEP] [--origin-run-id RUN_ID]`; with a
    flow file and no run id, the latest run of that flow is resumed. A run of a deployed flow
    resumes in the cloud (a new execution); RUN_ID may be FLOW/RUN_ID.
    """
    run_id, from_step = _resume_target(run_id, origin_run_id, from_step, flow_file)
    if run_id and not (flow_file or root or local):
        from .cmd_operate import resume_if_deployed

        if resume_if_deployed(run_id, from_step=from_step, tags=tags, wait=wait, region=region, profile=profile,
                              force=force):
            return
    from sfn_compiler.compile import compile_file

    from ..resume import plan_resume

    from sfn_compiler.compile import CompileOptions
    from sfn_compiler.loader import load_flow

    flow_name = load_flow(flow_file).__name__ if flow_file and not run_id else None
    plan = plan_resume(run_id, from_step=from_step, flow_file=flow_file, root=root, force=force, flow_name=flow_name)
    if plan.note:
        click.echo(plan.note, err=True)
    compiled = compile_file(plan.flow_file, CompileOptions(with_decorators=tuple(with_)))
    pass_down_options(with_, False, ())
    plan = plan.for_graph(compiled.graph)
    click.echo(f"Resuming {plan.flow}/{plan.origin_run_id} {plan.describe()}", err=True)
    _execute(plan.flow_file, compiled, plan.parameters, root=plan.root, max_workers=max_workers, tags=tags,
             origin_run_id=plan.origin_run_id, resume_steps=plan.runtime_steps, run_id_file=run_id_file)


def _resume_target(positional: str | None, origin_run_id: str | None, from_step: str | None,
                   flow_file: str | None) -> tuple[str | None, str | None]:
    """(run id, step to rerun from): `resume RUN_ID`, Metaflow's `resume STEP [--origin-run-id ID]`."""
    if origin_run_id:
        if positional and from_step and positional != from_step:
            raise UserError(f"resume {positional} --from {from_step}: give the step once.")
        return origin_run_id, from_step or positional
    if positional and flow_file and from_step is None:
        from sfn_compiler.graph.builder import build_graph
        from sfn_compiler.loader import load_flow

        if positional in build_graph(load_flow(flow_file)):
            return None, positional  # a step of the flow: the latest run of the flow, from that step
    return positional, from_step


def config_sources(files: tuple[tuple[str, str], ...], values: tuple[tuple[str, str], ...]
                   ) -> tuple[tuple[str, str, str], ...]:
    """--config NAME PATH (relative to the current folder) and --config-value NAME JSON."""
    given = [(name, "path", os.path.abspath(path)) for name, path in files] + [(n, "value", v) for n, v in values]
    names = [name for name, _kind, _text in given]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UserError(f"config {', '.join(twice)} given more than once; give each config one file or value.")
    return tuple(given)


def pass_down_options(with_: tuple[str, ...], quiet: bool, sources: tuple[tuple[str, str, str], ...]) -> None:
    """What the task processes must know too: the `--with` decorators and the Configs' sources
    (they build the same graph, with the same config values)."""
    import json

    from sfn_compiler.contract.task_config import ENV_CONFIG, ENV_QUIET, ENV_WITH

    if with_:
        os.environ[ENV_WITH] = json.dumps(list(with_))
    else:
        os.environ.pop(ENV_WITH, None)
    if sources:
        os.environ[ENV_CONFIG] = json.dumps({name: [kind, text] for name, kind, text in sources})
    else:
        os.environ.pop(ENV_CONFIG, None)
    if quiet:
        os.environ[ENV_QUIET] = "1"


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
