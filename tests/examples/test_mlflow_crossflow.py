"""examples/mlflow_crossflow: one MLflow run per trial, carrying the sfnflow ids."""
from __future__ import annotations

import pytest
from conftest import EXAMPLES, run_id_of

pytestmark = pytest.mark.slow


def test_every_trial_is_an_mlflow_run_tagged_with_its_sfnflow_task(shell) -> None:
    done = shell.sfnflow("run", str(EXAMPLES / "mlflow_crossflow" / "mlflow_flow.py"), "--trials", "3")
    run_id = run_id_of(done.stdout + done.stderr)
    # Read MLflow the way a user would, from outside the flow.
    query = shell("-c", (
        "import mlflow\n"
        "runs = mlflow.search_runs(experiment_names=['sfnflow-crossflow'], output_format='list')\n"
        "for r in runs: print(r.data.tags.get('sfnflow.run_id'), r.data.tags.get('sfnflow.pathspec'),"
        " r.info.run_id, r.data.metrics.get('accuracy'), r.data.tags.get('sfnflow.best', '-'),"
        " r.data.params.get('n_estimators'))\n"))
    rows = [line.split() for line in query.stdout.splitlines()]
    assert len(rows) == 3 and all(r[0] == run_id for r in rows)
    assert sorted(r[1] for r in rows) == [f"MlflowCrossFlow/{run_id}/trial/{i}" for i in range(3)]
    assert all(0.5 < float(r[3]) <= 1.0 and r[5].isdigit() for r in rows)

    from sfnflow import Run, client

    client.set_root(str(shell.cwd / "store"))
    try:
        pick = Run(f"MlflowCrossFlow/{run_id}")["pick"].task.data
        by_mlflow_id = {r[2]: r for r in rows}
        assert sorted(pick.mlflow_run_ids) == sorted(by_mlflow_id)
        assert by_mlflow_id[pick.best_mlflow_run_id][4] == "true"
        assert pick.accuracy == max(float(r[3]) for r in rows)
    finally:
        client.set_root(None)
