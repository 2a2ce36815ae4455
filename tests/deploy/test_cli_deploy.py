"""`sfnflow synth / deploy / destroy`: exit codes and the one-sentence errors (click's CliRunner)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner

from sfnflow.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINEAR = os.path.join(ROOT, "examples", "linear.py")


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask 169.254.169.254


def test_synth_writes_the_template_offline(no_aws: None, tmp_path: Any) -> None:
    out = tmp_path / "linear.json"
    result = CliRunner().invoke(main, ["synth", LINEAR, "-o", str(out)])
    assert result.exit_code == 0, result.output
    template = json.loads(out.read_text())
    assert any(r["Type"] == "AWS::StepFunctions::StateMachine" for r in template["Resources"].values())


def test_deploy_without_a_region_says_so(no_aws: None) -> None:
    result = CliRunner().invoke(main, ["deploy", LINEAR])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("Error: no AWS Region is set: pass --region")


def test_deploy_without_credentials_says_so(no_aws: None) -> None:
    result = CliRunner().invoke(main, ["deploy", LINEAR, "--region", "us-east-1"])
    assert result.exit_code == 1
    assert "Error: no AWS credentials were found" in result.output
    assert "Traceback" not in result.output


def test_deploy_with_an_unknown_profile_says_so(no_aws: None) -> None:
    result = CliRunner().invoke(main, ["deploy", LINEAR, "--profile", "nope"])
    assert result.exit_code == 1 and "no AWS profile named 'nope'" in result.output


def test_synth_without_the_cdk_names_the_extra(no_aws: None) -> None:
    code = ("import sys; sys.modules['aws_cdk'] = None; from sfnflow.cli import main; "
            f"main(['synth', {LINEAR!r}])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1
    assert done.stderr.strip() == ('Error: synthesizing needs the AWS CDK libraries, which are not installed: '
                                   'run pip install "sfnflow[deploy]".')


def test_bad_stack_name_is_a_user_error(no_aws: None) -> None:
    result = CliRunner().invoke(main, ["synth", LINEAR, "--stack-name", "bad_name"])
    assert result.exit_code == 1 and "stack name 'bad_name'" in result.output


@pytest.mark.slow
def test_cli_deploy_to_the_emulator_then_no_changes(emulator: Any) -> None:
    first = CliRunner().invoke(main, ["deploy", LINEAR])
    assert first.exit_code == 0, first.output
    assert "StateMachineArn: arn:aws:states:us-east-1:123456789012:stateMachine:LinearFlow" in first.output
    second = CliRunner().invoke(main, ["deploy", LINEAR])
    assert second.exit_code == 0
    assert "no changes: LinearFlow is already deployed as it is now." in second.output
    gone = CliRunner().invoke(main, ["destroy", LINEAR, "--yes"])
    assert gone.exit_code == 0 and "kept: the flow's artifacts" in gone.output
