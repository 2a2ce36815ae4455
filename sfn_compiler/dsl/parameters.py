"""`Parameter` and `JSONType`: declared on the flow class, typed, validated before a run."""
from __future__ import annotations

import inspect
import json
from typing import Any

from .specs import ParameterSpec


class JSONType:
    """Marks a parameter whose value is JSON text, parsed before the run."""

    name = "json"


_TYPE_NAMES = {str: "str", int: "int", float: "float", bool: "bool", JSONType: "json"}


class ParameterError(ValueError):
    """A parameter value that cannot be converted to its declared type."""


class Parameter:
    """A run-time input of a flow, read inside steps as `self.<attribute>`.

    The type comes from `type=` or, failing that, from the default's type.
    A default may be a callable taking one argument (a context) as in Metaflow.
    """

    def __init__(
        self,
        name: str,
        default: Any = None,
        type: Any = None,  # noqa: A002 - Metaflow's name
        help: str | None = None,  # noqa: A002 - Metaflow's name
        required: bool = False,
        separator: str | None = None,
        **_ignored: Any,
    ) -> None:
        self.name = name
        self.default = default
        self.help = help
        self.required = bool(required)
        self.separator = separator
        self.type_name = self._type_name(type, None if separator else default)
        if separator is not None and self.type_name != "str":
            raise ParameterError(f"Parameter {name}: separator= splits text, so it needs a str parameter "
                                 f"(not {self.type_name}); convert the items in the step.")
        self.source_line = _caller_line()

    @staticmethod
    def _type_name(declared: Any, default: Any) -> str:
        if declared is not None:
            if declared in _TYPE_NAMES:
                return _TYPE_NAMES[declared]
            if isinstance(declared, JSONType):
                return "json"
            raise ParameterError(f"unsupported parameter type {declared!r}; use str, int, float, bool or JSONType")
        if default is None or callable(default):
            return "str"
        return _TYPE_NAMES.get(type(default), "str")

    def spec(self, attribute: str) -> ParameterSpec:
        has_default = self.default is not None
        is_callable = callable(self.default)
        return ParameterSpec(
            name=self.name,
            type=self.type_name,
            default=None if is_callable else self.default,
            has_default=has_default,
            default_is_callable=is_callable,
            required=self.required,
            help=self.help,
            attribute=attribute,
            source_line=self.source_line,
            separator=self.separator,
        )

    def resolve_default(self, context: Any = None) -> Any:
        """The default; a callable one gets Metaflow's ParameterContext (or nothing, if it takes no argument)."""
        if callable(self.default):
            try:
                takes = len(inspect.signature(self.default).parameters)
            except (TypeError, ValueError):
                takes = 1
            return self.default(context) if takes else self.default()
        return self.default

    def __set_name__(self, owner: type, attribute: str) -> None:
        self.attribute = attribute

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        ctx = obj.__dict__.get("_sfnflow_ctx")
        if ctx is None:
            raise AttributeError(f"parameter '{self.name}' has a value only while a step runs")
        # Parameter values are artifacts of the start task, passed down like any other.
        return ctx.read_artifact(getattr(self, "attribute", self.name))

    def __set__(self, obj: Any, value: Any) -> None:
        # As in Metaflow: a run-time AttributeError (flows may catch it on purpose).
        raise AttributeError(f"parameter '{self.name}' is read-only inside a step; store a new artifact instead")


def split_value(type_name: str, separator: str, raw: Any) -> list[Any]:
    """`separator=`: "a,b,c" -> ["a", "b", "c"], each item converted to the parameter's type."""
    if isinstance(raw, (list, tuple)):
        return [convert_value(type_name, item) for item in raw]
    return [convert_value(type_name, item) for item in str(raw).split(separator)]


def convert_value(type_name: str, raw: Any) -> Any:
    """Convert a command-line or JSON value to the parameter's declared type."""
    if raw is None:
        return None
    try:
        if type_name == "int":
            if isinstance(raw, bool):
                raise ValueError
            return int(raw)
        if type_name == "float":
            return float(raw)
        if type_name == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("true", "1", "yes", "y", "on"):
                return True
            if text in ("false", "0", "no", "n", "off"):
                return False
            raise ValueError
        if type_name == "json":
            return json.loads(raw) if isinstance(raw, str) else raw
        return str(raw)
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"{raw!r} is not a valid {type_name}") from exc


def _caller_line() -> int:
    """The line of the user's `Parameter(...)` (or IncludeFile, Config) in the flow file."""
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    frame = inspect.currentframe()
    try:
        while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == here:
            frame = frame.f_back
        return frame.f_lineno if frame is not None else 0
    finally:
        del frame
