"""The task envelope: one field table, three spellings that agree, and a new field is one edit."""
import dataclasses
import re
from typing import Any

import pytest

from sfn_compiler.contract import envelope as E

STATES = [  # every kind of Task state the compiler emits
    dict(is_start=True), dict(), dict(inline_max=40), dict(mode=E.MODE_CATCH), dict(is_start=True, inline_max=3),
]
STATE = {"run": "r-1", "p": "3.7", "parameters": {"alpha": 0.5}, "error": {"Error": "E", "Cause": "c"}}
CONTEXT = {"Execution": {"Name": "exec-9"}, "State": {"RetryCount": 2}}


def _path(path: str) -> Any:
    root, *keys = path.split(".")
    value: Any = CONTEXT if root == "$$" else STATE
    for key in keys:
        value = value[key]
    return value


def _lambda_payload(template: dict[str, Any]) -> dict[str, Any]:
    """What Step Functions builds from a Payload template."""
    return {(k[:-2] if k.endswith(".$") else k): (_path(v) if k.endswith(".$") else v) for k, v in template.items()}


def _batch_argv(command: str) -> list[str]:
    """What Step Functions builds from the Command.$ intrinsic (the forms the template uses)."""
    import json

    inner = re.fullmatch(r"States\.Array\((.*)\)", command).group(1)
    args = re.findall(r"States\.Format\('\{\}', ([$.\w]+)\)|States\.JsonToString\(([$.\w]+)\)|'([^']*)'|([$][$.\w]+)",
                      inner)
    out = []
    for fmt, as_json, literal, path in args:
        out.append(str(_path(fmt)) if fmt else json.dumps(_path(as_json)) if as_json else
                   literal if literal or not path else str(_path(path)))
    return out


@pytest.mark.parametrize("kwargs", STATES)
@pytest.mark.parametrize("in_image", [True, False])
def test_lambda_payload_and_batch_command_carry_the_same_envelope(kwargs, in_image):
    payload = _lambda_payload(E.envelope_template("F", "s", **kwargs))
    command = _batch_argv(E.batch_command_template("F", "s", sfnflow_in_image=in_image, **kwargs))
    assert E.envelope_from_batch_command(command) == E.TaskEnvelope.from_payload(payload)


def test_the_field_table_is_what_the_envelope_carries():
    wired = [f.name for f in E.wire_fields()]
    assert wired == ["flow", "step", "mode", "run", "task", "parameters", "error", "attempt", "inline_max", "loop_max"]
    assert set(wired) | {"tags", "v"} == {f.name for f in dataclasses.fields(E.TaskEnvelope)}


def test_a_new_field_is_one_edit():
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Extended(E.TaskEnvelope):
        trace_id: str = E.wire_field(E.TEXT, lambda s: E.Path("$.run"), default="")  # the one edit

    fields = E.wire_fields(Extended)
    template = E.envelope_template("F", "s", fields=fields)
    assert template["trace_id.$"] == "$.run"
    argv = _batch_argv(E.batch_command_template("F", "s", sfnflow_in_image=True, fields=fields))
    assert argv[argv.index("--trace-id") + 1] == "r-1"
    parsed = E.batch_args_payload(argv[3:], fields)
    assert Extended.from_payload(parsed) == Extended.from_payload(_lambda_payload(template))
    assert Extended.from_payload(parsed).trace_id == "r-1"


def test_a_command_from_neither_program_is_refused():
    with pytest.raises(ValueError, match="not an sfnflow Batch command"):
        E.envelope_from_batch_command(["python", "other.py", "--flow", "F"])
    with pytest.raises(ValueError, match="unknown task envelope option"):
        E.envelope_from_batch_args(["--flow", "F", "--colour", "red"])


def test_task_path_names_a_task_and_spells_its_pathspec():
    envelope = E.TaskEnvelope(flow="F", step="train", run="r1", task="3.7")
    assert envelope.path == E.TaskPath(flow="F", run="r1", step="train", task="3.7")
    assert str(envelope.path) == "F/r1/train/3.7"
    assert E.foreach_items_key(*envelope.path) == "F/r1/train/3.7/foreach.json"
