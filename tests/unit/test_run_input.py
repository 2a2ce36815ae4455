"""read_run_input: every input a deployed state machine may be started with -> parameters and origin."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from runtime.run_input import RunInputError, event_matches, read_run_input
from sfn_compiler.compile import check_file
from sfn_compiler.run_contract import execution_input, schedule_input

FLOW = '''
from sfnflow import FlowSpec, Parameter, s3_object_created, step, trigger, trigger_on_finish

@trigger(events=[{"name": "ready", "parameters": {"day": "date", "size": "$.detail.meta.size"}},
                 s3_object_created("raw", prefix="in/", parameters={"key": "object.key"})])
@trigger_on_finish(flow="Upstream_Flow", parameters={"key": "name"})
class InputFlow(FlowSpec):
    day = Parameter("day", default="today")
    size = Parameter("size", default=1)
    key = Parameter("key", default="none")

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
'''


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory):
    path = Path(tmp_path_factory.mktemp("flows")) / "input_flow.py"
    path.write_text(textwrap.dedent(FLOW))
    graph, problems = check_file(str(path))
    assert problems == []
    return graph


def test_the_shapes_people_start_executions_with(graph) -> None:
    assert read_run_input({}, graph).parameters == {}
    console = read_run_input({"Comment": "Insert your JSON here"}, graph)
    assert console.parameters == {} and console.trigger == "console"
    assert read_run_input({"day": "mon"}, graph).parameters == {"day": "mon"}
    wrapped = read_run_input(execution_input({"size": 3}, trigger="cli", tags=["a"], origin_run_id="r0",
                                             resume_steps=["start"]), graph)
    assert (wrapped.parameters, wrapped.trigger, wrapped.tags, wrapped.origin_run_id, wrapped.resume_steps) == (
        {"size": 3}, "cli", ("a",), "r0", ("start",))
    scheduled = read_run_input(schedule_input(graph.parameters), graph)
    assert scheduled.trigger == "schedule" and scheduled.parameters == {"day": "today", "size": 1, "key": "none"}


def test_events_map_their_fields_through_the_trigger_they_match(graph) -> None:
    ready = {"detail-type": "ready", "source": "app", "detail": {"date": "2026-12-01", "meta": {"size": 7}}}
    got = read_run_input(ready, graph)
    assert (got.trigger, got.parameters) == ("event:ready", {"day": "2026-12-01", "size": 7})
    s3 = {"detail-type": "Object Created", "source": "aws.s3",
          "detail": {"bucket": {"name": "raw"}, "object": {"key": "in/a.csv"}}}
    assert read_run_input(s3, graph).parameters == {"key": "in/a.csv"}
    finished = {"detail-type": "Step Functions Execution Status Change", "source": "aws.states",
                "detail": {"stateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:Upstream-Flow", "name": "u-1"}}
    got = read_run_input(finished, graph)
    assert (got.trigger, got.parameters) == ("finish:Upstream_Flow", {"key": "u-1"})
    missing = {"detail-type": "ready", "source": "app", "detail": {}}
    assert read_run_input(missing, graph).parameters == {}  # absent fields leave the defaults
    other = {"detail-type": "something else", "source": "x", "detail": {"date": "x"}}
    assert read_run_input(other, graph).parameters == {} and read_run_input(other, graph).event == other


def test_unreadable_inputs_say_why(graph) -> None:
    with pytest.raises(RunInputError, match="must be a JSON object, not list"):
        read_run_input([1], graph)
    with pytest.raises(RunInputError, match="has 'day' next to 'parameters'"):
        read_run_input({"parameters": {}, "day": "x"}, graph)
    with pytest.raises(RunInputError, match="'sfnflow.tags' must be a list of strings"):
        read_run_input({"parameters": {}, "sfnflow": {"tags": "a"}}, graph)


def test_pattern_matching_operators() -> None:
    event = {"source": "aws.s3", "detail": {"object": {"key": "in/x.csv"}, "n": 3}}
    assert event_matches({"source": ["aws.s3"], "detail": {"object": {"key": [{"prefix": "in/"}]}}}, event)
    assert event_matches({"detail": {"object": {"key": [{"suffix": ".csv"}]}}}, event)
    assert event_matches({"detail": {"object": {"key": [{"wildcard": "in/*.csv"}]}}}, event)
    assert event_matches({"detail": {"n": [3], "gone": [{"exists": False}]}}, event)
    assert not event_matches({"detail": {"object": {"key": [{"prefix": "out/"}]}}}, event)
    assert not event_matches({"source": ["aws.ec2"]}, event)


def test_who_started_the_run_travels_in_the_input(graph) -> None:
    """A deployed run is tagged user:<who triggered it>, not the task machine's user."""
    assert read_run_input(execution_input({}, trigger="cli", user="alice"), graph).user == "alice"
    assert read_run_input(execution_input({}, trigger="cli"), graph).user is None
    with pytest.raises(RunInputError, match="sfnflow.user' must be a user name"):
        read_run_input({"parameters": {}, "sfnflow": {"user": 3}}, graph)
