"""Conditional transitions and recursive steps, as Metaflow 2.19 runs them.

Expected values: Metaflow 2.19.39 run here on the same flows
(`python tests/compat/metaflow_reference.py <flow> [--param v]`, 2026-12-01). Steps
and task counts are Metaflow's `Run` listing; artifacts are the end task's.

One deliberate difference: a foreach join whose body switches lists its inputs in
foreach-index order; Metaflow groups them by the step they come from
(['A0', 'A2', 'B1', 'B3', 'B4']). Index order is what a foreach join gives everywhere else.
"""
from __future__ import annotations

import pytest
from compatrun import end_data, task_counts



def test_switch_basic_runs_only_the_chosen_case(run_compat) -> None:
    run = run_compat("switch_basic")
    assert run.successful
    assert task_counts(run) == {"start": 1, "switch_step": 1, "b": 1, "end": 1}
    assert end_data(run, "path", "condition") == {"path": "b", "condition": "case2"}


def test_switch_in_branch_joins_the_case_that_ran(run_compat) -> None:
    run = run_compat("switch_in_branch")
    assert task_counts(run) == {"start": 1, "a": 1, "b": 1, "c": 1, "join": 1, "end": 1}
    assert end_data(run, "final_data", "n_inputs") == {"final_data": ["from_a_c", "from_b"], "n_inputs": 2}


def test_switch_in_foreach_each_item_takes_its_case(run_compat) -> None:
    run = run_compat("switch_in_foreach")
    assert task_counts(run) == {"start": 1, "process_item": 5, "handle_a": 2, "handle_b": 3, "join": 1, "end": 1}
    assert sorted(end_data(run, "results")["results"]) == ["A0", "A2", "B1", "B3", "B4"]
    assert end_data(run, "results")["results"] == ["A0", "B1", "A2", "B3", "B4"]  # index order (see above)
    assert sorted(t.id for t in run["handle_a"]) == ["0", "2"]  # task ids stay the item's position


@pytest.mark.parametrize("mode, counts, outcome", [
    ("process", {"start": 1, "process_items": 1, "do_work": 2, "join_work": 1, "end": 1},
     ["Processed item_1", "Processed item_2"]),
    ("skip", {"start": 1, "skip_processing": 1, "end": 1}, ["skipped"]),
])
def test_foreach_in_switch(run_compat, mode, counts, outcome) -> None:
    run = run_compat("foreach_in_switch", mode=mode)
    assert task_counts(run) == counts
    assert end_data(run, "outcome", "mode") == {"outcome": outcome, "mode": mode}


@pytest.mark.parametrize("mode, counts, outcome", [
    ("process", {"start": 1, "process_branch": 1, "p1": 1, "p2": 1, "process_join": 1, "end": 1}, 3),
    ("skip", {"start": 1, "skip_path": 1, "end": 1}, 0),
])
def test_branch_in_switch(run_compat, mode, counts, outcome) -> None:
    run = run_compat("branch_in_switch", mode=mode)
    assert task_counts(run) == counts
    assert end_data(run, "outcome")["outcome"] == outcome


def test_nested_switches(run_compat) -> None:
    run = run_compat("switch_nested")
    assert task_counts(run) == {"start": 1, "switch2": 1, "d": 1, "end": 1}
    assert end_data(run, "path", "condition1", "condition2") == {"path": "d", "condition1": "case1",
                                                                "condition2": "case2_2"}


def test_recursive_switch_loops_until_the_case_exits(run_compat) -> None:
    run = run_compat("recursive_switch")
    assert task_counts(run) == {"start": 1, "loop_step": 10, "exit_loop": 1, "end": 1}
    assert end_data(run, "count", "loop_status", "max_iterations") == {"count": 10, "loop_status": "exit",
                                                                       "max_iterations": 10}
    # sfnflow's task ids are positions: the loop's iteration numbers.
    assert sorted(int(t.id) for t in run["loop_step"]) == list(range(10))
    assert run["loop_step"]["3"].data.count == 4


def test_recursive_switch_inside_foreach(run_compat) -> None:
    run = run_compat("recursive_switch_inside_foreach")
    assert task_counts(run) == {"start": 1, "start_loop_for_item": 3, "loop_body": 10, "exit_item_loop": 3,
                                "join": 1, "end": 1}
    assert end_data(run, "results")["results"] == [
        "Item A finished after 3 iterations.", "Item B finished after 5 iterations.",
        "Item C finished after 2 iterations."]
    # item 1 (B) looped 5 times: task ids 1.0 .. 1.4
    assert sorted(t.id for t in run["loop_body"] if t.id.startswith("1.")) == [f"1.{i}" for i in range(5)]


# Loops of several steps: Metaflow 2.19.39 refuses these ("There is a loop in your flow:
# round_start->work->gather->decide->round_start"); it loops only a switch that goes back to
# itself. sfnflow runs any loop whose one entry is its first step; the values are what the
# flows compute by hand.
def test_a_foreach_inside_a_loop(run_compat) -> None:
    run = run_compat("foreach_in_loop")
    assert run.data.totals == [10, 30, 60] and run.data.rounds == 3
    # ids: <round>.<item>
    assert sorted(t.id for t in run["work"]) == ["0.0", "0.1", "1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3"]


def test_nested_loops(run_compat) -> None:
    run = run_compat("nested_loops")
    assert run.data.log == [(0, 1), (0, 2), (1, 1), (1, 2), (2, 1), (2, 2)]
    assert sorted(t.id for t in run["inner_step"]) == ["0.0", "0.1", "1.0", "1.1", "2.0", "2.1"]
