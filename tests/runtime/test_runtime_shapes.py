"""Every shape of flow, run task by task through run_task; artifacts checked at the end."""
from __future__ import annotations

from runtime.stores import ATTEMPT_SUCCEEDED


def test_linear(make_env, drive, artifact):
    env = make_env("linear")
    run = drive(env).run()
    assert artifact(env, run, "end", "0", "total") == 1002
    assert artifact(env, run, "middle", "0", "x") == 2
    idx = {s: env.artifacts.get_index("LinearFlow", run, s, "0") for s in ("start", "middle", "end")}
    # `big` was never read after start: passed on by reference, one blob.
    assert idx["start"].artifacts["big"] == idx["middle"].artifacts["big"] == idx["end"].artifacts["big"]
    assert env.artifacts.get_log("LinearFlow", run, "start", "0", 0, "stdout") == b"hello from start\n"
    tasks = env.metadata.list_tasks("LinearFlow", run)
    assert [(t.step, t.status) for t in tasks] == [(s, ATTEMPT_SUCCEEDED) for s in ("start", "middle", "end")]


def test_branch_and_merge(make_env, drive, artifact):
    env = make_env("branch")
    run = drive(env).run()
    assert artifact(env, run, "join", "0", "vs") == ["a", "b"]
    assert artifact(env, run, "join", "0", "from_a") == "a"
    assert artifact(env, run, "end", "0", "result") == (["a", "b"], "c", 1)
    assert "v" not in env.artifacts.get_index("BranchFlow", run, "join", "0").artifacts


def test_foreach(make_env, drive, artifact):
    env = make_env("foreach")
    run = drive(env).run(parameters={"n": "4"})
    assert artifact(env, run, "join", "0", "sqs") == [0, 1, 4, 9]
    assert artifact(env, run, "join", "0", "idxs") == [0, 1, 2, 3]
    assert artifact(env, run, "end", "0", "total") == 14
    assert artifact(env, run, "end", "0", "n") == 4  # parameters pass through every step, joins too
    assert env.artifacts.get_index("ForeachFlow", run, "start", "0").meta["foreach_n"] == 4


def test_nested_foreach(make_env, drive, artifact):
    env = make_env("nested_foreach")
    run = drive(env).run()
    assert artifact(env, run, "leaf", "1.2", "pair") == ("b", 3, [1, 2])
    assert artifact(env, run, "outer_join", "0", "all") == [
        ("a", 1, [0, 0]), ("a", 2, [0, 1]), ("a", 3, [0, 2]), ("b", 1, [1, 0]), ("b", 2, [1, 1]), ("b", 3, [1, 2])]


def test_branch_in_foreach(make_env, drive, artifact):
    env = make_env("branch_in_foreach")
    run = drive(env).run()
    assert artifact(env, run, "fjoin", "0", "sums") == [23, 43]
    assert artifact(env, run, "left", "1", "seen") == 20  # self.input inside a branch of a foreach body


def test_foreach_in_branch(make_env, drive, artifact):
    env = make_env("foreach_in_branch")
    run = drive(env).run()
    assert artifact(env, run, "join", "0", "ys") == [10, 20, 30]
    assert artifact(env, run, "join", "0", "p") == "plain"


def test_retry_counts_attempts(make_env, drive, artifact):
    env = make_env("retry")
    driver = drive(env)
    run = driver.run()
    assert artifact(env, run, "flaky", "0", "tries") == 2
    attempts = env.metadata.list_attempts("RetryFlow", run, "flaky", "0")
    assert [a.status for a in attempts] == ["FAILED", "FAILED", "SUCCEEDED"]
    assert "not yet" in env.artifacts.get_log("RetryFlow", run, "flaky", "0", 0, "stderr").decode()


def test_parameters(make_env, drive, artifact):
    env = make_env("parameters")
    run = drive(env).run(parameters={"count": "3"})
    assert artifact(env, run, "start", "0", "seen") == (0.5, 3, {"k": 1}, "lbl-label")
    assert artifact(env, run, "end", "0", "again") == 1.5
    assert env.metadata.get_run("ParametersFlow", run).parameters == {"count": "3"}
