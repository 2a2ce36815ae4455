"""The `sfnflow` command line: thin commands that call one library function each and print.

Heavy modules (moto, boto3, the engine) are imported inside the commands that need them,
so `sfnflow show` stays quick.
"""
from __future__ import annotations

import inspect
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
    """`python myflow.py run --alpha 0.2` -> `sfnflow run myflow.py --alpha 0.2`."""
    argv = sys.argv[1:]
    top, argv = _leading_options(argv)
    if not argv or argv[0] not in _FLOW_FILE_COMMANDS:
        given = argv[0] if argv else "nothing"
        click.echo(f"Error: got {given}; use one of: {', '.join(_FLOW_FILE_COMMANDS)} "
                   f"(e.g. python {sys.argv[0]} run).", err=True)
        sys.exit(2)
    path = inspect.getsourcefile(flow_cls) or sys.argv[0]
    command, rest = argv[0], argv[1:]
    if command == "resume":
        args = ["resume", "--flow-file", path, *rest]
    elif command == "step-functions" and rest and not rest[0].startswith("-"):
        args = [command, rest[0], path, *rest[1:]]  # python flow.py step-functions create ...
    else:
        args = [command, path, *rest]
    return main.main(args=[*top, *args], prog_name="sfnflow")


def _leading_options(argv: list[str]) -> tuple[list[str], list[str]]:
    """`--environment=conda run ...` -> (["--environment=conda"], ["run", ...])."""
    top: list[str] = []
    while argv and argv[0].startswith("--environment"):
        takes_value = argv[0] == "--environment"
        top += argv[:2] if takes_value else argv[:1]
        argv = argv[2:] if takes_value else argv[1:]
    return top, argv
