"""The examples users come for, deployed into the emulation (moto as a whole AWS, Lambda
steps running their packaged code) and executed there, with small parameters."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES

from sfn_compiler.compile import compile_file

pytestmark = pytest.mark.slow


def deploy_and_run(path: Path, run_id: str, parameters: dict[str, Any], check, include: tuple[str, ...] = ()) -> None:
    """Deploy the example into MotoCloud, run it, and hand its run (read from S3 + DynamoDB
    through the client) to `check` while the emulation is still up."""
    from sfnflow import Run, client
    from sfnflow.emulate.harness import MotoCloud

    compiled = compile_file(str(path))
    with MotoCloud() as cloud:
        deployed = cloud.deploy(str(path), compiled, include=include)
        result = cloud.run(deployed, run_id, parameters)
        assert result.status == "SUCCEEDED", (result.error, result.cause)
        client.use_cloud(cloud.bucket, cloud.table, cloud.prefix, s3_client=cloud.client("s3"),
                         dynamodb_client=cloud.client("dynamodb"))
        client.namespace(None)
        try:
            check(Run(f"{compiled.graph.name}/{run_id}"))
        finally:
            client.set_root(None)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    import os

    for name in ("SFNFLOW_DATASTORE", "SFNFLOW_BUCKET", "SFNFLOW_TABLE", "SFNFLOW_PREFIX", "SFNFLOW_ROOT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(tmp_path)
    before = set(os.environ)
    yield
    # In-process Lambda steps import the flow here, and MLflow's set_experiment exports
    # MLFLOW_EXPERIMENT_ID into this process: leave the environment as it was.
    for name in set(os.environ) - before:
        if name.startswith("MLFLOW_"):
            del os.environ[name]


def test_hearthstone_deployed_reads_its_packaged_csv_and_scores_every_unknown_deck(clean_env: Any) -> None:
    def check(run: Any) -> None:
        best = run["best"].task.data
        assert best.accuracy > best.baseline + 0.3
        assert len(best.predictions) == len(run["start"].task.data.score) > 300

    deploy_and_run(EXAMPLES / "hearthstone" / "hearthstone_flow.py", "hs-1", {"trials": 2}, check,
                   include=("*.csv",))


def test_mlflow_crossflow_deployed_logs_one_mlflow_run_per_trial(clean_env: Any) -> None:
    def check(run: Any) -> None:
        pick = run["pick"].task.data
        assert len(pick.mlflow_run_ids) == 2 and pick.best_mlflow_run_id in pick.mlflow_run_ids

    deploy_and_run(EXAMPLES / "mlflow_crossflow" / "mlflow_flow.py", "ml-1", {"trials": 2}, check)



def test_decorator_experiment_deployed_runs_each_step_in_its_environment(clean_env: Any) -> None:
    def check(run: Any) -> None:
        assert run["check_version"].task.data.ran_with["pandas"] == "2.1.4"
        assert run["start"].task.data.ran_with["pandas"] == "2.2.3"
        assert set(run["recap"].task.data.recap_of) == {"number", "letter", "something"}

    deploy_and_run(EXAMPLES / "decorator_experiment" / "decorator_experiment.py", "de-1", {"seed": 3}, check)
