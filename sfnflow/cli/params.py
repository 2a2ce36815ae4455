"""Flow parameters on the command line: `--alpha 0.2`, `--flag` / `--no-flag`, typed and
checked against the flow's Parameter specs before anything runs."""
from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

from sfn_compiler.contract.task_config import ENV_RUN_PARAMETER_PREFIX
from sfn_compiler.dsl.parameters import ParameterError, convert_value, split_value
from sfn_compiler.dsl.specs import ParameterSpec

from .errors import UserError


def parse_parameter_args(specs: Sequence[ParameterSpec], args: Sequence[str]) -> dict[str, Any]:
    """Return {parameter name: typed value} for the parameters given on the command line."""
    by_option = {}
    for spec in specs:
        by_option[spec.name] = spec
        by_option[spec.name.replace("_", "-")] = spec
    values: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--"):
            raise UserError(f"unexpected argument {arg!r}. Flow parameters are given as --name value.")
        name, eq, inline = arg[2:].partition("=")
        negated = False
        spec = by_option.get(name)
        if spec is None and name.startswith("no-") and by_option.get(name[3:]) is not None:
            spec, negated = by_option[name[3:]], True
        if spec is None:
            raise UserError(f"unknown parameter --{name}. {_known(specs)}")
        if spec.type == "bool" and not eq and (negated or i + 1 >= len(args) or args[i + 1].startswith("--")):
            raw: Any = not negated
            i += 1
        elif eq:
            raw, i = inline, i + 1
        elif i + 1 < len(args):
            raw, i = args[i + 1], i + 2
        else:
            raise UserError(f"parameter --{name} needs a value ({spec.type}).")
        values[spec.name] = check_value(spec, raw)
    return values


def check_value(spec: ParameterSpec, raw: Any) -> Any:
    if spec.include:
        # A path, read when the run starts; relative to where the command runs (as a shell user expects).
        path = os.path.abspath(os.path.expanduser(str(raw)))
        if not os.path.isfile(path):
            raise UserError(f"parameter --{spec.name}: no file at {path}. IncludeFile reads a file; give its path.")
        return path
    try:
        if spec.separator:
            split_value(spec.type, spec.separator, raw)  # every item must convert
            return str(raw)  # split when the run starts, as Metaflow does
        return convert_value(spec.type, raw)
    except ParameterError as exc:
        article = "an" if spec.type[0] in "aeiou" else "a"
        raise UserError(f"parameter --{spec.name}: {exc}. Give {article} {spec.type} value.") from None


ENV_PREFIXES = (ENV_RUN_PARAMETER_PREFIX, "METAFLOW_RUN_")


def environment_values(specs: Sequence[ParameterSpec], given: Mapping[str, Any],
                       environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Values from SFNFLOW_RUN_<NAME> / METAFLOW_RUN_<NAME> for parameters not on the command line
    (Metaflow reads METAFLOW_RUN_<NAME> for `run --<name>`)."""
    environ = os.environ if environ is None else environ
    found = {}
    for spec in specs:
        if spec.name in given:
            continue
        key = spec.name.upper().replace("-", "_")
        for prefix in ENV_PREFIXES:
            if prefix + key in environ:
                found[spec.name] = check_value(spec, environ[prefix + key])
                break
    return found


def check_required(specs: Sequence[ParameterSpec], values: dict[str, Any]) -> None:
    missing = [s.name for s in specs if s.required and not s.has_default and s.name not in values]
    if missing:
        options = " ".join(f"--{name} VALUE" for name in missing)
        raise UserError(f"missing required parameter(s): {', '.join(missing)}. Add {options}.")


def _known(specs: Sequence[ParameterSpec]) -> str:
    if not specs:
        return "This flow has no parameters."
    return "This flow's parameters: " + ", ".join(f"--{s.name} ({s.type})" for s in specs) + "."
