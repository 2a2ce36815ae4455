"""Every flow in examples/ runs locally through its compiled state machine, and what it
computed is read back through the client API (Flow / Run / Step / Task).

The runs happen once per module (about 10 s together) into one store root; each test
then checks one example's artifacts and metadata.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from localrun import EXAMPLES, run_flow

from sfnflow import Flow, Run, client
from sfn_compiler.compile import compile_file
from sfnflow.cli.params import parse_parameter_args
from sfnflow.local_run import LocalRunResult

pytestmark = pytest.mark.slow

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.py"))
# Every parameter of examples/parameters.py given on the command line, one of each type.
GIVEN = ["--who", "bob", "--count", "3", "--ratio", "2", "--loud", "--config", '{"sep": "|"}', "--greeting", "hi"]


class Runs:
    """The module's runs: by example stem, plus the extra runs under their own keys."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.results: dict[str, LocalRunResult] = {}
        self.events: dict[str, list[tuple[str, str, str, dict[str, Any]]]] = {}

    def run(self, key: str, path: Path, parameters: dict[str, Any] | None = None) -> None:
        events: list[tuple[str, str, str, dict[str, Any]]] = []
        self.events[key] = events
        self.results[key] = run_flow(path, self.root, parameters,
                                     on_event=lambda kind, step, task, **info: events.append((kind, step, task, info)))

    def __getitem__(self, key: str) -> Run:
        result = self.results[key]
        return Run(f"{result.flow}/{result.run_id}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    done = Runs(tmp_path_factory.mktemp("examples") / "store")
    for path in EXAMPLE_FILES:
        done.run(path.stem, path)
    params = compile_file(str(EXAMPLES / "parameters.py")).graph.parameters
    done.run("parameters_given", EXAMPLES / "parameters.py", parse_parameter_args(params, GIVEN))
    done.run("timeout_sleep_15", EXAMPLES / "timeout.py", {"sleep": 15})
    return done


@pytest.fixture(autouse=True)
def read_the_module_store(runs: Runs) -> Iterator[None]:
    client.set_root(str(runs.root))
    yield
    client.set_root(None)


@pytest.mark.parametrize("stem", [p.stem for p in EXAMPLE_FILES])
def test_example_succeeds_with_every_task_finished(runs: Runs, stem: str) -> None:
    result = runs.results[stem]
    assert result.status == "SUCCEEDED", result.error
    run = runs[stem]
    assert run.successful and run.finished and run.finished_at >= run.created_at
    assert result.run_id in [r.id for r in Flow(result.flow).runs() if r.successful]
    flow = compile_file(str(EXAMPLES / f"{stem}.py"))
    skipped = {"switch": {"score_all"}}.get(stem, set())  # the switch's case not taken
    assert {s.id for s in run} == {node.name for node in flow.graph} - skipped  # every other step ran
    for step in run:
        # A caught task finished but did not succeed (as in Metaflow's client).
        assert all(task.successful or task.status == "CAUGHT" for task in step), step


def test_linear(runs: Runs) -> None:
    run = runs["linear"]
    assert run["square"].task.data.squares == [1, 4, 9]
    assert run.data.total == 14
    assert run["end"].task.stdout == "sum of squares: 14\n"


def test_branch_join_reads_each_arm_and_merges_the_rest(runs: Runs) -> None:
    run = runs["branch"]
    assert (run["a"].task.data.x, run["b"].task.data.x) == (11, 12)  # inputs.a.x, inputs.b.x
    join = run["join"].task.data
    assert join.total == 23
    assert join.base == 10  # brought along by merge_artifacts
    assert "x" not in join  # excluded from the merge
    assert run.data.total == 23 and run.data.base == 10


def test_foreach_one_task_per_item_and_the_sum(runs: Runs) -> None:
    run = runs["foreach"]
    tasks = run["double"].tasks()
    assert [t.id for t in tasks] == ["0", "1", "2", "3"]
    assert [t.data.doubled for t in tasks] == [2, 4, 6, 8]
    assert [t.index for t in tasks] == [0, 1, 2, 3]
    assert run["join"].task.data.total == 20 and run.data.total == 20


def test_foreach_in_branch(runs: Runs) -> None:
    run = runs["foreach_in_branch"]
    assert [t.data.cubed for t in run["cube"].tasks()] == [1, 8, 27]
    assert run["gather"].task.data.result == 36
    assert run["plain"].task.data.result == 3
    assert run.data.total == 39


def test_branch_in_foreach(runs: Runs) -> None:
    run = runs["branch_in_foreach"]
    assert [t.data.feature for t in run["length"].tasks()] == [2, 3]
    assert [t.data.feature for t in run["upper"].tasks()] == ["AB", "CDE"]
    assert [t.data.summary for t in run["combine"].tasks()] == ["AB:2", "CDE:3"]
    assert run.data.summaries == ["AB:2", "CDE:3"]


def test_nested_foreach_index_paths_and_results(runs: Runs) -> None:
    run = runs["nested_foreach"]
    fits = run["fit"].tasks()
    assert [t.id for t in fits] == ["0.0", "0.1", "0.2", "1.0", "1.1", "1.2"]
    assert [(t.data.model, t.data.score) for t in fits] == [
        ("tree", 4), ("tree", 8), ("tree", 12), ("forest", 6), ("forest", 12), ("forest", 18)]
    assert [t.data.best for t in run["pick_depth"].tasks()] == [12, 18]
    assert run.data.best == 18


def test_parameters_defaults_including_the_computed_one(runs: Runs) -> None:
    run = runs["parameters"]
    data = run["start"].task.data
    assert (data.who, data.count, data.ratio, data.loud) == ("world", 2, 0.5, False)
    assert data.config == {"sep": ", "}  # a JSON default, parsed
    assert data.greeting == "hello"  # default=default_greeting(context)
    assert run.data.message == "hello world, hello world"
    assert run.data.scaled == 1.0
    assert run["end"].task.stdout == "hello world, hello world\n"


def test_parameters_given_values_of_every_type(runs: Runs) -> None:
    run = runs["parameters_given"]
    assert run.parameters == {"who": "bob", "count": 3, "ratio": 2.0, "loud": True, "config": {"sep": "|"},
                              "greeting": "hi"}
    data = run.data
    assert (data.who, data.count, data.ratio, data.loud, data.config, data.greeting) == (
        "bob", 3, 2.0, True, {"sep": "|"}, "hi")
    assert type(data.count) is int and type(data.ratio) is float
    assert data.message == "HI BOB|HI BOB|HI BOB"
    assert data.scaled == 6.0


def test_mixed_compute_runs_batch_steps_through_the_batch_path(runs: Runs) -> None:
    run = runs["mixed_compute"]
    assert run["summarize"].task.data.total == 90
    assert run.data.mean == 9.0
    routed = {step: info["compute"] for kind, step, _task, info in runs.events["mixed_compute"] if kind == "succeeded"}
    assert routed == {"start": "lambda", "prepare": "batch", "summarize": "lambda", "big_memory": "batch",
                      "end": "lambda"}


def test_train_example(runs: Runs) -> None:
    run = runs["train"]
    assert [t.data.score for t in run["train"].tasks()] == pytest.approx([0.1, 0.2, 0.3])
    assert run.data.best == pytest.approx(0.3)


def test_catch_records_the_exception_and_the_flow_finishes(runs: Runs) -> None:
    run = runs["catch"]
    divide = run["divide"].task
    assert divide.status == "CAUGHT"
    failure = run.data.failure
    assert (failure.type, failure.exception) == ("builtins.ZeroDivisionError", "division by zero")
    assert 'examples/catch.py", line 14, in divide' in failure.stacktrace
    assert "result" not in run.data  # the raise came before it was set
    assert run.data.divisor == 0
    assert not divide.successful and divide.exception is None  # Metaflow: the failure is in the @catch variable
    assert [a.attempt for a in client.get_stores().metadata.list_attempts(
        runs.results["catch"].flow, runs.results["catch"].run_id, "divide", "0")] == [0]  # no extra attempt
    assert run["end"].task.stdout == "caught: builtins.ZeroDivisionError - division by zero\n"


def test_retry_is_the_state_machines_retry(runs: Runs) -> None:
    result, run = runs.results["retry"], runs["retry"]
    assert run.data.attempts == 2
    attempts = client.get_stores().metadata.list_attempts(result.flow, result.run_id, "flaky", "0")
    assert [(a.attempt, a.status) for a in attempts] == [(0, "FAILED"), (1, "SUCCEEDED")]
    assert attempts[0].error["type"] == "ConnectionError"
    assert run["flaky"].task.current_attempt == 1
    # The retry came from the ASL: the engine invoked the task twice (start, flaky x2, end) ...
    assert result.tasks == 4
    assert [(k, s) for k, s, _t, _i in runs.events["retry"] if s == "flaky"] == [
        ("started", "flaky"), ("failed", "flaky"), ("started", "flaky"), ("succeeded", "flaky")]
    # ... because the compiled state has a Retry for it.
    asl = compile_file(str(EXAMPLES / "retry.py")).asl
    retriers = asl["States"]["flaky"]["Retry"]
    assert any(r["ErrorEquals"] == ["States.ALL"] and r["MaxAttempts"] == 2 for r in retriers)


def test_timeout_stops_the_step_and_keeps_earlier_artifacts(runs: Runs) -> None:
    result = runs.results["timeout_sleep_15"]
    assert result.status == "FAILED"
    assert result.error["step"] == "slow_step"
    # Stopped at its 10 s timeout, not waited out (evidence, not a clock): the step's own
    # timeout ended it, and what it would have set after its 15 s sleep was never set.
    assert "ran longer than its @timeout (10 s) and was stopped" in result.error["message"]
    run = runs["timeout_sleep_15"]
    assert run.status == "FAILED"
    assert run["start"].task.data.sleep == 15  # earlier artifacts intact
    slow = run["slow_step"].task
    assert slow.finished and slow.status == "FAILED"  # not left RUNNING after the run ended
    assert "asked" in slow.artifacts and "slept" not in slow.artifacts
    # Interrupted inside the step (as Metaflow's @timeout does), so what it had set is saved.
    assert slow.exception.type == "sfnflow.exception.TimeoutException"
    assert "@timeout (10 s)" in slow.exception.exception
    assert slow.data.asked == 15 and "slept" not in slow.data
