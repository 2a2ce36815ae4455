"""Golden ASL for every example flow, checked by asl-validator and by moto.

examples/<stem>.py -> tests/golden/<stem>.asl.json, compared as dicts;
`pytest --update-golden` rewrites them. The moto tests create every golden state
machine, and execute the Lambda-only examples with the shared TaskPlayer (player.py),
which speaks the envelope contract (sfn_compiler/contract/envelope.py), so the ASL's
routing is checked end to end: Parallel, inline and Distributed Maps, Retry, Catch.
moto's interpreter runs unpatched here (it is the oracle) but for the registry's SPEED
and COMPUTE groups: moto's Lambda service calls the player, and Retry intervals do not
sleep.
"""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from player import Script, TaskPlayer, UserCodeError

from sfn_compiler.contract import envelope
from sfn_compiler.asl import arns
from sfn_compiler.compile import CompiledFlow, asl_json, compile_flow
from sfn_compiler.contract.placeholders import ResourceNames, fill_definition
from sfn_compiler.graph.builder import build_graph
from sfn_compiler.graph.model import FlowGraph
from sfn_compiler.loader import load_flow

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
GOLDEN = Path(__file__).resolve().parent / "golden"
ASL_VALIDATOR_CANDIDATES = [ROOT / "node_modules/.bin/asl-validator"]
REGION = "us-east-1"
BUCKET = "artifacts"
TABLE = "metadata"


def _compile(path: Path) -> tuple[FlowGraph, CompiledFlow]:
    graph = build_graph(load_flow(str(path)))
    return graph, compile_flow(graph)


@pytest.fixture(scope="module")
def compiled() -> dict[str, tuple[FlowGraph, CompiledFlow]]:
    return {path.stem: _compile(path) for path in EXAMPLES}


def test_examples_found() -> None:
    assert len(EXAMPLES) >= 10, f"examples/*.py not found under {ROOT}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_golden(path: Path, compiled: dict[str, Any], update_golden: bool) -> None:
    asl = compiled[path.stem][1].asl
    golden = GOLDEN / f"{path.stem}.asl.json"
    if update_golden:
        golden.write_text(asl_json(asl) + "\n")
        return
    assert golden.exists(), f"{golden} is missing: run `pytest --update-golden` and review the diff"
    assert json.loads(golden.read_text()) == asl, (
        f"{path.name} compiles to different ASL than {golden.name}; if intended, run `pytest --update-golden`"
    )


def _asl_validator() -> str | None:
    for candidate in ASL_VALIDATOR_CANDIDATES:
        if candidate.exists():
            return str(candidate)
    return shutil.which("asl-validator")


def test_golden_files_pass_asl_validator() -> None:
    validator = _asl_validator()
    # Not a skip: the README's test command installs it, and a skip would hide it from CI.
    assert validator is not None, "asl-validator is missing: run `npm install` at the repository root"
    files = sorted(GOLDEN.glob("*.asl.json"))
    assert files, "no golden files"
    args = [validator]
    for f in files:
        args += ["--json-path", str(f)]
    proc = subprocess.run(args + ["--silent"], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:  # re-run loudly to say which file and why
        loud = subprocess.run(args, capture_output=True, text=True, timeout=120)
        pytest.fail(f"asl-validator rejected a golden file:\n{loud.stdout}\n{loud.stderr}")


# -- moto --------------------------------------------------------------------------------
ACCOUNT = "123456789012"


def _fake_names(compiled_flow: CompiledFlow, functions: dict[str, str] | None = None) -> ResourceNames:
    """Made-up resource ARNs for every resource of the flow (`functions`: real Lambda ARNs instead)."""
    model = compiled_flow.model
    return ResourceNames(
        bucket=BUCKET, table=TABLE,
        functions=functions or {f.key: arns.lambda_function_arn(REGION, ACCOUNT, f"fn-{f.key}") for f in model.functions},
        job_queues={j.queue: arns.job_queue_arn(REGION, ACCOUNT, f"q-{j.queue}") for j in model.job_definitions},
        job_definitions={j.key: arns.job_definition_arn(REGION, ACCOUNT, f"jd-{j.key}") for j in model.job_definitions})


def test_moto_accepts_every_golden(aws_credentials: None) -> None:
    import boto3
    import moto

    with moto.mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sfn = boto3.client("stepfunctions", region_name=REGION)
        created = {}
        for path in EXAMPLES:
            flow = _compile(path)[1]
            text = fill_definition(asl_json(flow.asl), flow.model.placeholders, _fake_names(flow))
            arn = sfn.create_state_machine(name=flow.model.flow_name, definition=text,
                                           roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn")["stateMachineArn"]
            created[arn] = text
        # moto parsed each definition and kept it as given: every placeholder filled, nothing lost.
        for arn, text in created.items():
            kept = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
            assert json.loads(kept) == json.loads(text) and "${" not in kept
    assert len(created) == len(EXAMPLES)


def _lambda_runner(player: TaskPlayer) -> Any:
    """moto's Lambda service -> the player, answering as the Lambda runtime would."""

    def run(fn: Any, event: Any) -> tuple[str, bool, str]:
        try:
            return json.dumps(player(json.loads(event) if isinstance(event, str) else event)), False, ""
        except UserCodeError as exc:  # Lambda names the error after the exception's class
            return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}), True, ""

    return run


def _execute(path: Path, fanout: dict[str, int] | None = None, fail: dict[str, int] | None = None,
             force_distributed: bool = False) -> tuple[dict[str, Any], TaskPlayer, list[dict[str, Any]]]:
    import boto3
    import moto

    from runtime.engine.patches import REGISTRY, SPEED, PatchHooks
    from sfnflow.emulate.moto_services import COMPUTE

    graph, flow = _compile(path)

    def upload(key: str, items: list[str]) -> None:
        boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=key, Body=json.dumps(items))

    player = TaskPlayer(write_items=upload)
    player.script("run1", Script(fail=fail or {}, fanout=fanout or {}, distributed=force_distributed))
    hooks = PatchHooks(lambda_runner=_lambda_runner(player), fast_retries=True)
    with REGISTRY.install(player, hooks, (SPEED, COMPUTE)), \
            moto.mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        # The state machine writes the run's end status itself (asl/status.py).
        from sfn_compiler.contract.table_layout import table_definition

        boto3.client("dynamodb", region_name=REGION).create_table(**table_definition(TABLE))
        lam = boto3.client("lambda", region_name=REGION)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("h.py", "def h(e, c):\n    return {}\n")
        functions = {fn.key: lam.create_function(
            FunctionName=f"{graph.name}-{fn.key}", Runtime="python3.11", Role=role, Handler="h.h",
            Code={"ZipFile": buf.getvalue()})["FunctionArn"] for fn in flow.model.functions}
        definition = fill_definition(asl_json(flow.asl), flow.model.placeholders, _fake_names(flow, functions))
        sfn = boto3.client("stepfunctions", region_name=REGION)
        machine = sfn.create_state_machine(name=graph.name, roleArn=role, definition=definition)
        arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="run1",
                                  input=json.dumps({"parameters": {}}))["executionArn"]
        # A guard against a hang, not a speed check: these executions end in well under a second.
        hung = time.monotonic() + 600
        while (desc := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < hung, f"the execution of {path.name} never ended"
            time.sleep(0.01)
        history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return desc, player, history


def _steps(player: TaskPlayer, mode: str = envelope.MODE_STEP) -> list[tuple[str, str]]:
    return sorted((c.step, c.task) for c in player.calls if c.mode == mode)


@pytest.mark.parametrize("stem", ["linear", "branch", "parameters", "timeout"])
def test_simple_examples_run_every_step_once(aws_credentials: None, stem: str) -> None:
    desc, player, _ = _execute(ROOT / "examples" / f"{stem}.py")
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    graph = _compile(ROOT / "examples" / f"{stem}.py")[0]
    assert _steps(player) == sorted((n.name, "0") for n in graph.steps)
    assert {c.run for c in player.calls} == {"run1"}
    output = json.loads(desc["output"])  # the pointers, and the last task's whereabouts (task_output.py)
    assert output == {"run": "run1", "p": "0", "task": {"info": {}}}


@pytest.mark.parametrize("distributed", [False, True], ids=["inline", "distributed"])
def test_nested_foreach_task_ids(aws_credentials: None, distributed: bool) -> None:
    desc, player, history = _execute(ROOT / "examples/nested_foreach.py",
                                      fanout={"start": 2, "per_model": 3}, force_distributed=distributed)
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    fits = [t for s, t in _steps(player) if s == "fit"]
    assert fits == ["0.0", "0.1", "0.2", "1.0", "1.1", "1.2"]
    assert [t for s, t in _steps(player) if s == "pick_depth"] == ["0", "1"]
    # Distributed children have their own execution names: the run id travels in the state.
    assert {c.run for c in player.calls} == {"run1"}
    map_runs = [e for e in history if e["type"] == "MapRunStarted"]
    assert bool(map_runs) == distributed


@pytest.mark.parametrize("stem,body", [("branch_in_foreach", {"length", "upper", "combine"}),
                                       ("foreach_in_branch", {"cube"})])
def test_composed_shapes(aws_credentials: None, stem: str, body: set[str]) -> None:
    desc, player, _ = _execute(ROOT / "examples" / f"{stem}.py")
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    ran = _steps(player)
    for step in body:
        assert [t for s, t in ran if s == step] == ["0", "1"]


def test_retry_reruns_the_failed_attempt(aws_credentials: None) -> None:
    desc, player, _ = _execute(ROOT / "examples/retry.py", fail={"flaky": 1})
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    assert [(c.step, c.attempt) for c in player.calls if c.step == "flaky"] == [("flaky", 0), ("flaky", 1)]


def test_catch_runs_catch_task_and_finishes(aws_credentials: None) -> None:
    desc, player, _ = _execute(ROOT / "examples/catch.py", fail={"divide": -1})
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    assert _steps(player, envelope.MODE_CATCH) == [("divide", "0")]
    assert ("end", "0") in _steps(player)
    assert json.loads(desc["output"]) == {"run": "run1", "p": "0", "task": {"info": {}}}  # `error` dropped


def test_uncaught_failure_fails_the_execution(aws_credentials: None) -> None:
    desc, _, _ = _execute(ROOT / "examples/linear.py", fail={"square": -1})
    assert desc["status"] == "FAILED"
    assert desc.get("error") == envelope.USER_CODE_ERROR


def test_history_estimate_matches_moto(aws_credentials: None) -> None:
    """The inline_max sizing rests on per-state event counts; check them against moto's history."""
    from sfn_compiler.asl import limits, status

    desc, _, history = _execute(ROOT / "examples/foreach.py", fanout={"start": 10})
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    plan = _compile(ROOT / "examples/foreach.py")[1].limits.foreach[0]
    # execution + start + Choice + Map + 10 iterations + join + end + the run's status write
    expected = (2 + limits.TASK_EVENTS + limits.CHOICE_EVENTS + limits.MAP_EVENTS
                + 10 * plan.events_per_iteration + 2 * limits.TASK_EVENTS + status.STATUS_EVENTS)
    assert len(history) == expected
