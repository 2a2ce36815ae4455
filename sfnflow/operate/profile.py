"""The laptop's record of where flows are deployed: written by `sfnflow deploy`, read by
`trigger`, `runs`, `status`, `logs` and the client (`Flow("X")` of a deployed flow reads
its datastore).

    ~/.sfnflow/deployments.json   (SFNFLOW_HOME moves the folder)
    {"flows": {"TrainFlow": {"stack": ..., "state_machine_arn": ..., "bucket": ..., "table": ...,
                             "region": ..., "account": ..., "endpoint": null | "http://localhost:4566"}}}

A user who never deployed has no file, and everything stays local. The file holds names
only, never credentials. Writes are atomic (temp file + rename).
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from typing import Any

from sfn_compiler.contract import task_config

__all__ = ["Deployment", "deployment_client", "deployment_from_outputs", "forget_deployment", "load_deployments", "profile_path", "record_deployment"]

ENV_HOME = task_config.ENV_HOME
FILE_NAME = "deployments.json"


@dataclass(frozen=True)
class Deployment:
    flow: str
    stack: str
    state_machine_arn: str
    bucket: str
    table: str
    region: str
    account: str = ""
    endpoint: str | None = None  # AWS_ENDPOINT_URL at deploy time (the emulator), else None

    @property
    def where(self) -> str:
        return f"the emulator at {self.endpoint} ({self.region})" if self.endpoint else \
            f"AWS account {self.account or '?'} in {self.region}"


def profile_path() -> str:
    home = os.environ.get(ENV_HOME) or os.path.join(os.path.expanduser("~"), ".sfnflow")
    return os.path.join(home, FILE_NAME)


def load_deployments() -> dict[str, Deployment]:
    """Flow name -> where it was last deployed ({} without a profile, or if it is unreadable)."""
    try:
        with open(profile_path(), encoding="utf-8") as fh:
            raw = json.load(fh)
    except (OSError, ValueError):
        return {}
    flows = raw.get("flows") if isinstance(raw, dict) else None
    found = {}
    for name, entry in (flows or {}).items():
        try:
            found[name] = Deployment(**{k: entry.get(k) for k in Deployment.__dataclass_fields__ if k in entry})
        except TypeError:
            continue  # an entry from another version: ignore it rather than fail every command
    return found


def deployment_from_outputs(flow: str, outputs: dict[str, str], region: str, account: str = "",
                            endpoint: str | None = None) -> Deployment:
    """What a deploy recorded, from the flow stack's outputs."""
    return Deployment(flow=flow, stack=outputs.get("StateMachineName", flow),
                      state_machine_arn=outputs.get("StateMachineArn", ""), bucket=outputs.get("BucketName", ""),
                      table=outputs.get("TableName", ""), region=region, account=account, endpoint=endpoint)


def record_deployment(deployment: Deployment) -> str:
    """Remember a deploy; return the profile's path."""
    flows = {name: asdict(d) for name, d in load_deployments().items()}
    flows[deployment.flow] = asdict(deployment)
    return _write({"flows": flows})


def forget_deployment(flow: str) -> None:
    flows = {name: asdict(d) for name, d in load_deployments().items() if name != flow}
    _write({"flows": flows})


def _write(content: dict[str, Any]) -> str:
    path = profile_path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".deployments-", dir=os.path.dirname(path))
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(content, fh, indent=1, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)
    return path


def deployment_client(deployment: Deployment, service: str) -> Any:
    """A boto3 client for where the flow was deployed; AWS_ENDPOINT_URL, if set, wins."""
    import boto3

    endpoint = os.environ.get("AWS_ENDPOINT_URL") or deployment.endpoint or None
    return boto3.client(service, region_name=deployment.region, endpoint_url=endpoint)
