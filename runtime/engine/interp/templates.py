"""Payload templates: Parameters, ResultSelector, ItemSelector (and a Task's nested fields).

A field whose name ends in `.$` takes its value from a reference path or an intrinsic
function; every other field is copied as written. A template is compiled once into a
tree of small evaluators; static subtrees are built once and shared (nothing in the
interpreter mutates a value in place: ResultPath copies along its path).
"""
from __future__ import annotations

from typing import Any

from .errors import DefinitionError
from .intrinsics import compile_intrinsic, is_intrinsic
from .paths import Path

__all__ = ["Template", "compile_template"]


class _Const:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def eval(self, value: Any, ctx: Any) -> Any:
        return self.value


class _FromPath:
    __slots__ = ("path", "field")

    def __init__(self, path: Path, field: str) -> None:
        self.path, self.field = path, field

    def eval(self, value: Any, ctx: Any) -> Any:
        return self.path.get(value, ctx, self.field)


class _Object:
    __slots__ = ("fields",)

    def __init__(self, fields: list[tuple[str, Any]]) -> None:
        self.fields = fields

    def eval(self, value: Any, ctx: Any) -> Any:
        return {name: node.eval(value, ctx) for name, node in self.fields}


class _Array:
    __slots__ = ("items",)

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def eval(self, value: Any, ctx: Any) -> Any:
        return [node.eval(value, ctx) for node in self.items]


def _compile(node: Any, where: str) -> Any:
    if isinstance(node, dict):
        fields: list[tuple[str, Any]] = []
        dynamic = False
        for key, sub in node.items():
            if key.endswith(".$"):
                dynamic = True
                if not isinstance(sub, str):
                    raise DefinitionError(f"{where}: field '{key}' must be a JSONPath or an intrinsic function")
                name = key[:-2]
                if is_intrinsic(sub):
                    fields.append((name, compile_intrinsic(sub)))
                elif sub.startswith("$"):
                    fields.append((name, _FromPath(Path(sub), key)))
                else:
                    raise DefinitionError(f"{where}: field '{key}' value '{sub}' is neither a JSONPath nor "
                                          "an intrinsic function")
            else:
                child = _compile(sub, f"{where}.{key}")
                dynamic = dynamic or not isinstance(child, _Const)
                fields.append((key, child))
        if not dynamic:
            return _Const(node)
        return _Object(fields)
    if isinstance(node, list):
        items = [_compile(sub, f"{where}[{i}]") for i, sub in enumerate(node)]
        if all(isinstance(i, _Const) for i in items):
            return _Const(node)
        return _Array(items)
    return _Const(node)


class Template:
    """`eval(value, ctx)` builds the template's value from `value` (the state's input or
    result) and `ctx` (the context object of the state being run)."""

    __slots__ = ("_root",)

    def __init__(self, template: Any, where: str) -> None:
        self._root = _compile(template, where)

    def eval(self, value: Any, ctx: Any) -> Any:
        return self._root.eval(value, ctx)


def compile_template(state: dict[str, Any], field: str, where: str) -> Template | None:
    if field not in state:
        return None
    return Template(state[field], f"{where}.{field}")
