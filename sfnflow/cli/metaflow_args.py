"""Metaflow's command line (`python flow.py [options] COMMAND [args]`) -> sfnflow's.

Options Metaflow takes before the command: `--with` (a decorator on every step, as on
`run`), `--quiet`, `--environment` (passed on), and ones sfnflow needs none of
(`--no-pylint`, `--datastore`, `--metadata`, ...), accepted with a one-line note where
they would change something under Metaflow.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

__all__ = ["Translated", "translate"]

# name -> takes a value
_TOP_OPTIONS = {
    "--with": True, "--environment": True, "--quiet": False, "--no-pylint": False, "--pylint": False,
    "--datastore": True, "--datastore-root": True, "--metadata": True, "--event-logger": True,
    "--monitor": True, "--package-suffixes": True, "--decospecs": True, "--no-quiet": False,
    "--config": 2, "--config-value": 2,
}
_IGNORED_NOTES = {
    "--datastore": "sfnflow keeps a local run's artifacts in its local store (.sfnflow/); deployed flows use S3",
    "--datastore-root": "sfnflow finds its local store like git finds a repository (or --root / SFNFLOW_ROOT)",
    "--metadata": "sfnflow records a local run in its local store; deployed flows use DynamoDB",
    "--event-logger": "sfnflow has no event logger to choose",
    "--monitor": "sfnflow has no monitor to choose",
    "--package-suffixes": "sfnflow packages the flow's folder for the cloud itself",
}
_HELP = ("--help", "-h")


@dataclass
class Translated:
    args: list[str] = field(default_factory=list)  # sfnflow's command line
    notes: list[str] = field(default_factory=list)  # one line each, for the user
    help: str | None = None  # `python flow.py --help`: show the flow's help
    error: str | None = None


def translate(argv: Sequence[str], flow_file: str, *, prog: str, commands: Sequence[str]) -> Translated:
    out = Translated()
    argv = list(argv)
    top: list[str] = []  # options for sfnflow's main group
    extra: list[str] = []  # options for the command
    while argv and argv[0].startswith("-"):
        arg = argv.pop(0)
        if arg in _HELP:
            out.help = prog
            return out
        name, eq, inline = arg.partition("=")
        if name not in _TOP_OPTIONS:
            out.error = f"{prog}: unknown option {name}. {_usage(prog, commands)}"
            return out
        value = None
        if _TOP_OPTIONS[name] == 2:  # --config NAME PATH: two values
            if len(argv) < 2:
                out.error = f"{prog}: {name} needs a name and a {'path' if name == '--config' else 'value'}."
                return out
            extra += [name, argv.pop(0), argv.pop(0)]
            continue
        if _TOP_OPTIONS[name]:
            if not eq:
                if not argv:
                    out.error = f"{prog}: {name} needs a value."
                    return out
                inline = argv.pop(0)
            value = inline
        if name == "--with":
            extra += ["--with", str(value)]
        elif name == "--environment":
            top += ["--environment", str(value)]
        elif name == "--quiet":
            extra.append("--quiet")
        elif name in _IGNORED_NOTES and value not in ("local", None):
            out.notes.append(f"note: {name}={value} changes nothing here: {_IGNORED_NOTES[name]}.")
    if not argv:
        out.help = prog
        return out
    command, rest = argv[0], argv[1:]
    if command not in commands:
        out.error = f"got {command}; use one of: {', '.join(commands)} (e.g. {prog} run). {_usage(prog, commands)}"
        return out
    if any(arg in _HELP for arg in rest) and command in ("run", "resume"):
        extra = [e for e in extra if e != "--quiet"]
    if command == "resume":
        args = ["resume", "--flow-file", flow_file, *extra, *rest]
    elif command == "run":
        args = ["run", flow_file, *extra, *rest]
    elif command == "step-functions" and rest and not rest[0].startswith("-"):
        args = [command, rest[0], flow_file, *rest[1:]]  # python flow.py step-functions create ...
    else:
        args = [command, flow_file, *rest]
    out.args = [*top, *args]
    return out


def _usage(prog: str, commands: Sequence[str]) -> str:
    return f"See {prog} --help."
