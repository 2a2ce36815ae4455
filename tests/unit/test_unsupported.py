"""Metaflow names sfnflow does not have yet: one sentence saying so and what to use instead."""
from __future__ import annotations

import pytest

from sfn_compiler.compile import check_file
from sfn_compiler.diagnostics import FlowDefinitionError
from sfnflow.unsupported import UNSUPPORTED, NotSupportedYet


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_importing_an_unsupported_name_says_what_to_do(name: str) -> None:
    with pytest.raises(ImportError) as info:
        exec(f"from sfnflow import {name}", {})
    assert isinstance(info.value, NotSupportedYet)
    message = str(info.value)
    assert message.startswith(f"sfnflow: {name}: ") and message.endswith(".") and ";" in message
    assert "\n" not in message


def test_an_unknown_name_is_still_a_plain_import_error() -> None:
    with pytest.raises(ImportError, match="cannot import name 'no_such_thing'"):
        exec("from sfnflow import no_such_thing", {})


def test_a_flow_importing_one_is_reported_at_its_line(tmp_path) -> None:
    path = tmp_path / "project_flow.py"
    path.write_text("from sfnflow import FlowSpec, step, project\n\n\nclass ProjectFlow(FlowSpec):\n    pass\n")
    with pytest.raises(FlowDefinitionError) as info:
        check_file(str(path))
    text = str(info.value.diagnostics[0])
    assert f"{path}:1:" in text and "@project is not supported yet" in text and "--tag" in text

