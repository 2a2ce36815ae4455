"""Flow parameters on the command line: typed, checked, clear errors."""
from __future__ import annotations

import pytest

from sfn_compiler.dsl.specs import ParameterSpec
from sfnflow.cli.errors import UserError
from sfnflow.cli.params import check_required, parse_parameter_args

SPECS = (
    ParameterSpec(name="alpha", type="float", default=0.1, has_default=True),
    ParameterSpec(name="count", type="int", default=3, has_default=True),
    ParameterSpec(name="verbose", type="bool", default=False, has_default=True),
    ParameterSpec(name="config", type="json", default=None),
    ParameterSpec(name="label_name", type="str", required=True),
)


def test_typed_values_and_forms() -> None:
    got = parse_parameter_args(SPECS, ["--alpha", "0.5", "--count=7", "--verbose", "--config", '{"a": [1]}',
                                       "--label-name", "x"])
    assert got == {"alpha": 0.5, "count": 7, "verbose": True, "config": {"a": [1]}, "label_name": "x"}


def test_bool_negation_and_explicit_value() -> None:
    assert parse_parameter_args(SPECS, ["--no-verbose"]) == {"verbose": False}
    assert parse_parameter_args(SPECS, ["--verbose", "false"]) == {"verbose": False}


def test_bad_type_says_which_parameter() -> None:
    with pytest.raises(UserError, match=r"--count: 'many' is not a valid int"):
        parse_parameter_args(SPECS, ["--count", "many"])


def test_unknown_parameter_lists_known_ones() -> None:
    with pytest.raises(UserError, match=r"unknown parameter --alhpa\. This flow's parameters: --alpha \(float\)"):
        parse_parameter_args(SPECS, ["--alhpa", "1"])


def test_missing_value_and_required() -> None:
    with pytest.raises(UserError, match="needs a value"):
        parse_parameter_args(SPECS, ["--count"])
    with pytest.raises(UserError, match="missing required parameter.*label_name"):
        check_required(SPECS, {})
