"""The `sfnflow` command line: thin commands that call one library function each and print.

Heavy modules (moto, boto3, the engine) are imported inside the commands that need them,
so `sfnflow show` stays quick.
"""
from __future__ import annotations

import inspect
import os
import sys
from typing import Any

import click

from .cmd_card import card
from .cmd_compile import compile_command, show
from .cmd_cost import cost
from .cmd_deploy import deploy, destroy, emulator, synth
from .cmd_doctor import doctor
from .cmd_inspect import logs, runs
from .cmd_operate import status, trigger
from .cmd_report import report
from .cmd_run import resume, run
from .cmd_step_functions import step_functions


# Metaflow's `--environment=conda` (required there for @conda): accepted here, where
# @pypi/@conda always take effect, so the habit and copied command lines keep working.
ENVIRONMENT_CHOICES = ("conda", "pypi", "uv")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sfnflow")
@click.option("--environment", type=click.Choice(ENVIRONMENT_CHOICES), default=None,
              help="Accepted for Metaflow command lines: @pypi/@conda step environments always apply.")
def main(environment: str | None) -> None:
    """Metaflow-style flows, compiled to AWS Step Functions and run locally through the same state machine."""


main.add_command(show)
main.add_command(compile_command)
main.add_command(run)
main.add_command(resume)
main.add_command(runs)
main.add_command(logs)
main.add_command(report)
main.add_command(card)
main.add_command(synth)
main.add_command(deploy)
main.add_command(destroy)
main.add_command(emulator)
main.add_command(step_functions)
main.add_command(doctor)
main.add_command(trigger)
main.add_command(status)
main.add_command(cost)

# Commands that `python flow.py <command> ...` accepts (Metaflow's habit).
_FLOW_FILE_COMMANDS = ("run", "show", "compile", "resume", "step-functions")


def main_for_flow_class(flow_cls: type) -> Any:
    """`python myflow.py run --alpha 0.2` -> `sfnflow run myflow.py --alpha 0.2`, with Metaflow's
    options before the command (`--with`, `--quiet`, `--environment`, `--no-pylint`, ...)."""
    from .metaflow_args import translate

    path = inspect.getsourcefile(flow_cls) or sys.argv[0]
    translated = translate(sys.argv[1:], path, prog=f"python {os.path.basename(sys.argv[0])}",
                           commands=_FLOW_FILE_COMMANDS)
    for note in translated.notes:
        click.echo(note, err=True)
    if translated.help is not None:
        commands = {name: main.commands.get(name) for name in _FLOW_FILE_COMMANDS}
        from .flow_help import flow_help

        click.echo(flow_help(path, commands, f"python {os.path.basename(sys.argv[0])}"))
        sys.exit(0)
    if translated.error:
        click.echo(f"Error: {translated.error}", err=True)
        sys.exit(2)
    return main.main(args=translated.args, prog_name="sfnflow")
