"""Choice rules: the full JSONPath-dialect rule set, compiled to predicates.

A rule is a boolean combination (And / Or / Not) or a data test on `Variable`:
String*/Numeric*/Boolean*/Timestamp* comparisons (each with a `...Path` form that
compares against another path), StringMatches (`*` wildcards, `\\*` a literal star), and
the type tests IsNull / IsPresent / IsNumeric / IsString / IsBoolean / IsTimestamp.
As in Step Functions, a comparison between different types is false, and a Variable
that selects nothing is a States.Runtime error, except under IsPresent.
"""
from __future__ import annotations

import datetime
import operator
import re
from typing import Any, Callable

from .errors import RUNTIME, DefinitionError, StatesError
from .paths import Path

__all__ = ["ChoiceRule", "compile_rule"]

Predicate = Callable[[Any, Any], bool]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _timestamp(v: Any) -> datetime.datetime | None:
    if not isinstance(v, str) or "T" not in v:
        return None
    try:
        ts = datetime.datetime.fromisoformat(v)
    except ValueError:
        return None
    return ts if ts.tzinfo is not None else None


def _string_matches(pattern: str) -> Callable[[Any], bool]:
    parts, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            parts.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        parts.append(".*" if c == "*" else re.escape(c))
        i += 1
    rx = re.compile("".join(parts), re.DOTALL)
    return lambda v: isinstance(v, str) and rx.fullmatch(v) is not None


_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda v: v is None,
    "IsNumeric": _is_number,
    "IsString": lambda v: isinstance(v, str),
    "IsBoolean": lambda v: isinstance(v, bool),
    "IsTimestamp": lambda v: _timestamp(v) is not None,
}

_KINDS: dict[str, tuple[Callable[[Any], bool], Callable[[Any], Any]]] = {
    # kind -> (does a value have this type, how to compare it)
    "String": (lambda v: isinstance(v, str), lambda v: v),
    "Numeric": (_is_number, lambda v: v),
    "Boolean": (lambda v: isinstance(v, bool), lambda v: v),
    "Timestamp": (lambda v: _timestamp(v) is not None, _timestamp),
}

_COMPARATORS: dict[str, tuple[str, str, bool]] = {}  # "StringLessThanPath" -> ("String", "LessThan", True)
for _kind in _KINDS:
    for _op in _OPS:
        if _kind == "Boolean" and _op != "Equals":
            continue
        _COMPARATORS[f"{_kind}{_op}"] = (_kind, _op, False)
        _COMPARATORS[f"{_kind}{_op}Path"] = (_kind, _op, True)


class ChoiceRule:
    __slots__ = ("test", "next")

    def __init__(self, test: Predicate, next_state: str | None) -> None:
        self.test, self.next = test, next_state


def compile_rule(rule: dict[str, Any], where: str, top: bool = True) -> ChoiceRule:
    if not isinstance(rule, dict):
        raise DefinitionError(f"{where}: a Choice rule must be an object")
    next_state = rule.get("Next")
    if top and not isinstance(next_state, str):
        raise DefinitionError(f"{where}: a top-level Choice rule needs a Next")
    if not top and "Next" in rule:
        raise DefinitionError(f"{where}: a nested Choice rule cannot have a Next")
    return ChoiceRule(_predicate(rule, where), next_state)


def _predicate(rule: dict[str, Any], where: str) -> Predicate:
    keys = set(rule) - {"Next", "Comment"}
    if "And" in keys or "Or" in keys:
        which = "And" if "And" in keys else "Or"
        subs = rule[which]
        if keys != {which} or not isinstance(subs, list) or not subs:
            raise DefinitionError(f"{where}: {which} needs a non-empty array of rules and nothing else")
        preds = [_predicate(_nested(s, f"{where}.{which}[{i}]"), f"{where}.{which}[{i}]")
                 for i, s in enumerate(subs)]
        if which == "And":
            return lambda value, ctx: all(p(value, ctx) for p in preds)
        return lambda value, ctx: any(p(value, ctx) for p in preds)
    if "Not" in keys:
        if keys != {"Not"}:
            raise DefinitionError(f"{where}: Not takes one rule and nothing else")
        inner = _predicate(_nested(rule["Not"], f"{where}.Not"), f"{where}.Not")
        return lambda value, ctx: not inner(value, ctx)
    if "Variable" not in keys:
        raise DefinitionError(f"{where}: a Choice rule needs And, Or, Not or a Variable")
    variable = Path(rule["Variable"])
    tests = keys - {"Variable"}
    if len(tests) != 1:
        raise DefinitionError(f"{where}: a data-test rule needs exactly one comparison, got {sorted(tests)}")
    (name,) = tests
    operand = rule[name]
    if name == "IsPresent":
        expected = _bool_operand(operand, name, where)
        return lambda value, ctx: variable.present(value, ctx) is expected
    if name in _TYPE_TESTS:
        expected = _bool_operand(operand, name, where)
        check = _TYPE_TESTS[name]
        return lambda value, ctx: check(_read(variable, value, ctx)) is expected
    if name == "StringMatches":
        if not isinstance(operand, str):
            raise DefinitionError(f"{where}: StringMatches needs a string pattern")
        matches = _string_matches(operand)
        return lambda value, ctx: matches(_read(variable, value, ctx))
    spec = _COMPARATORS.get(name)
    if spec is None:
        raise DefinitionError(f"{where}: unknown Choice comparison '{name}'")
    kind, op_name, by_path = spec
    has_type, key = _KINDS[kind]
    op = _OPS[op_name]
    if by_path:
        other = Path(operand)

        def compare_paths(value: Any, ctx: Any) -> bool:
            a, b = _read(variable, value, ctx), _read(other, value, ctx)
            return has_type(a) and has_type(b) and bool(op(key(a), key(b)))

        return compare_paths
    if not has_type(operand):
        raise DefinitionError(f"{where}: {name} needs a {kind.lower()} operand, got {operand!r}")
    fixed = key(operand)

    def compare(value: Any, ctx: Any) -> bool:
        a = _read(variable, value, ctx)
        return has_type(a) and bool(op(key(a), fixed))

    return compare


def _nested(rule: Any, where: str) -> dict[str, Any]:
    if not isinstance(rule, dict) or "Next" in rule:
        raise DefinitionError(f"{where}: a nested Choice rule must be an object without Next")
    return rule


def _bool_operand(operand: Any, name: str, where: str) -> bool:
    if not isinstance(operand, bool):
        raise DefinitionError(f"{where}: {name} takes true or false")
    return operand


def _read(path: Path, value: Any, ctx: Any) -> Any:
    try:
        return path.get(value, ctx)
    except StatesError:
        raise StatesError(RUNTIME, f"Invalid path '{path.text}': The choice state's condition path "
                                   "references an invalid value.") from None
