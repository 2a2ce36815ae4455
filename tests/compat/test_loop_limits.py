"""A recursive flow's limits report, and the clear failure when the loop would not fit one
execution's 25,000-event history (Metaflow has no such limit; a Step Functions execution does)."""
from __future__ import annotations

import pytest
from compatrun import FLOWS

from sfn_compiler.asl.limits import HISTORY_BUDGET
from sfn_compiler.compile import compile_file


def _compiled(name: str):
    return compile_file(str(FLOWS / f"{name}.py"))


def test_limits_report_says_how_many_iterations_fit() -> None:
    limits = _compiled("recursive_switch").limits
    (loop,) = limits.loops
    assert loop.head == "loop_step"
    # One loop_step task (5 events) and its Choice (2) per iteration, within the budget.
    assert loop.events_per_iteration == 7
    assert loop.max_iterations * loop.events_per_iteration <= HISTORY_BUDGET
    assert loop.max_iterations > 2_500
    assert f"loop at 'loop_step': up to {loop.max_iterations:,} iterations" in "\n".join(limits.lines())
    assert limits.worst_case_events <= 25_000


def test_loop_inside_a_foreach_is_sized_with_its_body() -> None:
    limits = _compiled("recursive_switch_inside_foreach").limits
    (loop,) = limits.loops
    (foreach,) = limits.foreach
    assert loop.head == "loop_body"
    # every inline item may loop the most times: the whole top level still fits
    assert foreach.inline_max * (loop.max_iterations * loop.events_per_iteration) <= HISTORY_BUDGET


def test_a_loop_in_a_distributed_map_child_gets_the_childs_whole_history() -> None:
    compiled = _compiled("recursive_switch_inside_foreach")
    (loop,) = compiled.limits.loops
    (_step, wider), = loop.distributed
    assert wider > 10 * loop.max_iterations and wider * loop.events_per_iteration <= HISTORY_BUDGET
    inline = compiled.asl["States"]["start.map"]["ItemProcessor"]["States"]["loop_body"]
    child = compiled.asl["States"]["start.map.distributed"]["ItemProcessor"]["States"]["loop_body@start"]
    assert inline["Parameters"]["Payload"]["loop_max"] == {"loop_body": loop.max_iterations}
    assert child["Parameters"]["Payload"]["loop_max"] == {"loop_body": wider}
    assert f"up to {wider:,} when 'start' runs as a Distributed Map" in "\n".join(compiled.limits.lines())


@pytest.mark.slow
def test_a_loop_that_would_not_fit_fails_with_a_clear_error(run_compat) -> None:
    fits = _compiled("recursive_switch").limits.loops[0].max_iterations
    run = run_compat("recursive_switch", max_iterations=fits + 50)
    assert run.status == "FAILED"
    last = run["loop_step"][str(fits - 1)]
    assert last.status == "FAILED"
    assert "would start iteration" in last.exception.exception
    message = str(run.exception)
    assert f"would start iteration {fits + 1:,} of the loop at 'loop_step'" in message, message
    assert "25,000-event history" in message
    # everything before the refused iteration was saved
    assert run["loop_step"][str(fits - 2)].data.count == fits - 1
