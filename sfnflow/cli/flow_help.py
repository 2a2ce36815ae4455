"""Help that knows the flow: its parameters for `run --help`, and `python flow.py --help`."""
from __future__ import annotations

import os
import sys
from typing import Any

import click

__all__ = ["flow_file_in", "flow_help", "parameter_rows"]


def flow_file_in(ctx: click.Context) -> str | None:
    """The flow file of the command being helped: given to it, or the script run as `python flow.py`."""
    given = ctx.params.get("flow_file") or ctx.meta.get("sfnflow.flow_file")
    if given:
        return str(given)
    for arg in [*sys.argv[1:], *sys.argv[:1]]:  # a flow file argument first, then `python flow.py`
        if arg.endswith(".py") and os.path.isfile(arg):
            return arg
    return None


def parameter_rows(path: str) -> list[tuple[str, str]] | None:
    """(option, description) per parameter of the flow in `path`; None if it does not load."""
    from sfn_compiler.diagnostics import FlowDefinitionError
    from sfn_compiler.graph.builder import build_graph
    from sfn_compiler.loader import load_flow

    try:
        graph = build_graph(load_flow(path))
    except (FlowDefinitionError, OSError):
        return None
    rows = []
    for spec in graph.parameters:
        kind = "file" if spec.include else spec.type
        if spec.separator:
            kind += f" list, split at {spec.separator!r}"
        if spec.default_is_callable:
            default = " [default: computed when the run starts]"
        elif spec.has_default:
            default = f" [default: {spec.default!r}]"
        else:
            default = " [required]" if spec.required else ""
        rows.append((f"--{spec.name} {kind.upper() if ' ' not in kind else kind}", f"{spec.help or ''}{default}".strip()))
    return rows


def flow_help(path: str, commands: dict[str, Any], prog: str) -> str:
    """`python flow.py --help`: the commands it takes and the flow's parameters."""
    formatter = click.HelpFormatter()
    formatter.write_usage(prog, "[--with DECORATOR] COMMAND [ARGS]...")
    formatter.write_paragraph()
    formatter.write_text(f"Runs the flow in {os.path.basename(path)} with sfnflow (Metaflow's command line).")
    with formatter.section("Commands"):
        formatter.write_dl([(name, (cmd.get_short_help_str(70) if cmd is not None else "")) for name, cmd in
                            commands.items()])
    rows = parameter_rows(path)
    if rows:
        with formatter.section("Parameters (give them to run: run --name value)"):
            formatter.write_dl(rows)
    with formatter.section("Options"):
        formatter.write_dl([
            ("--with DECORATOR[:k=v,...]", "Add a step decorator to every step (before or after the command)."),
            ("--quiet", "Do not show the steps' output while the run goes."),
            ("--environment conda|pypi|uv", "Accepted: @pypi/@conda step environments always apply."),
            ("--no-pylint, --datastore, --metadata", "Accepted for Metaflow command lines (sfnflow needs none)."),
        ])
    formatter.write_paragraph()
    formatter.write_text(f"More: {prog} COMMAND --help")
    return formatter.getvalue()
