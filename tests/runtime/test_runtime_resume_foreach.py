"""Resume (reuse by reference) and wide foreach results that stay small."""
from __future__ import annotations

import json
import os

import pytest

from runtime.stores import ATTEMPT_REUSED, ATTEMPT_SUCCEEDED, RunRecord
from runtime.task import run_task
from sfn_compiler.contract.envelope import TaskEnvelope, foreach_items_key


def _blob_count(root) -> int:
    return sum(len(files) for _d, _s, files in os.walk(root / "ForeachFlow" / "data"))


def test_resume_reuses_tasks_by_reference(make_env, drive, artifact, store_root):
    env = make_env("foreach")
    origin = drive(env).run(run_id="origin", parameters={"n": 3})
    blobs_before = _blob_count(store_root)
    env.metadata.create_run(RunRecord("ForeachFlow", "again", origin_run_id=origin,
                                      resume_steps=["start", "body"]))
    driver = drive(env, inline_max=100)
    driver.run(run_id="again")
    for step, task in [("start", "0"), ("body", "0"), ("body", "2")]:
        old = env.artifacts.get_index("ForeachFlow", origin, step, task)
        new = env.artifacts.get_index("ForeachFlow", "again", step, task)
        assert new.artifacts == old.artifacts
        assert new.meta["status"] == ATTEMPT_REUSED and new.meta["origin"] == f"ForeachFlow/{origin}/{step}/{task}"
    statuses = {(t.step, t.task_id): t.status for t in env.metadata.list_tasks("ForeachFlow", "again")}
    assert statuses[("start", "0")] == statuses[("body", "1")] == ATTEMPT_REUSED
    assert statuses[("join", "0")] == statuses[("end", "0")] == ATTEMPT_SUCCEEDED
    assert artifact(env, "again", "end", "0", "total") == 5
    assert _blob_count(store_root) == blobs_before  # same values: nothing new written


def test_resume_reruns_a_task_that_never_succeeded(make_env):
    env = make_env("foreach")
    env.metadata.create_run(RunRecord("ForeachFlow", "r2", origin_run_id="missing", resume_steps=["start"]))
    result = run_task(TaskEnvelope(flow="ForeachFlow", step="start", run="r2", task="0", parameters={"n": 2},
                                   inline_max=10), env)
    assert result == {"n": 2, "items": ["0", "1"]}
    assert env.metadata.list_tasks("ForeachFlow", "r2")[0].status == ATTEMPT_SUCCEEDED


def test_reused_foreach_returns_the_same_result(make_env):
    env = make_env("foreach")
    first = run_task(TaskEnvelope(flow="ForeachFlow", step="start", run="o", task="0", parameters={"n": 150},
                                  inline_max=100), env)
    env.metadata.create_run(RunRecord("ForeachFlow", "o2", origin_run_id="o", resume_steps=["start"]))
    again = run_task(TaskEnvelope(flow="ForeachFlow", step="start", run="o2", task="0", parameters={"n": 150},
                                  inline_max=100), env)
    assert first == again == {"n": 150, "items": None}
    assert env.artifacts.get_json(foreach_items_key("ForeachFlow", "o2", "start", "0"))[-1] == "149"


def test_wide_foreach_result_stays_small(make_env):
    env = make_env("foreach")
    result = run_task(TaskEnvelope(flow="ForeachFlow", step="start", run="w", task="0", parameters={"n": 2000},
                                   inline_max=100), env)
    assert result == {"n": 2000, "items": None}
    assert len(json.dumps(result)) < 64
    items = env.artifacts.get_json(foreach_items_key("ForeachFlow", "w", "start", "0"))
    assert items == [str(i) for i in range(2000)]
    narrow = run_task(TaskEnvelope(flow="ForeachFlow", step="start", run="w2", task="0", parameters={"n": 100},
                                   inline_max=100), env)
    assert narrow["items"] == [str(i) for i in range(100)]


def test_nested_foreach_child_ids(make_env):
    env = make_env("nested_foreach")
    run_task(TaskEnvelope(flow="NestedForeachFlow", step="start", run="c", task="0", inline_max=10), env)
    result = run_task(TaskEnvelope(flow="NestedForeachFlow", step="mid", run="c", task="0", inline_max=10), env)
    assert result == {"n": 3, "items": ["0.0", "0.1", "0.2"]}  # task "0" of a body is not the top level


@pytest.mark.slow
def test_two_thousand_way_foreach_runs_end_to_end(make_env, drive, artifact):
    env = make_env("foreach")
    run = drive(env, inline_max=100).run(parameters={"n": 2000})
    assert artifact(env, run, "end", "0", "total") == sum(i * i for i in range(2000))
