"""Operating a deployed flow on the emulator, as a user does: deploy -> trigger (--wait) -> runs
-> status -> logs -> resume, the console's Start button, and the schedule's and the event
rules' own targets started as EventBridge starts them.

One emulator and one deploy of tests/deploy/flows/operate_flow.py (a Lambda foreach and a
Batch join) serve the whole module; each test starts its own runs.
"""
from __future__ import annotations

import json
import os
import re
import time
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

from sfnflow.cli import main

FLOW = os.path.join(os.path.dirname(os.path.abspath(__file__)), "flows", "operate_flow.py")
REGION = "us-east-1"

pytestmark = pytest.mark.slow


class Deployed:
    def __init__(self, emulator: Any, home: str) -> None:
        import boto3

        self.emulator, self.home = emulator, home
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.events = boto3.client("events", region_name=REGION)
        outputs = boto3.client("cloudformation", region_name=REGION).describe_stacks(
            StackName="OperateFlow")["Stacks"][0]["Outputs"]
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in outputs}
        self.arn = self.outputs["StateMachineArn"]
        self.bucket = self.outputs["BucketName"]

    def cli(self, *args: str) -> Any:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    def wait(self, execution_arn: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described = self.sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return dict(described)
            time.sleep(0.2)
        raise AssertionError(f"{execution_arn} still running after {timeout} s")

    def break_item(self, item: int) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=f"switches/broken-{item}", Body=b"")

    def mend_item(self, item: int) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=f"switches/broken-{item}")


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    from sfnflow.emulate.emulator import Emulator

    home = str(tmp_path_factory.mktemp("operate-home"))
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                            "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
                            "SFNFLOW_HOME": home}.items():
            mp.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "SFNFLOW_DATASTORE"):
            mp.delenv(name, raising=False)
        with Emulator() as emu:
            mp.setenv("AWS_ENDPOINT_URL", emu.endpoint)
            result = CliRunner().invoke(main, ["deploy", FLOW, "--package-suffixes", ".csv"])
            assert result.exit_code == 0, result.output
            assert "with 1 data file(s)" in result.output  # operate_data/weights.csv travels along
            assert "start a run:  sfnflow trigger OperateFlow --n 2 --label manual" in result.output
            yield Deployed(emu, home)


@pytest.fixture
def flow(deployed: Deployed, monkeypatch: pytest.MonkeyPatch) -> Deployed:
    """The module's deploy, with this test's environment pointing at its emulator and profile."""
    monkeypatch.setenv("SFNFLOW_HOME", deployed.home)
    monkeypatch.setenv("AWS_ENDPOINT_URL", deployed.emulator.endpoint)
    return deployed


def _run_id(stdout: str) -> str:
    return stdout.strip().splitlines()[-1]


def test_trigger_waits_then_runs_status_and_logs_read_the_cloud(flow: Deployed) -> None:
    first = flow.cli("trigger", "OperateFlow", "--n", "3", "--label", "first", "--wait")
    assert first.exit_code == 0, first.output
    run_id = _run_id(first.stdout)
    assert re.fullmatch(r"\d{8}T\d{6}-[0-9a-f]{6}", run_id)
    assert "console: https://us-east-1.console.aws.amazon.com/states/home" in first.stderr
    assert "square: 3 succeeded" in first.stderr and f"run OperateFlow/{run_id} succeeded in" in first.stderr

    listed = flow.cli("runs", "OperateFlow")
    assert listed.exit_code == 0, listed.output
    assert listed.stderr.startswith("reading the deployed datastore of OperateFlow on the emulator at")
    row = next(line.split() for line in listed.stdout.splitlines() if line.startswith(run_id))
    assert row[1] == "SUCCEEDED" and row[-1] == "cli"

    status = flow.cli("status", run_id)
    assert status.exit_code == 0, status.output
    lines = status.stdout.splitlines()
    assert lines[0].startswith(f"run OperateFlow/{run_id}: SUCCEEDED (trigger cli")
    assert "  parameters: label='first', n=3" in lines
    assert lines[-1].startswith("  console: https://us-east-1.console.aws.amazon.com/states/home")
    assert [line.split()[:3] for line in lines[2:-1]] == [
        ["start", "1", "succeeded"], ["square", "3", "succeeded"], ["join", "1", "succeeded"],
        ["end", "1", "succeeded"]]

    lambda_logs = flow.cli("logs", f"{run_id}/square/2")
    assert lambda_logs.exit_code == 0, lambda_logs.output
    header, *body = lambda_logs.stdout.splitlines()
    assert header.startswith(f"--- OperateFlow/{run_id}/square/2 (attempt 0, SUCCEEDED; CloudWatch Logs /aws/lambda/")
    assert body == ["square 2 -> 4"]  # only this task's lines, between the runtime's markers
    batch_logs = flow.cli("logs", f"OperateFlow/{run_id}/join/0")
    assert batch_logs.exit_code == 0, batch_logs.output
    assert "CloudWatch Logs /aws/batch/job " in batch_logs.stdout and "join: total 5" in batch_logs.stdout
    copy = flow.cli("logs", f"{run_id}/join", "--stdout")  # one stream: the datastore's copy
    assert copy.stdout.splitlines()[-1] == "join: total 5" and "the datastore's copy" in copy.stdout

    # A deployed step read an earlier run through Flow(...) and a packaged CSV by relative path.
    second = flow.cli("trigger", FLOW, "--n", "2", "--wait")  # FLOW may be the flow's file
    assert second.exit_code == 0, second.output
    from sfnflow import Run

    run = Run(f"OperateFlow/{_run_id(second.stdout)}")  # the client finds the deployed datastore
    assert run.data.previous_total == 5 and run.data.weights == {"alpha": 0.5, "beta": 1.5}
    assert run.data.total == 1


def test_failed_run_status_then_resume_reruns_only_what_failed(flow: Deployed) -> None:
    flow.break_item(1)
    try:
        failed = flow.cli("trigger", "OperateFlow", "--n", "3", "--wait")
    finally:
        flow.mend_item(1)
    assert failed.exit_code == 1, failed.output
    run_id = _run_id(failed.stdout)
    assert f"run OperateFlow/{run_id} failed: UserCodeError: step 'square' failed: RuntimeError: item 1 is broken" \
        in failed.stderr

    status = flow.cli("status", run_id)
    assert status.exit_code == 0, status.output
    out = status.stdout
    assert out.startswith(f"run OperateFlow/{run_id}: FAILED")
    assert "  square  2 succeeded, 1 failed" in out
    assert f"failed: OperateFlow/{run_id}/square/1 (attempt 0, lambda): RuntimeError: item 1 is broken" in out, out
    assert f"  logs: sfnflow logs OperateFlow/{run_id}/square/1" in out
    logs = flow.cli("logs", f"OperateFlow/{run_id}/square/1")
    assert "RuntimeError: item 1 is broken" in logs.stdout and "CloudWatch Logs /aws/lambda/" in logs.stdout

    resumed = flow.cli("resume", run_id, "--wait")
    assert resumed.exit_code == 0, resumed.output
    assert f"resuming OperateFlow/{run_id} from step 'square'" in resumed.stderr
    new_id = _run_id(resumed.stdout)
    from sfnflow import Run

    run = Run(f"OperateFlow/{new_id}")
    assert run.successful and run.origin_run_id == run_id and run.record.trigger == "resume"
    statuses = {(t.step_name, t.id): t.status for step in run for t in step}
    assert statuses == {("start", "0"): "REUSED", ("square", "0"): "REUSED", ("square", "1"): "SUCCEEDED",
                        ("square", "2"): "REUSED", ("join", "0"): "SUCCEEDED", ("end", "0"): "SUCCEEDED"}
    assert run["square"]["0"].index_record.meta["origin"] == f"OperateFlow/{run_id}/square/0"
    assert run.data.total == 5


def test_the_consoles_start_button_and_an_unnamed_execution_start_runs(flow: Deployed) -> None:
    for body in ("{}", json.dumps({"Comment": "Insert your JSON here"})):
        started = flow.sfn.start_execution(stateMachineArn=flow.arn, input=body)  # no name, as the console
        described = flow.wait(started["executionArn"])
        assert described["status"] == "SUCCEEDED", described.get("cause")
        run_id = described["name"]
        assert re.fullmatch(r"[0-9a-f-]{36}", run_id)  # AWS names it with a UUID
        from sfnflow import Run

        run = Run(f"OperateFlow/{run_id}")
        assert run.successful and run.record.trigger == "console" and run.data.total == 1  # defaults: n=2
        # The console's output of the run (its last Task state's) names the task and its data.
        assert json.loads(described["output"])["task"]["info"] == {
            "pathspec": f"OperateFlow/{run_id}/end/0", "artifacts": f"s3://{flow.bucket}/OperateFlow/{run_id}/end/0/",
            "logs": f"sfnflow logs OperateFlow/{run_id}/end/0"}
    listed = flow.cli("runs", "OperateFlow")
    assert listed.exit_code == 0 and run_id in listed.stdout  # its record lists like any other


def _rules(flow: Deployed) -> dict[str, dict[str, Any]]:
    found = {}
    for rule in flow.events.list_rules()["Rules"]:
        targets = flow.events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        if targets and targets[0]["Arn"] == flow.arn:
            found[rule.get("Description", rule["Name"])] = {"rule": rule, "target": targets[0]}
    return found


def _start_as_eventbridge(flow: Deployed, target: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """EventBridge starts the target with its Input if it has one, else with the event; no name."""
    body = target.get("Input") or json.dumps(event)
    return flow.wait(flow.sfn.start_execution(stateMachineArn=target["Arn"], input=body)["executionArn"])


def test_schedule_and_event_rules_start_runs_as_eventbridge_would(flow: Deployed) -> None:
    from moto.events.models import EventPattern

    from sfnflow import Run

    rules = _rules(flow)
    schedule = rules["sfnflow OperateFlow: hourly=True"]
    assert schedule["rule"]["ScheduleExpression"] == "cron(0 * * * ? *)"
    assert json.loads(schedule["target"]["Input"]) == {"parameters": {"label": "manual", "n": 2},
                                                       "sfnflow": {"trigger": "schedule"}}
    described = _start_as_eventbridge(flow, schedule["target"], {"detail-type": "Scheduled Event"})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert Run(f"OperateFlow/{described['name']}").record.trigger == "schedule"

    upstream = f"arn:aws:states:{REGION}:123456789012:stateMachine:UpstreamFlow"
    events = {
        "sfnflow OperateFlow: @trigger operate_now": (
            {"version": "0", "id": "e-1", "detail-type": "operate_now", "source": "my.app", "account": "123456789012",
             "time": "2026-12-01T09:00:00Z", "region": REGION, "resources": [], "detail": {"count": 4}},
            "event:operate_now", {"n": 4}),
        "sfnflow OperateFlow: @trigger s3://incoming-data/drop/*": (
            {"version": "0", "id": "e-2", "detail-type": "Object Created", "source": "aws.s3",
             "account": "123456789012", "time": "2026-12-01T09:00:00Z", "region": REGION, "resources": [],
             "detail": {"bucket": {"name": "incoming-data"}, "object": {"key": "drop/day1.csv", "size": 10}}},
            "event:s3://incoming-data/drop/*", {"label": "drop/day1.csv"}),
        "sfnflow OperateFlow: @trigger_on_finish UpstreamFlow": (
            {"version": "0", "id": "e-3", "detail-type": "Step Functions Execution Status Change",
             "source": "aws.states", "account": "123456789012", "time": "2026-12-01T09:00:00Z", "region": REGION,
             "resources": [f"arn:aws:states:{REGION}:123456789012:execution:UpstreamFlow:up-7"],
             "detail": {"executionArn": f"arn:aws:states:{REGION}:123456789012:execution:UpstreamFlow:up-7",
                        "stateMachineArn": upstream, "name": "up-7", "status": "SUCCEEDED"}},
            "finish:UpstreamFlow", {"label": "up-7"}),
    }
    for description, (event, trigger, parameters) in events.items():
        rule = rules[description]
        assert EventPattern.load(rule["rule"]["EventPattern"]).matches_event(event), description
        assert "Input" not in rule["target"]  # the event itself is the input
        described = _start_as_eventbridge(flow, rule["target"], event)
        assert described["status"] == "SUCCEEDED", (description, described.get("cause"))
        run = Run(f"OperateFlow/{described['name']}")
        assert run.record.trigger == trigger and run.parameters == parameters


def test_bad_input_is_one_sentence_and_starts_nothing(flow: Deployed, tmp_path: Any) -> None:
    before = len(flow.sfn.list_executions(stateMachineArn=flow.arn)["executions"])
    cases = {
        ("trigger", "OperateFlow", "--bogus", "1"): "Error: unknown parameter --bogus. This flow's parameters: "
                                                    "--n (int), --label (str).",
        ("trigger", "OperateFlow", "--n", "many"): "Error: parameter --n: 'many' is not a valid int. Give an int value.",
        ("trigger", "NoSuchFlow"): "Error: flow NoSuchFlow is not deployed in the emulator at",
        ("trigger", "OperateFlow", "--name", "bad name!"): "Error: run id 'bad name!' cannot be an execution name",
        ("status", "no-such-run"): "Error: no run no-such-run in local runs or the deployed datastores",
    }
    for args, message in cases.items():
        result = flow.cli(*args)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.strip().splitlines()[-1].startswith(message), (args, result.stderr)
        assert "Traceback" not in result.output
    assert len(flow.sfn.list_executions(stateMachineArn=flow.arn)["executions"]) == before


def test_the_python_deployer_loop(flow: Deployed, monkeypatch: pytest.MonkeyPatch) -> None:
    from sfnflow.deployer import Deployer

    monkeypatch.setenv("SFNFLOW_USER", "ada")
    from sfnflow.operate import OperateError

    deployed = Deployer(FLOW, package_suffixes=[".csv"]).deploy()  # already deployed: no change, same stack
    assert deployed.name == "OperateFlow" and deployed.state_machine_arn == flow.arn
    assert deployed.parameters["n"].default == 2
    with pytest.raises(OperateError, match="has no parameter 'm'"):
        deployed.trigger(m=1)
    triggered = deployed.trigger(n="3", tags=["api"])  # typed against the deployed spec
    assert triggered.wait(timeout=120).outcome.succeeded and triggered.status == "SUCCEEDED"
    run = triggered.run
    assert run.data.total == 5 and {"api", "runtime:step-functions"} <= run.tags and run.record.trigger == "api"
    assert "user:ada" in run.tags  # whoever triggered it: the run is in their namespace
    again = Deployer.from_deployed("OperateFlow").run(triggered.run_id)
    assert again.status == "SUCCEEDED" and again.run.id == triggered.run_id
    assert triggered.run_id in [r.id for r in deployed.runs()]


def test_removing_the_schedule_and_deploying_again_removes_its_rule(flow: Deployed, tmp_path: Any) -> None:
    """Last in the module: it redeploys the flow without @schedule."""
    import shutil

    shutil.copytree(os.path.join(os.path.dirname(FLOW), "operate_data"), tmp_path / "operate_data")
    source = open(FLOW, encoding="utf-8").read()
    assert "@schedule(hourly=True)\n" in source
    edited = tmp_path / "operate_flow.py"
    edited.write_text(source.replace("@schedule(hourly=True)\n", ""), encoding="utf-8")
    result = flow.cli("deploy", str(edited), "--package-suffixes", ".csv")
    assert result.exit_code == 0, result.output
    assert "stack OperateFlow updated" in result.output and "Schedule1" in result.output
    rules = _rules(flow)
    assert not any(r["rule"].get("ScheduleExpression") for r in rules.values())
    assert "sfnflow OperateFlow: @trigger operate_now" in rules  # the event rules stay
