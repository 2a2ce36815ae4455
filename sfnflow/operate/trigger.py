"""Start a run of a deployed flow: parameters checked against the deployed spec, then
StartExecution (retried while throttled). The execution name is the run id.

    deployed = find_deployed("TrainFlow")
    started = start_run(deployed, check_parameters(deployed.parameters, {"alpha": 0.3}))
    started.run_id, started.console_url
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from sfn_compiler.asl import arns
from sfn_compiler.identity import username
from sfn_compiler.dsl.parameters import ParameterError, convert_value
from sfn_compiler.dsl.specs import ParameterSpec
from sfn_compiler.run_contract import execution_input

from .deployed import DeployedFlow
from .errors import OperateError

__all__ = ["StartedRun", "check_parameters", "check_run_name", "new_run_id", "start_run"]

# Step Functions allows more, but a run id also names S3 keys and shell arguments.
_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")
THROTTLED = ("ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "Throttling")
START_ATTEMPTS = 6


@dataclass(frozen=True)
class StartedRun:
    flow: str
    run_id: str
    execution_arn: str
    console_url: str
    parameters: dict[str, Any]


def new_run_id() -> str:
    from ..local_run import new_run_id as local_id

    return local_id()  # the same shape as local runs: sortable, unique, a valid execution name


def check_run_name(name: str) -> str:
    if not _RUN_NAME.match(name):
        raise OperateError(f"run id {name!r} cannot be an execution name: use 1-80 letters, digits, '-' or '_', "
                           "starting with a letter or digit.")
    return name


def check_parameters(specs: Sequence[ParameterSpec], values: Mapping[str, Any]) -> dict[str, Any]:
    """Typed values by parameter name, checked against the deployed flow's spec.

    Raises OperateError naming the first unknown, mistyped or missing parameter.
    """
    by_name = {s.name: s for s in specs}
    by_name.update({s.name.replace("_", "-"): s for s in specs})
    checked: dict[str, Any] = {}
    for given, value in values.items():
        spec = by_name.get(given)
        if spec is None:
            known = ", ".join(f"{s.name} ({s.type})" for s in specs) or "none"
            raise OperateError(f"the deployed flow has no parameter {given!r} (its parameters: {known}).")
        try:
            checked[spec.name] = convert_value(spec.type, value)
        except ParameterError as exc:
            raise OperateError(f"parameter {spec.name!r}: {exc}; give a {spec.type} value.") from None
    missing = [s.name for s in specs if s.required and not s.has_default and s.name not in checked]
    if missing:
        raise OperateError(f"missing required parameter(s) {', '.join(missing)}: the deployed flow has no default "
                           "for them.")
    return checked


def start_run(deployed: DeployedFlow, parameters: Mapping[str, Any], *, name: str | None = None,
              tags: Sequence[str] = (), trigger: str = "cli", origin_run_id: str | None = None,
              resume_steps: Sequence[str] = (), sfn: Any = None,
              sleep: Callable[[float], None] = time.sleep) -> StartedRun:
    """StartExecution with the run's input; retried with backoff while AWS throttles."""
    import botocore.exceptions as bx

    run_id = check_run_name(name) if name else new_run_id()
    body = execution_input(dict(parameters), trigger=trigger, tags=tags, origin_run_id=origin_run_id,
                           resume_steps=resume_steps, user=username())
    client = sfn or deployed.target.client("stepfunctions")
    delay = 0.5
    for attempt in range(START_ATTEMPTS):
        try:
            started = client.start_execution(stateMachineArn=deployed.state_machine_arn, name=run_id,
                                             input=json.dumps(body, sort_keys=True))
            break
        except bx.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in THROTTLED and attempt + 1 < START_ATTEMPTS:
                sleep(delay)
                delay = min(delay * 2, 8.0)
                continue
            if code == "ExecutionAlreadyExists":
                raise OperateError(f"a run named {run_id!r} of {deployed.name} already exists; give another --name "
                                   "(or none, for a new id).") from None
            if code == "StateMachineDoesNotExist":
                raise OperateError(f"the state machine of {deployed.name} is gone although its stack "
                                   f"{deployed.stack} is there; deploy the flow again.") from None
            if code in THROTTLED:
                raise OperateError(f"AWS kept throttling StartExecution for {deployed.name} ({START_ATTEMPTS} tries); "
                                   "try again in a minute.") from None
            raise OperateError(f"Step Functions refused to start {deployed.name}: {exc}") from None
    arn = str(started["executionArn"])
    return StartedRun(flow=deployed.name, run_id=run_id, execution_arn=arn,
                      console_url=arns.execution_console_url(deployed.region, arn), parameters=dict(parameters))
