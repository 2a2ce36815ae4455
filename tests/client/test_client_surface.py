"""The client surface a Metaflow user has (Metaflow 2.19's, as observed in
shared/research/metaflow_behaviour.md and its client docs), on a local run."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfnflow import Flow, Metaflow, Run, client, get_metadata, namespace
from sfnflow.cli import main
from sfnflow.exception import MetaflowNamespaceMismatch, MetaflowNotFound, MetaflowTaggingError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("client") / "store"
    mp = pytest.MonkeyPatch()
    mp.setenv("SFNFLOW_USER", "alice")
    done = CliRunner().invoke(main, ["run", str(EXAMPLES / "foreach.py"), "--root", str(root), "--tag", "nightly"])
    mp.undo()
    assert done.exit_code == 0, done.output
    return root


@pytest.fixture
def run(store: Path):
    """The run, read as alice (the suite resets the client's store and namespace after each test)."""
    client.set_root(str(store))
    namespace("user:alice")
    return Flow("ForeachFlow").latest_run


def test_metaflow_lists_flows_and_get_metadata_names_the_store(run) -> None:
    assert [f.id for f in Metaflow().flows] == ["ForeachFlow"]
    assert get_metadata().startswith("local@") and get_metadata().endswith("store")


def test_missing_objects_raise_metaflow_not_found_and_key_error(run) -> None:
    with pytest.raises(MetaflowNotFound):
        Flow("Nope")
    with pytest.raises(KeyError):
        Flow("ForeachFlow")["no-such-run"]
    with pytest.raises(KeyError):
        run["no_such_step"]


def test_tags_split_into_user_and_system_and_user_tags_change_after_the_run(run) -> None:
    assert run.user_tags == {"nightly"}
    assert {"user:alice", "runtime:dev"} <= run.system_tags
    assert any(t.startswith("python_version:") for t in run.system_tags)
    assert run.tags == run.user_tags | run.system_tags
    run.add_tag("good")
    run.replace_tag("nightly", "weekly")
    run.remove_tag("good")
    assert Run(run.pathspec).user_tags == {"weekly"}
    assert Flow("ForeachFlow").runs("weekly")[0].id == run.id
    with pytest.raises(MetaflowTaggingError):
        run.remove_tag("user:alice")


def test_namespaces_default_to_the_user_and_none_shows_everyone(run) -> None:
    namespace("user:bob")
    try:
        assert Flow("ForeachFlow").runs() == []
        with pytest.raises(MetaflowNamespaceMismatch):
            Run(run.pathspec)
        namespace(None)
        assert [r.id for r in Flow("ForeachFlow").runs()] == [run.id]
    finally:
        namespace("user:alice")


def test_timestamps_are_naive_datetimes_and_steps_have_them(run) -> None:
    for value in (run.created_at, run.finished_at, run["double"].created_at, run["double"].finished_at):
        assert isinstance(value, dt.datetime) and value.tzinfo is None
    assert run.created_at <= run["start"].created_at <= run["end"].finished_at <= run.finished_at


def test_iteration_order_is_metaflows_newest_first(run) -> None:
    assert [s.id for s in run][0] == "end" and [s.id for s in run][-1] == "start"
    assert [t.id for t in run["double"]] == ["3", "2", "1", "0"]
    assert [t.id for t in run["double"].tasks()] == ["0", "1", "2", "3"]


def test_parents_code_and_end_task(run) -> None:
    task = run["double"]["2"]
    assert task.parent.id == "double" and task.parent.parent.id == run.id and run.parent.id == "ForeachFlow"
    assert "class ForeachFlow" in run.code.flowspec and run.code.path.endswith("foreach.py")
    assert run.end_task.pathspec == f"ForeachFlow/{run.id}/end/0"
    assert run.origin_pathspec is None and task.origin_pathspec is None


def test_task_metadata_artifacts_and_loglines(run) -> None:
    task = run["double"]["1"]
    facts = task.metadata_dict
    assert facts["attempt"] == 0 and facts["runtime"] == task.runtime_name == "local"
    assert {m.name for m in task.metadata} == set(facts)
    assert task["doubled"].data == 4 and "doubled" in task
    assert {a.id for a in task} == {"doubled", "values"}
    end = run["end"].task
    assert [line for _, line in end.loglines()] == end.stdout.splitlines()
    assert task.environment_info["runtime"] == "local"


def test_run_data_of_a_run_without_an_end_is_none(tmp_path: Path, run) -> None:
    flow = tmp_path / "broken_for_client.py"
    flow.write_text("from sfnflow import FlowSpec, step\n\n\nclass BrokenForClient(FlowSpec):\n"
                    "    @step\n    def start(self):\n        raise ValueError('no')\n        self.next(self.end)\n\n"
                    "    @step\n    def end(self):\n        pass\n")
    done = CliRunner().invoke(main, ["run", str(flow), "--root", client.get_stores().root])
    assert done.exit_code != 0
    failed = Flow("BrokenForClient").latest_run
    assert failed.successful is False and failed.data is None
