"""`sfnflow show` and `sfnflow compile`: read-only views of what would be deployed."""
from __future__ import annotations

import click

from .errors import reports_user_errors

FLOW_FILE = click.Path(exists=True, dir_okay=False)


@click.command()
@click.argument("flow_file", type=FLOW_FILE)
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "dot", "json", "svg", "html", "png"]),
              default="text", show_default=True,
              help="text for people, mermaid/dot for diagrams, json for tools, svg/html/png for a picture.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file (needed for png).")
@click.option("--with", "with_", type=click.Choice(["batch"]), default=None, help="Put every step on AWS Batch.")
@reports_user_errors
def show(flow_file: str, fmt: str, output: str | None, with_: str | None) -> None:
    """Steps, edges, compute target and decorators per step, and the limits report."""
    from sfn_compiler.compile import CompileOptions, compile_file

    from .. import render

    compiled = compile_file(flow_file, CompileOptions(with_batch=with_ == "batch"))
    graph = compiled.graph
    compute = compiled.model.compute_labels()
    limits = compiled.limits.lines()
    environments = _environments(compiled.model, fmt)
    if fmt == "png":
        _png(graph, compute, output)
        return
    if fmt == "mermaid":
        text = render.to_mermaid(graph, compute)
    elif fmt == "dot":
        text = render.to_dot(graph, compute)
    elif fmt == "json":
        text = render.to_json(graph, compute, limits, environments)
    elif fmt in ("svg", "html"):
        from ..report import graph_svg
        from ..report.picture import flow_html

        text = graph_svg(graph, compute) if fmt == "svg" else flow_html(graph, compute)
    else:
        from sfn_compiler.compute import compute_notes

        text = "\n".join([render.to_text(graph, compute, limits, environments),
                          *compute_notes(graph, with_ == "batch")])
    if output:
        with open(output, "w", encoding="utf-8") as out:
            out.write(text + "\n")
        click.echo(f"Wrote {output}")
    else:
        click.echo(text)


def _environments(model: object, fmt: str) -> list:
    """Each step environment as written plus its locked versions (json: records; text: lines)."""
    if not getattr(model, "environments", ()):
        return []
    from runtime.stores.blobs import resolve_local_root

    from ..environments.describe import environment_lines, environment_records

    root = resolve_local_root()
    return environment_records(model, root) if fmt == "json" else environment_lines(model, root)


def _png(graph: object, compute: dict, output: str | None) -> None:
    from ..report.picture import NoBrowser, flow_png
    from .errors import UserError

    if not output:
        raise UserError("--format png writes a file: add -o flow.png.")
    try:
        flow_png(graph, compute, output)
    except NoBrowser as exc:
        raise UserError(str(exc)) from None
    click.echo(f"Wrote {output}")


@click.command(name="compile")
@click.argument("flow_file", type=FLOW_FILE)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the ASL here instead of standard output.")
@click.option("--with", "with_", type=click.Choice(["batch"]), default=None, help="Put every step on AWS Batch.")
@reports_user_errors
def compile_command(flow_file: str, output: str | None, with_: str | None) -> None:
    """The Amazon States Language definition that will be deployed (deterministic)."""
    from sfn_compiler.compile import CompileOptions, compile_file

    text = compile_file(flow_file, CompileOptions(with_batch=with_ == "batch")).asl_text
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        click.echo(f"wrote {output} ({len(text.encode())} bytes)", err=True)
    else:
        click.echo(text)
