"""Which store `runs`, `status`, `logs` and `resume` read, and the one line that says so.

    --root DIR / --local          local runs (the nearest .sfnflow/, or DIR)
    SFNFLOW_DATASTORE=s3|local    what the environment says
    a flow deployed from here     its deployed datastore (the deployments profile)
    otherwise                     local runs

A run id without a flow is looked up in the local store first, then in each datastore
flows were deployed to from this machine.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..client import stores as client_stores
from .errors import OperateError
from .profile import Deployment, deployment_client, load_deployments

__all__ = ["RunSource", "source_for_flow", "source_for_run"]


@dataclass(frozen=True)
class RunSource:
    stores: Any  # client.stores.Stores
    label: str  # "local runs in ..." / "the deployed datastore ..."
    deployment: Deployment | None = None

    def client(self, service: str) -> Any:
        """boto3 clients where the runs are (for CloudWatch Logs, Batch)."""
        if self.deployment is not None:
            return deployment_client(self.deployment, service)
        import boto3

        return boto3.client(service)


def _local(root: str | None) -> RunSource:
    client_stores.set_root(root)
    stores = client_stores.get_stores()
    return RunSource(stores, f"reading local runs in {stores.root}")


def _deployed(deployment: Deployment) -> RunSource:
    stores = client_stores.deployment_stores(deployment)
    return RunSource(stores, f"reading the deployed datastore of {deployment.flow} on {deployment.where} "
                             "(--local: local runs)", deployment)


def _from_environment() -> RunSource | None:
    kind = os.environ.get(client_stores.ENV_DATASTORE)
    if kind is None:
        return None
    client_stores.set_root(None)
    stores = client_stores.get_stores()
    return RunSource(stores, f"reading {stores.root} ({client_stores.ENV_DATASTORE}={kind})")


def source_for_flow(flow: str, *, root: str | None = None, local: bool = False) -> RunSource:
    if root or local:
        return _local(root)
    found = _from_environment()
    if found is not None:
        return found
    deployment = load_deployments().get(flow)
    return _deployed(deployment) if deployment is not None else _local(None)


def source_for_run(run_id: str, flow: str | None = None, *, root: str | None = None,
                   local: bool = False) -> tuple[RunSource, str]:
    """(where the run is, its flow). Raises OperateError if no store has it."""
    if flow is not None:
        source = source_for_flow(flow, root=root, local=local)
        return source, flow
    candidates: list[RunSource] = []
    fixed = _local(root) if (root or local) else _from_environment()
    if fixed is not None:
        candidates.append(fixed)
    else:
        try:
            candidates.append(_local(None))
        except Exception:  # no local store here: only deployed ones
            pass
        seen = set()
        for deployment in load_deployments().values():
            place = (deployment.bucket, deployment.table, deployment.region, deployment.endpoint)
            if place not in seen:
                seen.add(place)
                candidates.append(_deployed(deployment))
    looked = []
    for source in candidates:
        owners = _owners(source, run_id)
        looked.append(source.stores.root)
        if len(owners) > 1:
            raise OperateError(f"run {run_id} exists in several flows ({', '.join(owners)}); write FLOW/{run_id}.")
        if owners:
            if source.deployment is not None and source.deployment.flow != owners[0]:
                deployment = load_deployments().get(owners[0])
                source = _deployed(deployment) if deployment is not None else source
            return source, owners[0]
    if all(c.deployment is None for c in candidates):
        raise OperateError(f"no local run {run_id}. List runs with: sfnflow runs FLOW_NAME")
    where = "; ".join(looked)
    raise OperateError(f"no run {run_id} in local runs or the deployed datastores ({where}). "
                       "List runs with: sfnflow runs FLOW_NAME")


def _owners(source: RunSource, run_id: str) -> list[str]:
    metadata = source.stores.metadata
    try:
        flows = metadata.list_flows()
    except Exception as exc:  # an unreachable datastore (emulator stopped) must not hide the others
        if source.deployment is None:
            raise
        return _unreachable(source, exc)
    return [f for f in flows if metadata.get_run(f, run_id) is not None]


def _unreachable(source: RunSource, exc: Exception) -> list[str]:
    import botocore.exceptions as bx

    if isinstance(exc, (bx.EndpointConnectionError, bx.ClientError, bx.NoCredentialsError)):
        return []
    raise exc
