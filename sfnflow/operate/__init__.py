"""Operating deployed flows: find what a stack serves, start runs, watch them, read them.

    from sfnflow.operate import find_deployed, start_run, wait_for_run
    deployed = find_deployed("TrainFlow")                  # or "trainflow.py"
    started = start_run(deployed, {"alpha": 0.3})
    outcome = wait_for_run(deployed, started.run_id)

Plain functions, shared by the CLI (`sfnflow trigger/status/runs/logs/resume`) and the
Python Deployer (sfnflow/deployer.py). boto3 is imported inside them, never at import.
"""
from __future__ import annotations

from .deployed import DeployedFlow, find_deployed, flow_name_of
from .errors import OperateError
from .profile import Deployment, load_deployments, record_deployment
from .status import RunReport, StepProgress, run_report
from .trigger import StartedRun, check_parameters, start_run
from .watch import RunOutcome, wait_for_run
from .where import RunSource, source_for_flow, source_for_run

__all__ = ["DeployedFlow", "Deployment", "OperateError", "RunOutcome", "RunReport", "RunSource", "StartedRun",
           "StepProgress", "check_parameters", "find_deployed", "flow_name_of", "load_deployments",
           "record_deployment", "run_report", "source_for_flow", "source_for_run", "start_run", "wait_for_run"]
