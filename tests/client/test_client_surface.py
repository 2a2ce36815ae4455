"""The client surface a Metaflow user has (Metaflow 2.19's, as observed in
shared/research/metaflow_behaviour.md and its client docs), on a local run and on a run of
the same flow deployed and executed under the emulation (sfnflow.emulate.harness.MotoCloud:
Lambda tasks, S3 artifacts, DynamoDB metadata), read through the same client."""
from __future__ import annotations

import datetime as dt
import json
import platform
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from click.testing import CliRunner

from sfnflow import Flow, Metaflow, Run, client, get_metadata, namespace
from sfnflow.cli import main
from sfnflow.exception import MetaflowNamespaceMismatch, MetaflowNotFound, MetaflowTaggingError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BROKEN = ("from sfnflow import FlowSpec, step\n\n\nclass BrokenForClient(FlowSpec):\n"
          "    @step\n    def start(self):\n        raise ValueError('no')\n        self.next(self.end)\n\n"
          "    @step\n    def end(self):\n        pass\n")


@pytest.fixture(scope="module", params=["local", "cloud"])
def where(request: pytest.FixtureRequest) -> str:
    """Module-scoped, so every local case runs (and its store is left) before the emulation opens."""
    return str(request.param)


@pytest.fixture(scope="module")
def select(where: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], None]]:
    """Runs ForeachFlow (tagged nightly) and BrokenForClient as alice; yields how to point the client at them."""
    folder = tmp_path_factory.mktemp(f"client-{where}")
    broken = folder / "broken_for_client.py"
    broken.write_text(BROKEN)
    mp = pytest.MonkeyPatch()
    mp.setenv("SFNFLOW_USER", "alice")
    if where == "local":
        root = folder / "store"
        try:
            for flow, ok in ((EXAMPLES / "foreach.py", True), (broken, False)):
                done = CliRunner().invoke(main, ["run", str(flow), "--root", str(root), "--tag", "nightly"])
                assert (done.exit_code == 0) == ok, done.output
        finally:
            mp.undo()
        yield lambda: client.set_root(str(root))
        return
    from sfn_compiler.compile import compile_file
    from sfn_compiler.run_contract import execution_input
    from sfnflow.emulate.harness import MotoCloud

    for name in ("SFNFLOW_DATASTORE", "SFNFLOW_BUCKET", "SFNFLOW_TABLE", "SFNFLOW_PREFIX", "SFNFLOW_ROOT"):
        mp.delenv(name, raising=False)
    with MotoCloud() as cloud:
        try:
            sfn = cloud.client("stepfunctions")
            for flow, run_id in ((EXAMPLES / "foreach.py", "cloud-foreach-1"), (broken, "cloud-broken-1")):
                deployed = cloud.deploy(str(flow), compile_file(str(flow)))
                started = sfn.start_execution(stateMachineArn=deployed.state_machine_arn, name=run_id,
                                              input=json.dumps(execution_input({}, trigger="test", tags=["nightly"], user="alice")))
                cloud.wait(started["executionArn"])
        finally:
            mp.undo()
        yield lambda: client.use_cloud(cloud.bucket, cloud.table, s3_client=cloud.client("s3"),
                                       dynamodb_client=cloud.client("dynamodb"))


@pytest.fixture
def run(select: Callable[[], None]) -> Any:
    """The run, read as alice (the suite resets the client's store and namespace after each test)."""
    select()
    namespace("user:alice")
    return Flow("ForeachFlow").latest_run


def test_metaflow_lists_flows_and_get_metadata_names_the_store(run, where: str) -> None:
    assert [f.id for f in Metaflow().flows] == ["BrokenForClient", "ForeachFlow"]
    if where == "local":
        assert get_metadata().startswith("local@") and get_metadata().endswith("store")
    else:
        assert get_metadata().startswith("dynamodb@s3://sfnflow-artifacts/")


def test_missing_objects_raise_metaflow_not_found_and_key_error(run) -> None:
    with pytest.raises(MetaflowNotFound):
        Flow("Nope")
    with pytest.raises(KeyError):
        Flow("ForeachFlow")["no-such-run"]
    with pytest.raises(KeyError):
        run["no_such_step"]


def test_tags_split_into_user_and_system_and_user_tags_change_after_the_run(run, where: str) -> None:
    assert run.user_tags == {"nightly"}
    assert {"user:alice", "runtime:dev" if where == "local" else "runtime:step-functions"} <= run.system_tags
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


def test_parents_code_and_end_task(run, where: str) -> None:
    task = run["double"]["2"]
    assert task.parent.id == "double" and task.parent.parent.id == run.id and run.parent.id == "ForeachFlow"
    assert "class ForeachFlow" in run.code.flowspec and run.code.path.endswith("foreach.py")
    assert run.end_task.pathspec == f"ForeachFlow/{run.id}/end/0"
    assert run.origin_pathspec is None and task.origin_pathspec is None


def test_task_metadata_artifacts_and_loglines(run, where: str) -> None:
    task = run["double"]["1"]
    facts = task.metadata_dict
    compute = "local" if where == "local" else "lambda"
    assert facts["attempt"] == 0 and facts["runtime"] == task.runtime_name == compute
    assert facts["python_version"] == platform.python_version() and facts["ds-type"] == where.replace("cloud", "s3")
    assert {m.name for m in task.metadata} == set(facts)
    assert task["doubled"].data == 4 and "doubled" in task
    assert {a.id for a in task} == {"doubled", "values"}
    end = run["end"].task
    assert [line for _, line in end.loglines()] == end.stdout.splitlines()
    assert task.environment_info["runtime"] == compute


def test_run_data_of_a_run_without_an_end_is_none(run) -> None:
    failed = Flow("BrokenForClient").latest_run
    assert failed.successful is False and failed.data is None
    assert failed["start"].task.exception.type == "builtins.ValueError"
