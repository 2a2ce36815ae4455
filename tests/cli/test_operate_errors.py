"""Operating a deployed flow with bad input: one sentence, a non-zero exit, nothing started.

Without an emulator: no Region, no credentials, an emulator that is not running, a deploy
under way (a CloudFormation client that reports it), bad parameters against a served spec.
"""
from __future__ import annotations

import os
import socket
from typing import Any

import pytest
from click.testing import CliRunner

from sfn_compiler.dsl.specs import ParameterSpec
from sfnflow.cli import main
from sfnflow.operate.deployed import read_stack
from sfnflow.operate.errors import OperateError
from sfnflow.operate.trigger import check_parameters, check_run_name


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def _last_line(result: Any) -> str:
    return result.output.strip().splitlines()[-1]


def test_trigger_without_a_region_or_credentials_says_so(no_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(main, ["trigger", "SomeFlow"])
    assert result.exit_code == 1
    assert _last_line(result).startswith("Error: no AWS Region is set: pass --region")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    result = CliRunner().invoke(main, ["trigger", "SomeFlow"])
    assert result.exit_code == 1 and _last_line(result).startswith("Error: no AWS credentials were found")


def test_trigger_when_the_emulator_is_not_running(no_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_ENDPOINT_URL": f"http://localhost:{port}", "AWS_MAX_ATTEMPTS": "1"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["trigger", "SomeFlow", "--n", "1"])
    assert result.exit_code == 1
    assert _last_line(result) == (f"Error: cannot reach http://localhost:{port}: is `sfnflow emulator` running? "
                                  "Start it, or unset AWS_ENDPOINT_URL to use AWS.")


class _Stacks:
    """A CloudFormation client that answers describe_stacks with one status."""

    def __init__(self, status: str) -> None:
        self.status = status

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 - boto3's spelling
        return {"Stacks": [{"StackName": StackName, "StackStatus": self.status,
                            "Outputs": [{"OutputKey": "StateMachineArn", "OutputValue": "arn:x"}]}]}


@pytest.mark.parametrize("status, sentence", [
    ("UPDATE_IN_PROGRESS", "a deploy of F is under way (stack F is UPDATE_IN_PROGRESS); wait for it to finish"),
    ("CREATE_IN_PROGRESS", "a deploy of F is under way (stack F is CREATE_IN_PROGRESS)"),
    ("ROLLBACK_COMPLETE", "flow F's stack F is ROLLBACK_COMPLETE: its last deploy failed"),
    ("DELETE_IN_PROGRESS", "flow F's stack F is being deleted"),
])
def test_a_half_done_deploy_is_refused(status: str, sentence: str) -> None:
    with pytest.raises(OperateError) as caught:
        read_stack(_Stacks(status), "F", "F", "AWS")
    assert str(caught.value).startswith(sentence)


def test_a_settled_stack_serves_its_outputs() -> None:
    assert read_stack(_Stacks("UPDATE_ROLLBACK_COMPLETE"), "F", "F", "AWS") == {"StateMachineArn": "arn:x"}


SPECS = (ParameterSpec("alpha", "float", 0.1, True), ParameterSpec("day", "str", required=True),
         ParameterSpec("flag", "bool", False, True))


def test_parameters_are_checked_against_the_deployed_spec() -> None:
    assert check_parameters(SPECS, {"alpha": "0.5", "day": "mon", "flag": "yes"}) == {
        "alpha": 0.5, "day": "mon", "flag": True}
    with pytest.raises(OperateError, match=r"^the deployed flow has no parameter 'beta' \(its parameters: alpha"):
        check_parameters(SPECS, {"beta": 1, "day": "x"})
    with pytest.raises(OperateError, match=r"^parameter 'alpha': 'fast' is not a valid float; give a float value\."):
        check_parameters(SPECS, {"alpha": "fast", "day": "x"})
    with pytest.raises(OperateError, match=r"^missing required parameter\(s\) day"):
        check_parameters(SPECS, {})


def test_run_names_must_be_execution_names() -> None:
    assert check_run_name("nightly-2026_12_01") == "nightly-2026_12_01"
    for bad in ("", "has space", "x" * 81, "-leading", "slash/es"):
        with pytest.raises(OperateError, match="cannot be an execution name"):
            check_run_name(bad)


class _ThrottledSfn:
    """A Step Functions client that throttles StartExecution `times` times, then starts."""

    def __init__(self, times: int) -> None:
        self.times, self.calls = times, []

    def start_execution(self, **kwargs: Any) -> dict[str, Any]:
        import botocore.exceptions as bx

        self.calls.append(kwargs)
        if len(self.calls) <= self.times:
            raise bx.ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
                                 "StartExecution")
        return {"executionArn": f"arn:aws:states:us-east-1:1:execution:F:{kwargs['name']}"}


def _deployed() -> Any:
    from sfnflow.operate.deployed import DeployedFlow
    from sfnflow.operate.session import OperateTarget

    target = OperateTarget(session=None, region="us-east-1", endpoint=None, account="1")
    return DeployedFlow(name="F", stack="F", state_machine_arn="arn:aws:states:us-east-1:1:stateMachine:F",
                        bucket="b", table="t", parameters=SPECS, target=target)


def test_start_execution_is_retried_while_throttled() -> None:
    import json

    from sfnflow.operate.trigger import START_ATTEMPTS, start_run

    sleeps: list[float] = []
    sfn = _ThrottledSfn(times=3)
    started = start_run(_deployed(), {"day": "mon"}, name="r1", sfn=sfn, sleep=sleeps.append)
    assert started.run_id == "r1" and len(sfn.calls) == 4 and sleeps == [0.5, 1.0, 2.0]
    assert json.loads(sfn.calls[-1]["input"])["parameters"] == {"day": "mon"}
    assert started.console_url.endswith("#/v2/executions/details/arn:aws:states:us-east-1:1:execution:F:r1")
    with pytest.raises(OperateError, match=f"kept throttling StartExecution for F \\({START_ATTEMPTS} tries\\)"):
        start_run(_deployed(), {}, name="r2", sfn=_ThrottledSfn(times=99), sleep=sleeps.append)


def test_resuming_a_deployed_run_that_still_runs_is_refused() -> None:
    from runtime.stores.base import RunRecord
    from sfnflow.operate.resume_deployed import resume_deployed

    class _Metadata:
        def get_run(self, flow: str, run_id: str) -> RunRecord:
            return RunRecord(flow, run_id, status="RUNNING")

    with pytest.raises(OperateError, match=r"^run F/r1 is still running; resuming it now would run its steps twice"):
        resume_deployed(_Metadata(), "F", "r1", deployed=_deployed())
