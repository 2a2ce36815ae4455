"""Filling a compiled definition's `${...}` placeholders, the one way every deployer does it.

The compiled ASL names its resources by placeholder (sfn_compiler.asl.arns), and the
deployment model lists each with its kind and the model key it stands for. A deployer
(the CDK stack, the emulation, the local engine) knows its own resources by those same
keys; `placeholder_values` maps one onto the other, so no deployer guesses from names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from ..asl import arns
from ..asl.arns import Placeholder

__all__ = ["Placeholder", "ResourceNames", "UnfilledPlaceholderError", "fill_definition", "placeholder_values"]


@dataclass(frozen=True)
class ResourceNames:
    """What a deployer knows about its resources (real ARNs, routing ARNs or CDK tokens)."""

    bucket: str
    table: str
    functions: Mapping[str, str] = field(default_factory=dict)  # Lambda function key (model) -> ARN
    job_queues: Mapping[str, str] = field(default_factory=dict)  # queue kind ("cpu" | "gpu") -> ARN
    job_definitions: Mapping[str, str] = field(default_factory=dict)  # Batch job definition key -> ARN


class UnfilledPlaceholderError(ValueError):
    """A placeholder the deployer has no resource for (a compiler change it does not know yet)."""

    def __init__(self, message: str, names: list[str]) -> None:
        super().__init__(message)
        self.names = names  # the placeholders left unfilled


_BY_KIND: dict[str, Callable[[ResourceNames], Mapping[str, str]]] = {
    arns.KIND_LAMBDA_FUNCTION: lambda names: names.functions,
    arns.KIND_JOB_QUEUE: lambda names: names.job_queues,
    arns.KIND_JOB_DEFINITION: lambda names: names.job_definitions,
}


def placeholder_values(placeholders: Iterable[Placeholder], names: ResourceNames) -> dict[str, str]:
    """placeholder name -> value, for CloudFormation's DefinitionSubstitutions or `fill_definition`.

    Raises UnfilledPlaceholderError (a ValueError) naming every placeholder `names` has no value for.
    """
    values: dict[str, str] = {}
    missing: list[Placeholder] = []
    for p in placeholders:
        if p.kind == arns.KIND_BUCKET:
            values[p.name] = names.bucket
        elif p.kind == arns.KIND_TABLE:
            values[p.name] = names.table
        elif p.kind in _BY_KIND and p.ref in _BY_KIND[p.kind](names):
            values[p.name] = _BY_KIND[p.kind](names)[p.ref]
        else:
            missing.append(p)
    if missing:
        described = [f"${{{p.name}}} ({p.kind} {p.ref!r})" if p.ref else f"${{{p.name}}} ({p.kind})" for p in missing]
        raise UnfilledPlaceholderError(f"no resource to fill placeholder(s) {', '.join(described)}",
                                       [p.name for p in missing])
    return values


def fill_definition(asl_text: str, placeholders: Iterable[Placeholder], names: ResourceNames) -> str:
    """The ASL text with every placeholder filled (what CloudFormation does at deploy time).

    Raises UnfilledPlaceholderError (a ValueError) naming each placeholder without a value,
    including a `${...}` in the text that `placeholders` does not describe.
    """
    values = placeholder_values(placeholders, names)
    undescribed = [n for n in arns.placeholders_in(asl_text) if n not in values]
    if undescribed:
        raise UnfilledPlaceholderError("the definition uses placeholder(s) the deployment model does not describe: "
                                       + ", ".join("${" + n + "}" for n in undescribed), undescribed)
    return arns.substitute(asl_text, values)
