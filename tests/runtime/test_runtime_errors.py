"""User errors vs platform errors, catch mode, and the clear messages users see."""
from __future__ import annotations

import json
import os

import pytest

from runtime.errors import PlatformError, UserCodeError
from sfnflow.exception import MetaflowExceptionWrapper
from runtime.stores import ATTEMPT_CAUGHT, ATTEMPT_FAILED
from runtime.task import run_task
from sfn_compiler.contract import envelope as contract
from sfn_compiler.contract.envelope import MODE_CATCH, TaskEnvelope

FAILING = """
    class FailingFlow(FlowSpec):
        @step
        def start(self):
            self.items = []
            self.next(self.middle)

        @step
        def middle(self):
            helper(self.items)
            self.next(self.end)

        @step
        def end(self):
            pass

    def helper(items):
        return items[3]
"""


def test_error_class_names_are_the_contract():
    # Lambda reports the exception class name as the error name Retry/Catch match on.
    assert UserCodeError.__name__ == contract.USER_CODE_ERROR
    assert PlatformError.__name__ == contract.PLATFORM_ERROR


def test_user_error_keeps_only_user_frames(make_env):
    env = make_env("failing", FAILING)
    run_task(TaskEnvelope(flow="FailingFlow", step="start", run="r1", task="0"), env)
    with pytest.raises(UserCodeError) as info:
        run_task(TaskEnvelope(flow="FailingFlow", step="middle", run="r1", task="0", attempt=0), env)
    message = str(info.value)
    assert "IndexError" in message and "list index out of range" in message and "step 'middle'" in message
    assert env.flow_file in message  # where: the user's file:line
    (attempt,) = env.metadata.list_attempts("FailingFlow", "r1", "middle", "0")
    assert attempt.status == ATTEMPT_FAILED and attempt.error["type"] == "IndexError"
    trace = attempt.error["traceback"]
    assert "helper(self.items)" in trace and "return items[3]" in trace
    assert "runtime/" not in trace and "sfn_compiler" not in trace
    assert trace in env.artifacts.get_log("FailingFlow", "r1", "middle", "0", 0, "stderr").decode()
    assert env.artifacts.get_index("FailingFlow", "r1", "middle", "0") is None  # no index on failure


def test_missing_parent_is_a_platform_error(make_env):
    env = make_env("failing", FAILING)
    with pytest.raises(PlatformError, match="has no index"):
        run_task(TaskEnvelope(flow="FailingFlow", step="middle", run="r2", task="0"), env)


def test_wrong_flow_name_is_a_platform_error(make_env):
    env = make_env("failing", FAILING)
    with pytest.raises(PlatformError, match="redeploy"):
        run_task(TaskEnvelope(flow="OtherFlow", step="start", run="r3", task="0"), env)


def test_empty_foreach_is_a_user_error(make_env):
    env = make_env("foreach")
    with pytest.raises(UserCodeError, match="self.items is empty"):
        run_task(TaskEnvelope(flow="ForeachFlow", step="start", run="r4", task="0", parameters={"n": 0}), env)


def test_bad_parameters_are_user_errors(make_env):
    env = make_env("parameters")
    with pytest.raises(UserCodeError, match="parameter 'count' is required"):
        run_task(TaskEnvelope(flow="ParametersFlow", step="start", run="r5", task="0", parameters={}), env)
    with pytest.raises(UserCodeError, match="parameter 'alpha': 'fast' is not a valid float"):
        run_task(TaskEnvelope(flow="ParametersFlow", step="start", run="r6", task="0",
                              parameters={"count": 1, "alpha": "fast"}), env)
    with pytest.raises(UserCodeError, match="no parameter 'beta'"):
        run_task(TaskEnvelope(flow="ParametersFlow", step="start", run="r7", task="0",
                              parameters={"count": 1, "beta": 2}), env)


def test_merge_conflict_names_artifact_and_steps(make_env, drive):
    source = """
        class MergeFlow(FlowSpec):
            @step
            def start(self):
                self.next(self.a, self.b)

            @step
            def a(self):
                self.v = 1
                self.next(self.join)

            @step
            def b(self):
                self.v = 2
                self.next(self.join)

            @step
            def join(self, inputs):
                self.merge_artifacts(inputs)
                self.next(self.end)

            @step
            def end(self):
                pass
    """
    env = make_env("merge", source)
    with pytest.raises(UserCodeError) as info:
        drive(env).run(run_id="m1")
    assert "'v' differs between MergeFlow/m1/a/0, MergeFlow/m1/b/0" in str(info.value)


def test_unpicklable_artifact_is_a_user_error(make_env):
    source = """
        import threading

        class LockFlow(FlowSpec):
            @step
            def start(self):
                self.lock = threading.Lock()
                self.next(self.end)

            @step
            def end(self):
                pass
    """
    env = make_env("lock", source)
    with pytest.raises(UserCodeError, match="artifact 'lock' \\(lock\\) cannot be serialised"):
        run_task(TaskEnvelope(flow="LockFlow", step="start", run="r8", task="0"), env)


def test_catch_passes_parent_artifacts_and_records_failure(make_env, drive, artifact):
    env = make_env("catch")
    run = drive(env).run()
    caught = artifact(env, run, "boom", "0", "failure")
    assert isinstance(caught, MetaflowExceptionWrapper)  # Metaflow's: module.Class, the message, the traceback
    assert (caught.type, caught.exception) == ("builtins.ValueError", "bad input 42")
    assert 'raise ValueError("bad input 42")' in caught.stacktrace
    index = env.artifacts.get_index("CatchFlow", run, "boom", "0")
    assert artifact(env, run, "boom", "0", "partial") == 1  # set before the raise: kept, as Metaflow keeps it
    assert index.artifacts["keep"] == env.artifacts.get_index("CatchFlow", run, "start", "0").artifacts["keep"]
    assert artifact(env, run, "end", "0", "got") == ("kept", "builtins.ValueError", "bad input 42")
    attempts = env.metadata.list_attempts("CatchFlow", run, "boom", "0")
    assert [(a.attempt, a.status) for a in attempts] == [(0, ATTEMPT_CAUGHT)]  # the catch counts no extra attempt
    assert env.metadata.list_tasks("CatchFlow", run, "boom")[0].status == ATTEMPT_CAUGHT


def test_catch_from_step_functions_error_alone(make_env):
    # A timeout: no failed attempt record of ours, only Step Functions' error.
    env = make_env("catch")
    run_task(TaskEnvelope(flow="CatchFlow", step="start", run="t1", task="0"), env)
    error = {"Error": "States.Timeout", "Cause": "Task timed out after 10 seconds"}
    assert run_task(TaskEnvelope(flow="CatchFlow", step="boom", run="t1", task="0", mode=MODE_CATCH,
                                 error=error), env) == {}
    index = env.artifacts.get_index("CatchFlow", "t1", "boom", "0")
    caught = env.artifacts.load("CatchFlow", index.artifacts["failure"])
    assert (caught.type, caught.message) == ("States.Timeout", "Task timed out after 10 seconds")
    lambda_cause = json.dumps({"errorType": "UserCodeError", "errorMessage": "step 'boom' failed: X"})
    run_task(TaskEnvelope(flow="CatchFlow", step="start", run="t2", task="0"), env)
    run_task(TaskEnvelope(flow="CatchFlow", step="boom", run="t2", task="0", mode=MODE_CATCH,
                          error={"Error": "UserCodeError", "Cause": lambda_cause}), env)
    caught = env.artifacts.load("CatchFlow", env.artifacts.get_index("CatchFlow", "t2", "boom", "0").artifacts["failure"])
    assert (caught.type, caught.message) == ("UserCodeError", "step 'boom' failed: X")


def test_next_mismatch_is_a_user_error(make_env):
    source = """
        class SneakyFlow(FlowSpec):
            @step
            def start(self):
                self.target = self.end
                self.next(self.end)

            @step
            def end(self):
                pass
    """
    env = make_env("sneaky", source)
    ctx_flow = env.cache.get(env.flow_file).cls
    original = ctx_flow.start
    # Call next twice at run time: the graph (read from source) says once.
    def twice(self):
        self.next(self.end)
        original(self)
    ctx_flow.start = twice
    ctx_flow.start.is_step = True
    with pytest.raises(UserCodeError, match="called self.next\\(\\) 2 times"):
        run_task(TaskEnvelope(flow="SneakyFlow", step="start", run="n1", task="0"), env)


def test_caught_start_step_still_passes_parameters_on(make_env, drive, artifact):
    source = """
        class StartCatchFlow(FlowSpec):
            size = Parameter("size", default=2)

            @catch(var="err")
            @step
            def start(self):
                raise OSError("disk on fire")
                self.next(self.end)

            @step
            def end(self):
                self.out = (self.size, self.err.type, self.err.exception)
    """
    env = make_env("startcatch", source)
    run = drive(env).run(parameters={"size": "5"})
    assert artifact(env, run, "end", "0", "out") == (5, "builtins.OSError", "disk on fire")
    stderr = env.artifacts.get_log("StartCatchFlow", run, "start", "0", 0, "stderr").decode()
    assert "failed and was caught: OSError: disk on fire" in stderr


def test_lost_blob_is_a_platform_error_and_sys_exit_a_user_error(make_env, store_root):
    source = """
        import sys

        class LostFlow(FlowSpec):
            @step
            def start(self):
                self.value = "precious"
                self.next(self.end)

            @step
            def end(self):
                if self.value == "exit":
                    sys.exit(3)
    """
    env = make_env("lost", source)
    run_task(TaskEnvelope(flow="LostFlow", step="start", run="l", task="0"), env)
    sha = env.artifacts.get_index("LostFlow", "l", "start", "0").artifacts["value"]
    os.remove(env.artifacts.blobs.path(env.artifacts.data_key("LostFlow", sha)))
    with pytest.raises(PlatformError, match="artifact 'value' .* cannot be read"):
        run_task(TaskEnvelope(flow="LostFlow", step="end", run="l", task="0"), env)
    env.artifacts.save("LostFlow", {"value": "exit"})
    env.artifacts.put_index("LostFlow", "l2", "start", "0", env.artifacts.save("LostFlow", {"value": "exit"}))
    with pytest.raises(UserCodeError, match="SystemExit: 3"):
        run_task(TaskEnvelope(flow="LostFlow", step="end", run="l2", task="0"), env)
