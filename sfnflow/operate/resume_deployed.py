"""Resume a deployed flow's run: a new execution that reuses the origin run's successful
tasks by reference (nothing copied), planned against the deployed steps (the stack's
StepGraph output) exactly as a local resume is (sfnflow/resume.py).

Why not Step Functions' redrive: every top-level state is caught into the run's
FAILED-status write, which then re-raises from a Fail state, so a redrive would restart at
that Fail state and fail again. Redrive does help inside a failed Distributed Map Run
(the console's "Redrive"), and the state machine's role may do it (states:RedriveExecution).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ..resume import ResumePlan, plan_from_record
from .deployed import DeployedFlow, find_deployed
from .errors import OperateError
from .trigger import StartedRun, start_run

__all__ = ["ResumedRun", "resume_deployed"]


@dataclass(frozen=True)
class ResumedRun:
    plan: ResumePlan
    deployed: DeployedFlow
    started: StartedRun


def resume_deployed(metadata: Any, flow: str, run_id: str, *, from_step: str | None = None,
                    tags: Sequence[str] = (), name: str | None = None, region: str | None = None,
                    profile: str | None = None, deployed: DeployedFlow | None = None,
                    force: bool = False) -> ResumedRun:
    """Raises OperateError: no such run, still running (unless `force`), the flow is not
    deployed (or deployed before StepGraph)."""
    record = metadata.get_run(flow, run_id)
    if record is None:
        raise OperateError(f"there is no run {flow}/{run_id}; list the runs with `sfnflow runs {flow}`.")
    if record.status == "RUNNING" and not force:
        raise OperateError(f"run {flow}/{run_id} is still running; resuming it now would run its steps twice at "
                           f"once. Wait for it to end (sfnflow status {run_id}), or pass --force.")
    deployed = deployed or find_deployed(flow, region=region, profile=profile)
    if deployed.steps is None:
        raise OperateError(f"stack {deployed.stack} does not serve its steps (StepGraph): it was deployed by an older "
                           "sfnflow; deploy the flow again, then resume.")
    try:
        plan = plan_from_record(record, metadata.list_tasks(flow, run_id), from_step=from_step).for_edges(
            deployed.steps)
    except OperateError:
        raise
    except Exception as exc:  # SfnflowError from the planner: one sentence already
        raise OperateError(str(exc)) from None
    started = start_run(deployed, dict(record.parameters), name=name, tags=tags or tuple(record.tags),
                        trigger="resume", origin_run_id=run_id, resume_steps=plan.runtime_steps)
    return ResumedRun(plan=plan, deployed=deployed, started=started)
