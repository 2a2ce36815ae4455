"""The JSONPath dialect: reference paths, ResultPath, payload templates, intrinsics, Choice rules."""
from __future__ import annotations

from typing import Any

import pytest

from runtime.engine.interp.choice import compile_rule
from runtime.engine.interp.errors import DefinitionError, StatesError
from runtime.engine.interp.intrinsics import compile_intrinsic
from runtime.engine.interp.paths import Path, ResultPath
from runtime.engine.interp.templates import Template


class Ctx:
    """A context object with the fast attributes and a full object()."""

    execution_name, state_name, retry_count, item_index = "exec-1", "S", 2, 4

    def entered_time(self) -> str:
        return "2026-12-01T00:00:00.000Z"

    def has_item(self) -> bool:
        return True

    def item_value(self) -> Any:
        return "item-4"

    def object(self) -> dict[str, Any]:
        return {"Execution": {"Name": self.execution_name, "Input": {"k": 1}}, "State": {"Name": "S"}}


CTX = Ctx()
DOC = {"a": {"b": [10, 20, {"c": "deep"}]}, "run": "r1", "p": "3", "n": 5, "flag": True, "none": None,
       "odd key": 1}


@pytest.mark.parametrize("path, value", [
    ("$", DOC), ("$.run", "r1"), ("$.a.b[1]", 20), ("$.a.b[-1].c", "deep"), ("$['odd key']", 1),
    ("$.none", None), ("$$.Execution.Name", "exec-1"), ("$$.State.RetryCount", 2),
    ("$$.Map.Item.Value", "item-4"), ("$$.Map.Item.Index", 4), ("$$.Execution.Input.k", 1),
])
def test_reference_paths_read_values(path: str, value: Any) -> None:
    assert Path(path).get(DOC, CTX) == value


def test_a_missing_path_is_a_runtime_error_naming_the_path_and_field() -> None:
    with pytest.raises(StatesError) as err:
        Path("$.missing.x").get(DOC, CTX, "task.$")
    assert err.value.error == "States.Runtime"
    assert "'$.missing.x'" in err.value.cause and "'task.$'" in err.value.cause


@pytest.mark.parametrize("path", ["$..a", "$.a[*]", "$.a[?(@.x)]", "a.b", "$.a[0:2]"])
def test_paths_that_are_not_reference_paths_are_refused_up_front(path: str) -> None:
    with pytest.raises(DefinitionError):
        Path(path)


def test_result_path_copies_along_its_path_and_shares_the_rest() -> None:
    source = {"keep": {"big": [1, 2]}, "fe": {"old": 1}}
    out = ResultPath("$.fe.n").apply(source, 7)
    assert out == {"keep": {"big": [1, 2]}, "fe": {"old": 1, "n": 7}}
    assert source == {"keep": {"big": [1, 2]}, "fe": {"old": 1}}  # not mutated
    assert out["keep"] is source["keep"]
    assert ResultPath(None).apply(source, 7) is source
    assert ResultPath("$").apply(source, 7) == 7
    with pytest.raises(StatesError, match="ResultPath") as err:
        ResultPath("$.keep.big.x").apply(source, 1)
    assert err.value.error == "States.ResultPathMatchFailure"


def test_templates_fill_dynamic_fields_and_keep_static_ones() -> None:
    template = Template({"static": {"x": [1, {"y": 2}]}, "run.$": "$.run", "nested": {"p.$": "$.p", "k": "v"},
                         "list": [{"n.$": "$.n"}, 3], "retry.$": "$$.State.RetryCount"}, "Parameters")
    assert template.eval(DOC, CTX) == {"static": {"x": [1, {"y": 2}]}, "run": "r1", "nested": {"p": "3", "k": "v"},
                                       "list": [{"n": 5}, 3], "retry": 2}


def test_a_template_field_with_a_bad_value_is_refused() -> None:
    with pytest.raises(DefinitionError, match="x.\\$"):
        Template({"x.$": "not a path"}, "Parameters")


@pytest.mark.parametrize("text, value", [
    ("States.Format('RUN#Flow#{}', $$.Execution.Name)", "RUN#Flow#exec-1"),
    ("States.Format('{}/{}/f.json', $.run, $.p)", "r1/3/f.json"),
    ("States.Format('{}', $$.State.RetryCount)", "2"),
    ("States.Format('it\\'s {} \\{\\}', $.flag)", "it's true {}"),
    ("States.JsonToString($.a)", '{"b":[10,20,{"c":"deep"}]}'),
    ("States.Array('python', '-m', States.Format('{}', $.n), $.p)", ["python", "-m", "5", "3"]),
    ("States.StringToJson('{\"x\": 1}')", {"x": 1}),
    ("States.ArrayLength($.a.b)", 3),
    ("States.ArrayGetItem($.a.b, 0)", 10),
    ("States.ArrayContains($.a.b, 20)", True),
    ("States.ArrayPartition(States.Array(1, 2, 3), 2)", [[1, 2], [3]]),
    ("States.ArrayRange(1, 9, 4)", [1, 5, 9]),
    ("States.ArrayUnique(States.Array(1, 1, 2))", [1, 2]),
    ("States.MathAdd($.n, -2)", 3),
    ("States.StringSplit('a,b;c', ',;')", ["a", "b", "c"]),
    ("States.Base64Decode(States.Base64Encode('hi'))", "hi"),
    ("States.Hash('abc', 'SHA-256')", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("States.JsonMerge(States.StringToJson('{\"a\": 1}'), States.StringToJson('{\"b\": 2}'), false)",
     {"a": 1, "b": 2}),
])
def test_intrinsic_functions(text: str, value: Any) -> None:
    assert compile_intrinsic(text).eval(DOC, CTX) == value


def test_a_failing_intrinsic_is_an_intrinsic_failure_and_an_unknown_one_is_refused() -> None:
    with pytest.raises(StatesError) as err:
        compile_intrinsic("States.Format('{} {}', $.run)").eval(DOC, CTX)
    assert err.value.error == "States.IntrinsicFailure"
    with pytest.raises(DefinitionError, match="States.Nope"):
        compile_intrinsic("States.Nope(1)")
    with pytest.raises(DefinitionError):
        compile_intrinsic("States.Format('unclosed)")


def _test(rule: dict[str, Any], value: Any = DOC) -> bool:
    return compile_rule({**rule, "Next": "x"}, "rule").test(value, CTX)


@pytest.mark.parametrize("rule, expected", [
    ({"Variable": "$.run", "StringEquals": "r1"}, True),
    ({"Variable": "$.run", "StringEquals": "r2"}, False),
    ({"Variable": "$.n", "StringEquals": "5"}, False),  # different types never compare equal
    ({"Variable": "$.run", "StringLessThan": "r2"}, True),
    ({"Variable": "$.run", "StringGreaterThanEquals": "r1"}, True),
    ({"Variable": "$.run", "StringMatches": "r*"}, True),
    ({"Variable": "$.run", "StringMatches": "x*"}, False),
    ({"Variable": "$.run", "StringEqualsPath": "$.run"}, True),
    ({"Variable": "$.n", "NumericEquals": 5}, True),
    ({"Variable": "$.n", "NumericLessThanEquals": 4}, False),
    ({"Variable": "$.n", "NumericGreaterThan": 4.5}, True),
    ({"Variable": "$.n", "NumericLessThanPath": "$.a.b[0]"}, True),
    ({"Variable": "$.flag", "NumericEquals": 1}, False),  # a boolean is not a number
    ({"Variable": "$.flag", "BooleanEquals": True}, True),
    ({"Variable": "$.flag", "BooleanEqualsPath": "$.flag"}, True),
    ({"Variable": "$.none", "IsNull": True}, True),
    ({"Variable": "$.missing", "IsPresent": False}, True),
    ({"Variable": "$.run", "IsPresent": True}, True),
    ({"Variable": "$.n", "IsNumeric": True}, True),
    ({"Variable": "$.run", "IsString": True}, True),
    ({"Variable": "$.flag", "IsBoolean": True}, True),
    ({"Variable": "$.run", "IsTimestamp": False}, True),
    ({"And": [{"Variable": "$.n", "NumericGreaterThan": 1}, {"Not": {"Variable": "$.run", "StringEquals": "x"}}]},
     True),
    ({"Or": [{"Variable": "$.n", "NumericEquals": 1}, {"Variable": "$.flag", "BooleanEquals": False}]}, False),
])
def test_choice_rules(rule: dict[str, Any], expected: bool) -> None:
    assert _test(rule) is expected


def test_timestamp_rules_compare_instants() -> None:
    doc = {"t": "2026-12-01T10:00:00Z", "u": "2026-12-01T11:00:00+01:00"}
    assert _test({"Variable": "$.t", "TimestampEqualsPath": "$.u"}, doc)
    assert _test({"Variable": "$.t", "TimestampLessThan": "2026-12-02T00:00:00Z"}, doc)
    assert _test({"Variable": "$.t", "IsTimestamp": True}, doc)


def test_string_matches_escapes_a_star() -> None:
    assert _test({"Variable": "$.s", "StringMatches": "a\\*b*"}, {"s": "a*bcd"})
    assert not _test({"Variable": "$.s", "StringMatches": "a\\*b*"}, {"s": "axbcd"})


def test_a_rule_on_a_missing_variable_is_a_runtime_error() -> None:
    with pytest.raises(StatesError) as err:
        _test({"Variable": "$.missing", "StringEquals": "x"})
    assert err.value.error == "States.Runtime" and "$.missing" in err.value.cause


@pytest.mark.parametrize("rule", [
    {"Variable": "$.n", "NumericEquals": "5"},
    {"Variable": "$.n", "Frobnicate": 1},
    {"Variable": "$.n", "NumericEquals": 1, "StringEquals": "x"},
    {"And": []},
    {"Not": {"Variable": "$.n", "IsNull": True, "Next": "y"}},
])
def test_malformed_rules_are_refused(rule: dict[str, Any]) -> None:
    with pytest.raises(DefinitionError):
        compile_rule({**rule, "Next": "x"}, "rule")
