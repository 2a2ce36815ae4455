"""JSONPath as the compiled ASL uses it: reference paths into the state and the context object.

Supported: `$`, `$.a.b`, `$['a']`, `$.a[0]`, `$.a[-1]`, and the same under `$$` (the
context object). Wildcards, filters and slices are refused up front (DefinitionError):
the compiler never emits them, and a path that can select several nodes is not a
reference path. A path is parsed once, when the definition is loaded.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from .errors import RESULT_PATH_MATCH, RUNTIME, DefinitionError, StatesError

__all__ = ["Path", "compile_path", "compile_result_path", "to_json"]

_MISSING = object()


def to_json(value: Any) -> str:
    """Compact JSON, as Step Functions prints values in error causes and sizes states."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _parse(text: str) -> tuple[bool, tuple[str | int, ...]]:
    """(is_context, segments) of a reference path; DefinitionError if it is not one."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise DefinitionError(f"'{text}' is not a JSONPath (it must start with '$')")
    context = text.startswith("$$")
    i, n = (2 if context else 1), len(text)
    segments: list[str | int] = []
    while i < n:
        c = text[i]
        if c == ".":
            j = i + 1
            while j < n and text[j] not in ".[":
                j += 1
            name = text[i + 1:j]
            if not name or name == "*" or ".." in text:
                raise DefinitionError(f"JSONPath '{text}': only plain field names are supported")
            segments.append(name)
            i = j
        elif c == "[":
            j = text.find("]", i)
            if j < 0:
                raise DefinitionError(f"JSONPath '{text}': unclosed '['")
            inner = text[i + 1:j].strip()
            if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                segments.append(inner[1:-1])
            else:
                try:
                    segments.append(int(inner))
                except ValueError:
                    raise DefinitionError(f"JSONPath '{text}': '[{inner}]' is not supported "
                                          "(only [index] and ['name'])") from None
            i = j + 1
        else:
            raise DefinitionError(f"JSONPath '{text}': unexpected '{c}' at position {i}")
    return context, tuple(segments)


class Path:
    """A compiled reference path; `get` reads it from a value (or the context object)."""

    __slots__ = ("text", "context", "segments", "_context_getter")

    def __init__(self, text: str) -> None:
        self.text = text
        self.context, self.segments = _parse(text)
        self._context_getter: Callable[[Any], Any] | None = None
        if self.context:
            self._context_getter = _CONTEXT_FAST.get(self.segments)

    def find(self, value: Any) -> Any:
        """The selected value, or _MISSING."""
        for seg in self.segments:
            if type(seg) is str:
                if type(value) is not dict:
                    return _MISSING
                value = value.get(seg, _MISSING)
                if value is _MISSING:
                    return _MISSING
            else:
                if type(value) is not list or not -len(value) <= seg < len(value):
                    return _MISSING
                value = value[seg]
        return value

    def get(self, value: Any, ctx: Any, field: str = "") -> Any:
        """The selected value; StatesError(States.Runtime) when the path selects nothing."""
        if self.context:
            if self._context_getter is not None:
                found = self._context_getter(ctx)
            else:
                found = self.find(ctx.object())
            source = None
        else:
            found = self.find(value) if self.segments else value
            source = value
        if found is _MISSING:
            where = f" specified for the field '{field}'" if field else ""
            shown = "the context object" if self.context else f"the input '{to_json(source)}'"
            raise StatesError(RUNTIME, f"The JSONPath '{self.text}'{where} could not be found in {shown}")
        return found

    def present(self, value: Any, ctx: Any) -> bool:
        root = ctx.object() if self.context else value
        return self.find(root) is not _MISSING

    def __repr__(self) -> str:
        return f"Path({self.text!r})"


# The context paths the compiled ASL reads on every task: direct attribute reads instead of
# building the context object (see execution.StateContext).
_CONTEXT_FAST: dict[tuple[str | int, ...], Callable[[Any], Any]] = {
    ("Execution", "Name"): lambda ctx: ctx.execution_name,
    ("State", "RetryCount"): lambda ctx: ctx.retry_count,
    ("State", "Name"): lambda ctx: ctx.state_name,
    ("State", "EnteredTime"): lambda ctx: ctx.entered_time(),
    ("Map", "Item", "Value"): lambda ctx: ctx.item_value() if ctx.has_item() else _MISSING,
    ("Map", "Item", "Index"): lambda ctx: ctx.item_index if ctx.has_item() else _MISSING,
}


def compile_path(text: str | None, *, what: str = "path") -> Path | None:
    """A Path, or None for a JSON null (InputPath / OutputPath null means `{}`)."""
    if text is None:
        return None
    path = Path(text)
    if path.context and what in ("InputPath", "OutputPath", "ResultPath", "ItemsPath"):
        raise DefinitionError(f"{what} '{text}' cannot read the context object")
    return path


class ResultPath:
    """Where a state puts its result in its input: `$` replaces it, null discards the
    result, `$.a.b` sets that field in a copy (copy-on-write along the path only; the
    rest of the input is shared, never mutated)."""

    __slots__ = ("text", "segments", "discard")

    def __init__(self, text: str | None) -> None:
        self.text = text
        self.discard = text is None
        self.segments: tuple[str, ...] = ()
        if text is not None:
            context, segments = _parse(text)
            if context or any(type(s) is not str for s in segments):
                raise DefinitionError(f"ResultPath '{text}': only field names are supported")
            self.segments = segments  # type: ignore[assignment]

    def apply(self, state_input: Any, result: Any) -> Any:
        if self.discard:
            return state_input
        if not self.segments:
            return result
        if type(state_input) is not dict:
            raise StatesError(RESULT_PATH_MATCH, f"Unable to apply ResultPath '{self.text}' to input "
                                                 f"'{to_json(state_input)}'")
        top = dict(state_input)
        node = top
        for seg in self.segments[:-1]:
            child = node.get(seg, _MISSING)
            if child is _MISSING:
                child = {}
            elif type(child) is not dict:
                raise StatesError(RESULT_PATH_MATCH, f"Unable to apply ResultPath '{self.text}' to input "
                                                     f"'{to_json(state_input)}'")
            else:
                child = dict(child)
            node[seg] = child
            node = child
        node[self.segments[-1]] = result
        return top


def compile_result_path(state: dict[str, Any]) -> ResultPath:
    return ResultPath(state["ResultPath"] if "ResultPath" in state else "$")
