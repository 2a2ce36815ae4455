"""Retry, Catch, error names, TimeoutSeconds killing a worker, crashes, Batch routing: on the
compiled examples, with what the steps do set by the player's Script."""
from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from player import Script, TaskPlayer, edited, example

START = {"parameters": {}}


def _run(engine: Any, player: TaskPlayer, flow: Any, run_id: str, script: Script | None = None,
         events: list | None = None) -> Any:
    player.script(run_id, script)
    record = events.append if events is not None else None
    return engine.run(flow, run_id=run_id, execution_input=START,
                      on_event=(lambda kind, step, task, **info: record((kind, step, task, info))) if record else None)


def test_user_error_name_reaches_the_execution(engine: Any, player: TaskPlayer) -> None:
    events: list = []
    result = _run(engine, player, example("linear"), "err1", Script(fail={"square": -1}), events)
    assert result.status == "FAILED"
    # The run-status Fail re-raises the step's own error, class name and message.
    assert result.error == "UserCodeError"
    assert "square failed on purpose (attempt 0)" in (result.cause or "")
    failed = [info for kind, _, _, info in events if kind == "failed"]
    assert [f["error"] for f in failed] == ["UserCodeError"] and result.task_failures == 1
    assert any(e["type"] == "TaskFailed" for e in result.history.kept)
    assert not any(step == "end" for _, step, _, _ in events)


def test_retry_runs_a_second_attempt_at_once(engine: Any, player: TaskPlayer) -> None:
    # An hour between attempts: fast_retries must skip it (a guard stops the run if it doesn't).
    flow = example("retry")
    retriers = [dict(r, IntervalSeconds=3600) if r["ErrorEquals"] == ["States.ALL"] else r
                for r in flow.asl["States"]["flaky"]["Retry"]]
    guard = threading.Timer(120, engine.stop)
    guard.start()
    try:
        result = _run(engine, player, edited(flow, "flaky", Retry=retriers), "retry1", Script(fail={"flaky": 1}))
    finally:
        guard.cancel()
    assert not result.interrupted, "the retry waited its interval: fast_retries did not apply"
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    # $$.State.RetryCount reaches the envelope.
    assert [c.attempt for c in player.calls_of("retry1") if c.step == "flaky"] == [0, 1]


def test_catch_hands_the_error_and_cause_to_the_catch_task(engine: Any, player: TaskPlayer) -> None:
    result = _run(engine, player, example("catch"), "catch1", Script(fail={"divide": -1}))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    calls = player.calls_of("catch1")
    caught = [c for c in calls if c.mode == "catch"]
    assert [(c.step, c.task) for c in caught] == [("divide", "0")]
    assert caught[0].error is not None and caught[0].error["Error"] == "UserCodeError"
    assert "divide failed on purpose" in caught[0].error["Cause"]
    assert [c.step for c in calls if c.mode == "step"][-1] == "end"
    assert result.output == {"run": "catch1", "p": "0", "task": {"info": {}}}  # the player returns {}


def test_timeout_kills_the_sleeping_worker_and_keeps_capacity(engine: Any, player: TaskPlayer) -> None:
    flow = edited(example("timeout"), "slow_step", TimeoutSeconds=1)
    spawned = engine.pool.spawned
    result = _run(engine, player, flow, "tmo1", Script(sleep=["slow_step"]))
    assert result.status == "FAILED" and result.error == "States.Timeout", (result.error, result.cause)
    # Its worker (asleep for an hour) was killed and replaced, by the abandoned task's thread
    # just after the run ended: wait for that, then every worker is alive and answers.
    assert engine.pool.wait_spawned(spawned + 1, timeout=30), "the timed-out task's worker was not replaced"
    assert all(_alive(pid) for pid in engine.pool.pids())
    again = _run(engine, player, example("branch"), "tmo2")
    assert again.status == "SUCCEEDED", (again.error, again.cause)


def test_crashed_worker_is_a_platform_error_and_is_replaced(engine: Any, player: TaskPlayer) -> None:
    spawned = engine.pool.spawned
    result = _run(engine, player, example("linear"), "crash1", Script(crash=["square"]))
    assert result.status == "FAILED"
    assert result.error == "PlatformError"
    assert engine.pool.wait_spawned(spawned + 1, timeout=30), "the crashed worker was not replaced"


def test_batch_steps_are_routed_to_a_worker(engine: Any, player: TaskPlayer) -> None:
    events: list = []
    result = _run(engine, player, example("mixed_compute"), "batch1", events=events)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert [f"{step}:{info['compute']}" for kind, step, _, info in events if kind == "succeeded"] == [
        "start:lambda", "prepare:batch", "summarize:lambda", "big_memory:batch", "end:lambda"]


def test_failed_batch_job_fails_with_states_task_failed(engine: Any, player: TaskPlayer) -> None:
    result = _run(engine, player, example("mixed_compute"), "batch2", Script(fail={"prepare": -1}))
    assert result.status == "FAILED"
    assert result.error == "States.TaskFailed"  # what AWS reports for a failed .sync job
    assert "UserCodeError: prepare failed on purpose" in (result.cause or "")


def test_a_placeholder_the_model_does_not_describe_is_a_clear_error(engine: Any) -> None:
    text = '{"StartAt": "x", "States": {"x": {"Type": "Pass", "Result": "${Mystery}", "End": true}}}'
    with pytest.raises(ValueError, match=r"\$\{Mystery\}"):
        engine.fill_placeholders(text, example("linear").model)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
