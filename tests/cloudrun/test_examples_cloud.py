"""Every example flow, deployed into moto from its deployment model and executed there,
leaves the same runs, tasks and artifact values as its local run."""
from __future__ import annotations

from pathlib import Path

import pytest

from sfn_compiler.batch_bootstrap import STOCK_IMAGE_LAUNCHER

from cloudrun_util import EXAMPLES, compiled, read_cloud, run_local


def test_examples_found() -> None:
    assert len(EXAMPLES) >= 10


# The default suite runs one foreach, one map in map and the Batch path; every other
# example runs under the slow marker (CI runs it): each costs a local run plus a deploy.
DEFAULT = {"foreach", "nested_foreach", "mixed_compute"}


@pytest.mark.parametrize("path", [p if p.stem in DEFAULT else pytest.param(p, marks=pytest.mark.slow)
                                  for p in EXAMPLES], ids=lambda p: p.stem)
def test_example_matches_its_local_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sfnflow.emulate.harness import MotoCloud

    for name in ("SFNFLOW_DATASTORE", "SFNFLOW_BUCKET", "SFNFLOW_TABLE", "SFNFLOW_PREFIX", "SFNFLOW_ROOT"):
        monkeypatch.delenv(name, raising=False)
    graph, flow = compiled(str(path))
    local = run_local(str(path), str(tmp_path / "local"))  # before the harness: one moto mock at a time
    assert local["status"] == "SUCCEEDED", local["error"]
    with MotoCloud() as cloud:
        deployed = cloud.deploy(str(path), flow, env_root=str(tmp_path / "local"))
        result = cloud.run(deployed, "cloud-run-1")
        assert result.status == "SUCCEEDED", (result.error, result.cause)
        assert (result.output["run"], result.output["p"]) == ("cloud-run-1", "0")  # pointers only
        remote = read_cloud(cloud, graph.name)  # Flow(name).latest_run, from S3 + DynamoDB
        batch_jobs = len(cloud.batch.jobs) if cloud.batch else 0
        programs = {job.command[1:3] for job in (cloud.batch.jobs if cloud.batch else [])}
    assert remote["id"] == "cloud-run-1" and remote["status"] == "SUCCEEDED"
    assert remote["tasks"].keys() == local["tasks"].keys()
    for key, task in local["tasks"].items():
        assert remote["tasks"][key] == task, key
    assert remote["run_data"] == local["run_data"]
    assert remote["parameters"] == local["parameters"]
    # Batch steps really ran as Batch jobs (one per Batch task).
    batch_steps = {s for s, t in flow.model.compute if t.kind == "batch"}
    assert batch_jobs == sum(1 for (step, _) in remote["tasks"] if step in batch_steps)
    # No example names an image: every job ran the stock-image bootstrap, which fetched the
    # code package from the harness's moto server.
    assert programs == ({("-c", STOCK_IMAGE_LAUNCHER)} if batch_jobs else set())
