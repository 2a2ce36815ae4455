"""Step Functions intrinsic functions (`States.Format(...)` and friends) for `.$` fields.

An expression is parsed once into a tree of calls whose arguments are literals
('text', numbers, true/false/null), reference paths (`$.a`, `$$.Execution.Name`) or
nested calls, then evaluated per state. A function that fails at run time raises
States.IntrinsicFailure, as in Step Functions.
"""
from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import uuid
from typing import Any, Callable

from .errors import INTRINSIC_FAILURE, DefinitionError, StatesError
from .paths import Path

__all__ = ["Intrinsic", "compile_intrinsic", "is_intrinsic"]


def is_intrinsic(text: Any) -> bool:
    return isinstance(text, str) and text.startswith("States.")


class _Literal:
    __slots__ = ("value", "template")

    def __init__(self, value: Any, template: str | None = None) -> None:
        # `template`: a string literal as States.Format reads it, escaped braces marked
        self.value, self.template = value, template

    def eval(self, value: Any, ctx: Any) -> Any:
        return self.value


class _PathArg:
    __slots__ = ("path",)

    def __init__(self, text: str) -> None:
        self.path = Path(text)

    def eval(self, value: Any, ctx: Any) -> Any:
        return self.path.get(value, ctx)


class Intrinsic:
    """One call, e.g. States.Format('{}/{}', $.run, $.p)."""

    __slots__ = ("name", "args", "fn", "text")

    def __init__(self, name: str, args: list[Any], text: str) -> None:
        fn = FUNCTIONS.get(name)
        if fn is None:
            raise DefinitionError(f"intrinsic function {name} is not supported by the local interpreter")
        self.name, self.args, self.fn, self.text = name, args, fn, text

    def eval(self, value: Any, ctx: Any) -> Any:
        args = [a.eval(value, ctx) for a in self.args]
        if self.fn is _format and self.args and getattr(self.args[0], "template", None) is not None:
            args[0] = _Template(self.args[0].template)
        try:
            return self.fn(*args)
        except StatesError:
            raise
        except Exception as exc:  # wrong argument types or counts: the function failed
            raise StatesError(INTRINSIC_FAILURE, f"{self.name} failed in '{self.text}': {exc}") from None


# -- parsing ----------------------------------------------------------------------------------
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def compile_intrinsic(text: str) -> Intrinsic:
    parser = _Parser(text)
    call = parser.call()
    parser.skip_spaces()
    if parser.i != len(text):
        raise DefinitionError(f"intrinsic '{text}': unexpected text after position {parser.i}")
    return call


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.i = text, 0

    def fail(self, what: str) -> DefinitionError:
        return DefinitionError(f"intrinsic '{self.text}': {what} at position {self.i}")

    def skip_spaces(self) -> None:
        while self.i < len(self.text) and self.text[self.i] == " ":
            self.i += 1

    def call(self) -> Intrinsic:
        start = self.i
        open_at = self.text.find("(", self.i)
        if open_at < 0:
            raise self.fail("expected '('")
        name = self.text[self.i:open_at].strip()
        if not re.fullmatch(r"States\.[A-Za-z0-9]+", name):
            raise self.fail(f"'{name}' is not an intrinsic function name")
        self.i = open_at + 1
        args: list[Any] = []
        self.skip_spaces()
        if self.peek() == ")":
            self.i += 1
            return Intrinsic(name, args, self.text[start:self.i])
        while True:
            self.skip_spaces()
            args.append(self.argument())
            self.skip_spaces()
            c = self.peek()
            self.i += 1
            if c == ")":
                return Intrinsic(name, args, self.text[start:self.i])
            if c != ",":
                raise self.fail("expected ',' or ')'")

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def argument(self) -> Any:
        c = self.peek()
        if c == "'":
            value, template = self.string()
            return _Literal(value, template)
        if c == "$":
            return _PathArg(self.path_text())
        if self.text.startswith("States.", self.i):
            return self.call()
        for word, value in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.i):
                self.i += len(word)
                return _Literal(value)
        m = _NUMBER.match(self.text, self.i)
        if m:
            self.i = m.end()
            number = m.group(0)
            return _Literal(float(number) if m.group(1) or m.group(2) else int(number))
        raise self.fail("expected an argument")

    def string(self) -> tuple[str, str]:
        """(the literal's value, the same with escaped braces marked, for States.Format)."""
        out, template = [], []
        self.i += 1  # opening quote
        while self.i < len(self.text):
            c = self.text[self.i]
            if c == "\\" and self.i + 1 < len(self.text):
                escaped = self.text[self.i + 1]
                out.append(escaped)
                template.append(_ESCAPED.get(escaped, escaped))
                self.i += 2
                continue
            if c == "'":
                self.i += 1
                return "".join(out), "".join(template)
            out.append(c)
            template.append(c)
            self.i += 1
        raise self.fail("unclosed string")

    def path_text(self) -> str:
        start, depth = self.i, 0
        while self.i < len(self.text):
            c = self.text[self.i]
            if c == "[":
                depth += 1
            elif c == "]":
                depth -= 1
            elif depth == 0 and c in ",)":
                break
            self.i += 1
        return self.text[start:self.i].strip()


# -- the functions ----------------------------------------------------------------------------
def _format_value(value: Any) -> str:
    """How States.Format prints a non-string argument (what moto's interpreter prints)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_format_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


# Escaped braces in a States.Format template are text, not placeholders.
_ESCAPED = {"{": "\x00(", "}": "\x00)"}


class _Template(str):
    """A States.Format template whose escaped braces are marked (see _ESCAPED)."""


def _format(template: str, *values: Any) -> str:
    if not isinstance(template, str):
        raise TypeError("the first argument must be a string")
    parts = template.split("{}")
    if len(parts) - 1 != len(values):
        raise ValueError(f"{len(parts) - 1} placeholder(s) but {len(values)} argument(s)")
    marked = isinstance(template, _Template)
    out = [_unmark(parts[0]) if marked else parts[0]]
    for value, part in zip(values, parts[1:]):
        out.append(_format_value(value))
        out.append(_unmark(part) if marked else part)
    return "".join(out)


def _unmark(text: str) -> str:
    return text.replace(_ESCAPED["{"], "{").replace(_ESCAPED["}"], "}")


def _string_to_json(text: str) -> Any:
    if not isinstance(text, str):
        raise TypeError("expected a string")
    return json.loads(text) if text.strip() else None


def _json_merge(a: Any, b: Any, deep: Any) -> Any:
    if not isinstance(a, dict) or not isinstance(b, dict):
        raise TypeError("both arguments must be JSON objects")
    if deep is not False:
        raise ValueError("only shallow merging (false) is supported, as in Step Functions")
    return {**a, **b}


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise TypeError(f"{what} must be an integer, got {json.dumps(value)}")
    return int(value)


def _array_partition(array: Any, size: Any) -> list[Any]:
    if not isinstance(array, list):
        raise TypeError("the first argument must be an array")
    n = _int(size, "the chunk size")
    if n <= 0:
        raise ValueError("the chunk size must be positive")
    return [array[i:i + n] for i in range(0, len(array), n)]


def _array_contains(array: Any, value: Any) -> bool:
    if not isinstance(array, list):
        raise TypeError("the first argument must be an array")
    return value in array


def _array_range(first: Any, last: Any, step: Any) -> list[int]:
    a, b, s = _int(first, "start"), _int(last, "end"), _int(step, "step")
    if s == 0:
        raise ValueError("the step must not be 0")
    out = list(range(a, b + (1 if s > 0 else -1), s))
    if len(out) > 1000:
        raise ValueError("arrays cannot contain more than 1000 items")
    return out


def _array_get_item(array: Any, index: Any) -> Any:
    if not isinstance(array, list):
        raise TypeError("the first argument must be an array")
    return array[_int(index, "the index")]


def _array_length(array: Any) -> int:
    if not isinstance(array, list):
        raise TypeError("the argument must be an array")
    return len(array)


def _array_unique(array: Any) -> list[Any]:
    if not isinstance(array, list):
        raise TypeError("the argument must be an array")
    out: list[Any] = []
    for v in array:
        if v not in out:
            out.append(v)
    return out


def _b64encode(text: Any) -> str:
    if not isinstance(text, str):
        raise TypeError("expected a string")
    return base64.b64encode(text.encode()).decode("ascii")


def _b64decode(text: Any) -> str:
    if not isinstance(text, str):
        raise TypeError("expected a string")
    return base64.b64decode(text.encode("ascii")).decode()


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(text: Any, algorithm: Any) -> str:
    if not isinstance(text, str):
        raise TypeError("the data must be a string")
    if algorithm not in _HASHES:
        raise ValueError(f"unknown hash algorithm {algorithm!r} (one of {', '.join(_HASHES)})")
    return hashlib.new(_HASHES[algorithm], text.encode()).hexdigest()


def _math_random(start: Any, end: Any, seed: Any = None) -> int:
    rng = random.Random(_int(seed, "the seed") if seed is not None else None)
    return rng.randint(_int(start, "start"), _int(end, "end"))


def _math_add(a: Any, b: Any) -> int:
    return _int(a, "the first number") + _int(b, "the second number")


def _string_split(text: Any, delimiters: Any) -> list[str]:
    if not isinstance(text, str) or not isinstance(delimiters, str):
        raise TypeError("both arguments must be strings")
    pattern = "|".join(re.escape(c) for c in delimiters)
    return [part for part in re.split(pattern, text) if part] if pattern else [text]


def _uuid() -> str:
    return str(uuid.uuid4())


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "States.Format": _format,
    "States.StringToJson": _string_to_json,
    "States.JsonToString": lambda value: json.dumps(value, separators=(",", ":")),
    "States.JsonMerge": _json_merge,
    "States.Array": lambda *values: list(values),
    "States.ArrayPartition": _array_partition,
    "States.ArrayContains": _array_contains,
    "States.ArrayRange": _array_range,
    "States.ArrayGetItem": _array_get_item,
    "States.ArrayLength": _array_length,
    "States.ArrayUnique": _array_unique,
    "States.Base64Encode": _b64encode,
    "States.Base64Decode": _b64decode,
    "States.Hash": _hash,
    "States.MathRandom": _math_random,
    "States.MathAdd": _math_add,
    "States.StringSplit": _string_split,
    "States.UUID": _uuid,
}
