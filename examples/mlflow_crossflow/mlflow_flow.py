"""A random-forest search whose every trial is an MLflow run, tagged with the sfnflow task
that produced it, so either tool leads to the other.

    sfnflow run examples/mlflow_crossflow/mlflow_flow.py --trials 4
    mlflow ui --backend-store-uri sqlite:///examples/mlflow_crossflow/mlflow.db   # optional

MLflow side: one run per trial in the experiment "sfnflow-crossflow", with the trial's
parameters, its accuracy and the fitted model, and the tags sfnflow.flow / .run_id /
.step / .task_id / .pathspec. sfnflow side: each `trial` task keeps `mlflow_run_id`,
and `pick` keeps the best trial's, so `Run(...)["pick"].task.data.best_mlflow_run_id`
opens the model in MLflow.

The tracking store is MLFLOW_TRACKING_URI when set (a tracking server, for deployed
runs), else a SQLite file beside this flow.
"""
import os
import random
from pathlib import Path

import mlflow

from sfnflow import FlowSpec, Parameter, current, step

EXPERIMENT = "sfnflow-crossflow"
GRID = {"n_estimators": [10, 25, 50, 100], "max_depth": [None, 3, 6], "criterion": ["gini", "entropy"]}


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path(__file__).with_name('mlflow.db')}"


def set_up_mlflow() -> None:
    """The store, and an experiment whose models are kept beside it (not in the current folder)."""
    own_store = not os.environ.get("MLFLOW_TRACKING_URI")  # read first: set_tracking_uri sets it
    mlflow.set_tracking_uri(tracking_uri())
    if own_store and mlflow.get_experiment_by_name(EXPERIMENT) is None:
        try:
            mlflow.create_experiment(EXPERIMENT, artifact_location=Path(__file__).with_name("mlruns").as_uri())
        except mlflow.exceptions.MlflowException:
            pass  # another process created it first
    mlflow.set_experiment(EXPERIMENT)


# Module level, as MLflow users set it up: every process that imports the flow (the run
# and each task) logs to the same store and experiment.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # MLflow would otherwise report usage online
set_up_mlflow()


class MlflowCrossFlow(FlowSpec):
    trials = Parameter("trials", default=6, help="hyper-parameter combinations to try")
    seed = Parameter("seed", default=11, help="seed for the split, the search and the forests")

    @step
    def start(self):
        from sklearn.datasets import load_wine
        from sklearn.model_selection import train_test_split

        x, y = load_wine(return_X_y=True)  # ships inside scikit-learn: no download
        self.x_train, self.x_test, self.y_train, self.y_test = train_test_split(
            x, y, test_size=0.3, random_state=self.seed, stratify=y)
        combos = [dict(n_estimators=n, max_depth=d, criterion=c)
                  for n in GRID["n_estimators"] for d in GRID["max_depth"] for c in GRID["criterion"]]
        self.grid = random.Random(self.seed).sample(combos, min(self.trials, len(combos)))
        self.next(self.trial, foreach="grid")

    @step
    def trial(self):
        import mlflow.sklearn
        from sklearn.ensemble import RandomForestClassifier

        self.params = self.input
        ids = {"sfnflow.flow": current.flow_name, "sfnflow.run_id": current.run_id,
               "sfnflow.step": current.step_name, "sfnflow.task_id": current.task_id,
               "sfnflow.pathspec": current.pathspec}
        with mlflow.start_run(run_name=f"{current.run_id}/trial/{current.task_id}", tags=ids) as logged:
            model = RandomForestClassifier(random_state=self.seed, **self.params).fit(self.x_train, self.y_train)
            self.accuracy = float(model.score(self.x_test, self.y_test))
            mlflow.log_params(self.params)
            mlflow.log_metric("accuracy", self.accuracy)
            # Requirements given, so MLflow does not spend seconds inferring them.
            mlflow.sklearn.log_model(model, name="model", serialization_format="cloudpickle",
                                     pip_requirements=["scikit-learn"])
            self.mlflow_run_id = logged.info.run_id
        print(f"trial {current.task_id}: {self.params} accuracy {self.accuracy:.3f} -> mlflow run {self.mlflow_run_id}")
        self.next(self.pick)

    @step
    def pick(self, inputs):
        best = max(inputs, key=lambda i: i.accuracy)
        self.accuracy, self.params, self.best_mlflow_run_id = best.accuracy, best.params, best.mlflow_run_id
        self.mlflow_run_ids = [i.mlflow_run_id for i in inputs]
        mlflow.MlflowClient().set_tag(self.best_mlflow_run_id, "sfnflow.best", "true")
        self.next(self.end)

    @step
    def end(self):
        print(f"best accuracy {self.accuracy:.3f} with {self.params}; "
              f"mlflow run {self.best_mlflow_run_id} in {tracking_uri()}")


if __name__ == "__main__":
    MlflowCrossFlow()
