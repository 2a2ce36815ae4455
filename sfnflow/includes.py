"""IncludeFile values for a run started on AWS: the launcher reads the file and stores its
content in the deployed datastore before the run starts, so the start step (on Lambda or
Batch, far from the file) finds it as an artifact. Locally the start step reads the file
itself (runtime/parameters.py); the artifact is the same either way."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from sfn_compiler.diagnostics import SfnflowError
from sfn_compiler.dsl.specs import ParameterSpec

__all__ = ["store_includes"]


def store_includes(specs: Sequence[ParameterSpec], parameters: Mapping[str, Any], artifacts: Any,
                   flow: str) -> dict[str, Any]:
    """The parameters with each IncludeFile path given replaced by a reference to its stored content."""
    from runtime.errors import UserCodeError
    from runtime.parameters import INCLUDE_KEY, read_include

    out = dict(parameters)
    for spec in specs:
        path = out.get(spec.name)
        if not spec.include or not isinstance(path, str):
            continue
        try:
            content = read_include(spec, path, None)
        except UserCodeError as exc:
            raise SfnflowError(str(exc)) from None
        sha = artifacts.save(flow, {spec.name: content})[spec.name]
        out[spec.name] = {INCLUDE_KEY: sha, "path": path}
    return out
