"""`run --with retry`, `--with batch:cpu=4,memory=16384`: a step decorator on every step, as
Metaflow's `--with` adds it. A step that has the decorator itself keeps its own."""
from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any, Iterable

from ..dsl.decorators import STEP_DECORATOR_SPECS
from .model import FlowGraph

__all__ = ["WithError", "apply_with", "parse_with"]

# What a `--with` name means here, for Metaflow's names that sfnflow spells differently.
_ALIASES = {"lambda": "aws_lambda"}


class WithError(ValueError):
    """A `--with` value that is not a step decorator with valid arguments (one sentence)."""


def parse_with(text: str) -> tuple[str, dict[str, Any]]:
    """"batch:cpu=4,memory=16384" -> ("batch", {"cpu": 4, "memory": 16384})."""
    name, _, args = text.strip().partition(":")
    name = _ALIASES.get(name.strip(), name.strip())
    if name not in STEP_DECORATOR_SPECS:
        known = ", ".join(sorted(STEP_DECORATOR_SPECS))
        raise WithError(f"--with {text}: '{name}' is not a step decorator; sfnflow's are {known}.")
    kwargs: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in _top_level_split(args))):
        key, eq, value = part.partition("=")
        if not eq or not key.strip().isidentifier():
            raise WithError(f"--with {text}: '{part}' is not name=value; write e.g. --with {name}:times=3.")
        kwargs[key.strip()] = _value(value.strip())
    return name, kwargs


def _top_level_split(text: str) -> list[str]:
    """Split at commas outside brackets and quotes: `packages={'a': '1', 'b': '2'},python='3.11'`."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _value(text: str) -> Any:
    try:
        return ast.literal_eval(text)  # 4, 2.5, True, "x", [..]
    except (ValueError, SyntaxError):
        return text  # a bare word: a string (queue names, images)


def apply_with(graph: FlowGraph, values: Iterable[str]) -> FlowGraph:
    """The graph with each `--with` decorator added to every step that lacks that kind."""
    specs = []
    for text in values:
        name, kwargs = parse_with(text)
        try:
            specs.append(STEP_DECORATOR_SPECS[name](**kwargs))
        except (TypeError, ValueError) as exc:
            raise WithError(f"--with {text}: {exc}.") from None
    if not specs:
        return graph
    steps = []
    for node in graph.steps:
        have = {d.kind for d in node.decorators}
        # @catch cannot go on a foreach or a switch (nothing to fan out / no case to take): skipped there.
        skip = {"catch"} if (node.is_foreach or node.is_switch) else set()
        extra = tuple(spec for spec in specs if spec.kind not in have and spec.kind not in skip)
        steps.append(replace(node, decorators=node.decorators + extra) if extra else node)
    return replace(graph, steps=tuple(steps))
