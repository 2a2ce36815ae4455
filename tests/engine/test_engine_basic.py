"""The engine runs the compiled examples: linear, Parallel, inline and Distributed Maps, Map in Map."""
from __future__ import annotations

from typing import Any

from player import Script, TaskPlayer, example

START = {"parameters": {}}


def _run(engine: Any, player: TaskPlayer, stem: str, run_id: str, script: Script | None = None) -> tuple[Any, list]:
    player.script(run_id, script)
    events: list[tuple[str, str, str]] = []
    result = engine.run(example(stem), run_id=run_id, execution_input=START,
                        on_event=lambda kind, step, task, **info: events.append((kind, step, task)))
    return result, events


def _succeeded(events: list[tuple[str, str, str]], step: str) -> list[str]:
    return sorted(task for kind, s, task in events if kind == "succeeded" and s == step)


def test_linear_runs_every_task_in_order(engine: Any, player: TaskPlayer) -> None:
    result, events = _run(engine, player, "linear", "lin1")
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.tasks == 3
    assert [step for kind, step, _ in events if kind == "started"] == ["start", "square", "end"]
    assert result.output == {"run": "lin1", "p": "0", "task": {"info": {}}}  # the player returns {}
    assert [(c.step, c.task, c.attempt) for c in player.calls_of("lin1")] == [
        ("start", "0", 0), ("square", "0", 0), ("end", "0", 0)]


def test_parallel_branches_all_run(engine: Any, player: TaskPlayer) -> None:
    result, events = _run(engine, player, "branch", "par1")
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert sorted(step for kind, step, _ in events if kind == "succeeded") == ["a", "b", "end", "join", "start"]


def test_inline_map_gives_each_iteration_its_task_id(engine: Any, player: TaskPlayer) -> None:
    result, events = _run(engine, player, "foreach", "map1", Script(fanout={"start": 7}))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert _succeeded(events, "double") == sorted(str(i) for i in range(7))
    assert result.history.by_type.get("MapIterationStarted") == 7
    assert "MapRunStarted" not in result.history.by_type


def test_distributed_map_reads_its_items_from_the_artifact_store(engine: Any, player: TaskPlayer) -> None:
    result, events = _run(engine, player, "foreach", "dmap1", Script(fanout={"start": 12}, distributed=True))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert _succeeded(events, "double") == sorted(str(i) for i in range(12))
    assert result.history.by_type.get("MapRunStarted") == 1
    assert _succeeded(events, "join") == ["0"]


def test_nested_map_builds_index_paths(engine: Any, player: TaskPlayer) -> None:
    result, events = _run(engine, player, "nested_foreach", "nest1", Script(fanout={"start": 2, "per_model": 3}))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert _succeeded(events, "fit") == ["0.0", "0.1", "0.2", "1.0", "1.1", "1.2"]
    assert _succeeded(events, "pick_depth") == ["0", "1"]
    assert _succeeded(events, "pick_model") == ["0"]


def test_branches_inside_a_foreach(engine: Any, player: TaskPlayer) -> None:
    result, events = _run(engine, player, "branch_in_foreach", "bif1", Script(fanout={"start": 3}))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    for step in ("length", "upper", "combine"):
        assert _succeeded(events, step) == ["0", "1", "2"]
