"""The run's parameters, as the start step stores them: converted, defaulted, split, included.

The raw values come from the execution input (runtime.run_input). Per parameter:
- a value given is converted to the declared type; with `separator=` it is split into a
  list first (each item converted);
- else the default: a callable one is called with Metaflow's ParameterContext
  (flow_name, user_name, parameter_name, logger, ds_type, ds_root) when the run starts;
- an IncludeFile's value is a file: the launcher may have stored the content already
  (`{"sfnflow_include": <sha>}`), else the start step reads the path (relative paths
  against the flow file's folder) and stores the content as the artifact.
"""
from __future__ import annotations

import inspect
import os
import sys
from typing import Any, NamedTuple

from sfn_compiler.dsl.parameters import Parameter, ParameterError, convert_value, split_value
from sfn_compiler.dsl.specs import ParameterSpec

from .errors import UserCodeError
from .stores.artifacts import ArtifactStore

__all__ = ["INCLUDE_KEY", "ParameterContext", "read_include", "start_parameters"]

INCLUDE_KEY = "sfnflow_include"  # {"sfnflow_include": sha, "path": ...}: content stored at launch


class ParameterContext(NamedTuple):
    """What a callable default receives (Metaflow's fields)."""

    flow_name: str
    user_name: str | None
    parameter_name: str
    logger: Any
    ds_type: str
    ds_root: str | None
    configs: Any = None


def _log(*args: Any, **kwargs: Any) -> None:
    print(*args, file=sys.stderr)


def read_include(spec: ParameterSpec, path: str, flow_file: str | None) -> Any:
    """The content of an IncludeFile's file (text or bytes); UserCodeError if it cannot be read."""
    where = path if os.path.isabs(path) or not flow_file else os.path.join(os.path.dirname(flow_file), path)
    try:
        with open(where, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise UserCodeError(f"IncludeFile '{spec.name}': cannot read {where}: {exc.strerror or exc}. "
                            f"Pass --{spec.name} PATH to a file that exists.", step="start") from None
    if not spec.is_text:
        return data
    try:
        return data.decode(spec.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise UserCodeError(f"IncludeFile '{spec.name}': {where} is not {spec.encoding} text ({exc}). "
                            "Give the right encoding=, or is_text=False for bytes.", step="start") from None


def start_parameters(raw: dict[str, Any] | None, flow_cls: type, plan: Any, store: ArtifactStore, flow: str,
                     *, user: str | None = None, ds_type: str = "local", ds_root: str | None = None,
                     flow_file: str | None = None) -> dict[str, str]:
    """Convert and validate the run's raw parameters, store them; return attribute -> sha.

    Raises UserCodeError naming the parameter when a value is missing or malformed.
    """
    given = dict(raw or {})
    specs = plan.graph.parameters
    known = {s.name for s in specs} | {s.attribute for s in specs}
    unknown = sorted(set(given) - known)
    if unknown:
        names = ", ".join(s.name for s in specs) or "none"
        raise UserCodeError(f"flow {plan.graph.name} has no parameter {', '.join(map(repr, unknown))} "
                            f"(its parameters: {names}).", step="start")
    flow_file = flow_file or getattr(plan.graph, "source_file", None)
    values: dict[str, Any] = {}
    stored: dict[str, str] = {}
    for spec in specs:
        attribute = spec.attribute or spec.name
        raw_value = given.get(spec.name, given.get(attribute))
        if spec.include and isinstance(raw_value, dict) and raw_value.get(INCLUDE_KEY):
            stored[attribute] = str(raw_value[INCLUDE_KEY])  # the launcher stored the content
            continue
        try:
            if raw_value is None:
                param = inspect.getattr_static(flow_cls, attribute, None)
                context = ParameterContext(plan.graph.name, user, spec.name, _log, ds_type, ds_root)
                raw_value = param.resolve_default(context) if isinstance(param, Parameter) else spec.default
                if raw_value is not None and not spec.include and not spec.separator:
                    # a default of the right type stays as it is; text (e.g. JSON) is converted
                    raw_value = convert_value(spec.type, raw_value) if isinstance(raw_value, str) else raw_value
                    values[attribute] = raw_value
                    continue
            if raw_value is None:
                value = None
            elif spec.include:
                value = read_include(spec, str(raw_value), flow_file)
            elif spec.separator:
                value = split_value(spec.type, spec.separator, raw_value)
            else:
                value = convert_value(spec.type, raw_value)
        except ParameterError as exc:
            raise UserCodeError(f"parameter '{spec.name}': {exc}.", step="start") from exc
        except UserCodeError:
            raise
        except Exception as exc:  # a callable default raised
            raise UserCodeError(f"parameter '{spec.name}': its default raised {type(exc).__name__}: {exc}.",
                                step="start") from exc
        if value is None and spec.required:
            raise UserCodeError(f"parameter '{spec.name}' is required. Pass --{spec.name} VALUE.", step="start")
        values[attribute] = value
    # Configs are artifacts of the run too (as in Metaflow): `Run.data.config` reads what the steps saw.
    from sfn_compiler.dsl.configs import flow_configs

    for attribute, config in flow_configs(flow_cls).items():
        values[attribute] = config.value
    return {**store.save(flow, values), **stored}
