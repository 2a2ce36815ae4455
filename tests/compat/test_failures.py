"""What a failing step leaves behind, as Metaflow 2.19 leaves it.

Expected values: Metaflow 2.19.39 run here on the same flows
(`python tests/compat/metaflow_reference.py <flow>`, 2026-12-01), read through its client:
task.successful, task.current_attempt, task.exception (.type, .exception) and artifacts.
"""
from __future__ import annotations

import pytest

from sfnflow.exception import MetaflowExceptionWrapper



def test_a_failed_task_keeps_what_it_set_and_its_exception(run_compat) -> None:
    run = run_compat("failure_artifacts")
    assert not run.successful
    fail = run["fail"].task
    # Metaflow: successful False, attempt 0, data before=1 partial=2, exception builtins.ValueError 'boom-42'
    assert (fail.successful, fail.current_attempt) == (False, 0)
    assert (fail.data.before, fail.data.partial) == (1, 2)
    assert isinstance(fail.exception, MetaflowExceptionWrapper)
    assert (fail.exception.type, fail.exception.exception) == ("builtins.ValueError", "boom-42")
    assert 'raise ValueError("boom-42")' in fail.exception.stacktrace
    assert run["start"].task.exception is None


def test_retry_then_catch_counts_attempts_and_keeps_artifacts(run_compat) -> None:
    run = run_compat("catch_retry")
    # Metaflow: start attempt 3 successful, test_attempt 3, no 'invisible' (failed attempts' artifacts stay theirs)
    start = run["start"].task
    assert (start.successful, start.current_attempt, start.data.test_attempt) == (True, 3, 3)
    assert "invisible" not in start.data
    # Metaflow: middle attempt 2 (the catch counts no extra attempt), successful False, exception None,
    # retry_with_catch 2, ex.type '<flow module>.TestRetry', ex.exception 'soft death'
    middle = run["middle"].task
    assert (middle.successful, middle.current_attempt, middle.exception) == (False, 2, None)
    assert middle.data.retry_with_catch == 2
    assert middle.data.ex.type.endswith(".TestRetry") and middle.data.ex.exception == "soft death"
    # Metaflow: end caught -> end successful False, Run.successful False; end_ex.exception 'catch me!'
    end = run["end"].task
    assert (end.successful, end.data.here, end.data.retry_with_catch, end.data.test_attempt) == (False, True, 2, 3)
    assert end.data.end_ex.exception == "catch me!"
    assert end.data.end_ex.type == "sfnflow.exception.ExternalCommandFailed"  # Metaflow: metaflow.exception.…
    assert not run.successful and run.status == "SUCCEEDED"


def test_timeout_under_catch_keeps_what_was_set_before(run_compat) -> None:
    run = run_compat("timeout_catch")
    assert run.successful
    slow = run["slow"].task
    # Metaflow: slow successful False, before_sleep 'set', no after_sleep; end.kind is the timeout's type
    assert not slow.successful and slow.data.before_sleep == "set" and "after_sleep" not in slow.data
    assert run.data.saw == "set"
    assert run.data.kind == "sfnflow.exception.TimeoutException"  # Metaflow: metaflow.plugins.timeout_decorator.…
    assert "@timeout (1 s)" in run.data.timed_out.exception


def test_merge_artifacts_raises_metaflows_exceptions(run_compat) -> None:
    run = run_compat("merge_errors")
    # Metaflow: [('conflict', ['x']), ('missing', ['nope']), ('both', 'MetaflowException')], merged_same False
    assert run.data.outcomes == [("conflict", ["x"]), ("missing", ["nope"]), ("both", "MetaflowException")]
    assert run.data.merged_same is False and run.data.same == 1
