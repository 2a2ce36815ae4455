"""What the compiled ASL must hold to behave in a real account (issue 14), checked on every
example, each as compiled for Lambda and with every step on Batch; no account needed.

Each rule is one test: bounded Distributed Maps (MaxConcurrency, tolerated failures,
Label, jittered retries), bounded Batch jobs, AWS's own error names in the retriers, and
a failing Distributed Map child that leaves its real error on the run record.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Iterator

import pytest

from sfn_compiler.asl import status
from sfn_compiler.asl.states import LABEL_LIMIT
from sfn_compiler.compile import CompileOptions, CompiledFlow, compile_flow
from sfn_compiler.graph.builder import build_graph
from sfn_compiler.loader import load_flow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))
CASES = [(stem, batch) for stem in EXAMPLES for batch in (False, True)]
LAMBDA_ACCOUNT_CONCURRENCY = 1000  # Lambda's default per account and Region
LABEL_FORBIDDEN = set(' ?*<>{}[]:;,\\|^~$#%&`"/')


@functools.lru_cache(maxsize=None)
def _compiled(stem: str, with_batch: bool) -> CompiledFlow:
    return compile_flow(build_graph(load_flow(str(ROOT / "examples" / f"{stem}.py"))), CompileOptions(with_batch=with_batch))


def _states(block: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(name, state, the block holding it) for every state, nested ones included."""
    for name, state in block.get("States", {}).items():
        yield name, state, block
        for branch in state.get("Branches", []):
            yield from _states(branch)
        if "ItemProcessor" in state:
            yield from _states(state["ItemProcessor"])


def _distributed(flow: CompiledFlow) -> list[tuple[str, dict[str, Any]]]:
    return [(n, s) for n, s, _ in _states(flow.asl) if s.get("ItemProcessor", {}).get("ProcessorConfig", {})
            .get("Mode") == "DISTRIBUTED"]


def _tasks(flow: CompiledFlow, resource_part: str) -> list[tuple[str, dict[str, Any]]]:
    return [(n, s) for n, s, _ in _states(flow.asl) if s["Type"] == "Task" and resource_part in s["Resource"]]


def test_the_examples_exercise_every_rule() -> None:
    assert any(_distributed(_compiled(stem, False)) for stem in EXAMPLES)
    assert any(_tasks(_compiled(stem, False), "batch:") for stem in EXAMPLES)
    assert any(_tasks(_compiled(stem, False), "dynamodb:") for stem in EXAMPLES)


@pytest.mark.parametrize("stem,with_batch", CASES)
def test_every_distributed_map_is_bounded_labelled_and_tolerates_no_failure(stem: str, with_batch: bool) -> None:
    flow = _compiled(stem, with_batch)
    labels = []
    for name, state in _distributed(flow):
        assert 0 < state["MaxConcurrency"] <= LAMBDA_ACCOUNT_CONCURRENCY // 2, name  # AWS's default is 10,000
        # A join needs every input: no failed child is tolerated, said explicitly.
        assert state["ToleratedFailureCount"] == 0 and "ToleratedFailurePercentage" not in state, name
        label = state["Label"]
        assert 0 < len(label) <= LABEL_LIMIT and not set(label) & LABEL_FORBIDDEN, label
        labels.append(label)
        assert all(r.get("JitterStrategy") == "FULL" for r in state.get("Retry", [])), name
        assert "States.ItemReaderFailed" in state["Retry"][0]["ErrorEquals"]
    assert len(labels) == len(set(labels))  # labels are unique per state machine


def test_max_concurrency_is_an_option() -> None:
    graph = build_graph(load_flow(str(ROOT / "examples" / "foreach.py")))
    flow = compile_flow(graph, CompileOptions(max_concurrency=25))
    assert {s["MaxConcurrency"] for _, s in _distributed(flow)} == {25}


def test_a_long_label_stays_within_the_limit_and_distinct() -> None:
    from sfn_compiler.asl.states import map_label

    a, b = map_label("x" * 50 + "@outer"), map_label("x" * 50 + "@inner")
    assert len(a) == len(b) == LABEL_LIMIT and a != b
    assert map_label("per_model@start") == "per_model@start"


@pytest.mark.parametrize("stem,with_batch", CASES)
def test_lambda_retrier_names_every_transient_error_and_jitters(stem: str, with_batch: bool) -> None:
    for name, state in _tasks(_compiled(stem, with_batch), "lambda:invoke"):
        transient = state["Retry"][0]
        assert "Lambda.ClientExecutionTimeoutException" in transient["ErrorEquals"], name
        assert {"Lambda.ServiceException", "Lambda.TooManyRequestsException"} <= set(transient["ErrorEquals"])
        assert transient["JitterStrategy"] == "FULL", name


@pytest.mark.parametrize("stem,with_batch", CASES)
def test_every_batch_job_has_an_attempt_duration(stem: str, with_batch: bool) -> None:
    graph = build_graph(load_flow(str(ROOT / "examples" / f"{stem}.py")))
    for name, state in _tasks(_compiled(stem, with_batch), "batch:submitJob"):
        seconds = state["Parameters"]["Timeout"]["AttemptDurationSeconds"]
        step = name.split("@")[0].removesuffix(".catch")
        timeout = graph[step].decorator("timeout")
        expected = max(60, timeout.seconds) if timeout is not None else 24 * 3600
        assert seconds == expected, name


@pytest.mark.parametrize("stem,with_batch", CASES)
def test_dynamodb_retriers_use_dynamodbs_own_error_codes(stem: str, with_batch: bool) -> None:
    for name, state in _tasks(_compiled(stem, with_batch), "dynamodb:"):
        errors = state["Retry"][0]["ErrorEquals"]
        assert "DynamoDB.InternalServerError" in errors, name
        assert not any(e.endswith("InternalServerErrorException") for e in errors), errors


@pytest.mark.parametrize("stem,with_batch", CASES)
def test_a_failing_child_records_its_own_error_on_the_run(stem: str, with_batch: bool) -> None:
    for name, state in _distributed(_compiled(stem, with_batch)):
        child = state["ItemProcessor"]["States"]
        record = [n for n in child if n.startswith(status.FAILED + "@")]
        assert len(record) == 1, (name, list(child))
        write = child[record[0]]
        params = write["Parameters"]
        # keyed by the run id the child carries, not the child execution's own name
        assert params["Key"]["pk"]["S.$"].endswith(", $.run)")
        assert params["ExpressionAttributeValues"][":st"] == {"S": "FAILED"}
        assert params["ConditionExpression"] == "attribute_not_exists(#st) OR #st = :running"
        raise_ = child[write["Next"]]
        assert raise_ == {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}
        for inner, s in child.items():
            if s["Type"] in ("Task", "Parallel", "Map") and inner != record[0]:
                assert any("States.ALL" in c["ErrorEquals"] for c in s.get("Catch", [])), inner


@pytest.mark.parametrize("stem,with_batch", CASES)
def test_map_results_live_under_one_top_level_prefix(stem: str, with_batch: bool) -> None:
    flow = _compiled(stem, with_batch)
    for name, state in _distributed(flow):
        assert state["ResultWriter"]["Parameters"]["Prefix"].startswith(f"_map_results/{flow.model.flow_name}/")
