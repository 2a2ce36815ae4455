"""Two executions of one flow at once (different run ids) never mix artifacts or metadata."""
from __future__ import annotations

from typing import Any

from cloudrun_util import FLOWS, compiled, read_cloud

TWO_RUNS = str(FLOWS / "two_runs.py")


def test_concurrent_runs_stay_apart(cloud: Any) -> None:
    deployed = cloud.deploy(TWO_RUNS, compiled(TWO_RUNS)[1])
    # Both executions run at once in moto's interpreter; their Lambda tasks interleave.
    arns = {tag: cloud.start_run(deployed, f"run-{tag}", {"tag": tag}) for tag in ("a", "b")}
    results = {tag: cloud.wait(arn) for tag, arn in arns.items()}
    assert {t: r.status for t, r in results.items()} == {"a": "SUCCEEDED", "b": "SUCCEEDED"}

    metadata = cloud.metadata_store()
    spans = {}
    for tag in ("a", "b"):
        run_id = f"run-{tag}"
        snap = read_cloud(cloud, "TwoRunsFlow", run_id)
        assert snap["status"] == "SUCCEEDED" and snap["parameters"] == {"tag": tag}
        join = snap["tasks"][("join", "0")]["data"]
        assert join["items_seen"] == [f"{tag}-{i}" for i in range(4)]
        assert join["runs_seen"] == [run_id] and join["tags_seen"] == [tag]
        assert snap["run_data"]["final_run"] == run_id
        for (step, task), record in snap["tasks"].items():
            if step == "body":
                assert record["data"]["item"] == f"{tag}-{task}" and record["data"]["run_seen"] == run_id
        # DynamoDB: every item under this run's key names this run, and nothing else.
        run, attempts = metadata.describe_run("TwoRunsFlow", run_id)
        assert run is not None and run.run_id == run_id
        assert {a.run_id for a in attempts} == {run_id} and len(attempts) == 1 + 4 + 1 + 1
        spans[tag] = (min(a.started_at for a in attempts), max(a.finished_at or 0 for a in attempts))
        # S3: this run's task indexes all sit under its own prefix.
        keys = cloud.artifact_store().blobs.list(f"TwoRunsFlow/{run_id}/")
        assert len([k for k in keys if k.endswith("index.json")]) == 7
    assert sorted(r.run_id for r in metadata.list_runs("TwoRunsFlow")) == ["run-a", "run-b"]
    # They really overlapped in time (otherwise this test would prove little).
    assert spans["a"][0] < spans["b"][1] and spans["b"][0] < spans["a"][1]
