"""Which stores the client reads: local ones by default, or a cloud datastore.

Local (the default): the nearest `.sfnflow/` from the current folder upward, or
SFNFLOW_ROOT, or `set_root(path)`.

A flow deployed from this machine (`sfnflow deploy` records it in the deployments
profile, sfnflow/operate/profile.py) is read from its deployed datastore without being
told: `Flow("TrainFlow")` then reads S3 + DynamoDB where TrainFlow runs. A user who never
deployed has no profile and reads local runs only; SFNFLOW_DATASTORE=local forces local.

Cloud (S3 artifacts + DynamoDB metadata, what a deployed flow writes): either

    SFNFLOW_DATASTORE=s3  SFNFLOW_BUCKET=<bucket>  SFNFLOW_TABLE=<table>  [SFNFLOW_PREFIX=<prefix>]

in the environment (like Metaflow's METAFLOW_DEFAULT_DATASTORE), or, in Python,
`use_cloud(bucket, table, prefix="", s3_client=None, dynamodb_client=None)`; clients
not given are made with boto3's defaults on first use. `use_cloud()` without names reads
the datastore flows were deployed to from this machine. `set_root(...)` switches back to
local stores. What `use_cloud` / `set_root` chose wins over the environment.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from sfn_compiler.contract.task_config import ENV_BUCKET, ENV_DATASTORE, ENV_PREFIX, ENV_ROOT, ENV_TABLE
from sfn_compiler.diagnostics import SfnflowError
from sfn_compiler.exceptions import MetaflowNotFound

__all__ = ["ENV_DATASTORE", "Stores", "cloud_stores", "deployment_of", "deployment_stores", "get_stores",
           "local_stores_at", "NoLocalRuns", "set_root", "use_cloud"]

_CLOUD_NAMES = ("s3", "cloud", "aws")

_override: str | None = None
_cloud: "Stores | None" = None
_cache: dict[Any, "Stores"] = {}


@dataclass(frozen=True)
class Stores:
    root: str  # where runs are read from, for messages: a folder, or "s3://bucket/prefix + table"
    artifacts: Any  # runtime.stores.artifacts.ArtifactStore
    metadata: Any  # runtime.stores.base.MetadataStore


def set_root(path: str | None) -> None:
    """Read runs from this local root from now on (None: find it again); leaves any cloud datastore."""
    global _override, _cloud
    _override = os.path.abspath(path) if path else None
    _cloud = None


def use_cloud(bucket: str | None = None, table: str | None = None, prefix: str = "", s3_client: Any = None,
              dynamodb_client: Any = None, flow: str | None = None) -> None:
    """Read runs from a deployed datastore: artifacts in S3, metadata in DynamoDB.

    Without bucket and table: the datastore `flow` (or, if all flows deployed from this
    machine share one, every flow) was deployed to.
    """
    global _cloud
    if not bucket and not table:
        _cloud = _profile_stores(flow)
        return
    if not bucket or not table:
        raise SfnflowError("use_cloud needs the artifact bucket and the metadata table names "
                           "(the deployed stack's outputs), or neither (the datastore you deployed to).")
    _cloud = cloud_stores(bucket, table, prefix, s3_client, dynamodb_client)


def deployment_of(flow: str | None) -> Any:
    """Where `flow` was deployed from this machine (operate.profile.Deployment), or None."""
    if not flow:
        return None
    from ..operate.profile import load_deployments

    return load_deployments().get(flow)


def get_stores(flow: str | None = None) -> Stores:
    """The stores to read `flow`'s runs from (see the module docstring for the order)."""
    if _cloud is not None:
        return _cloud
    if _override is None:
        raw = os.environ.get(ENV_DATASTORE)
        kind = (raw or "local").strip().lower()
        if kind in _CLOUD_NAMES:
            return _env_cloud_stores()
        if kind not in ("", "local"):
            raise SfnflowError(f"{ENV_DATASTORE}={os.environ[ENV_DATASTORE]!r} is not a datastore sfnflow knows. "
                               f"Set it to 'local' (the default) or 's3'.")
        deployment = deployment_of(flow) if raw is None else None
        if deployment is not None:
            return deployment_stores(deployment)
    root = _override or _find_root()
    if root not in _cache and not os.path.isdir(root):
        # A reader must not create a store (opening SQLite would): a mistyped root
        # would otherwise leave an empty store behind and read as "no runs".
        raise SfnflowError(f"no local runs in {root}: the folder does not exist. "
                           "Run a flow first (sfnflow run FLOW.py), or point at the right folder.")
    return local_stores_at(root)


def local_stores_at(root: str) -> Stores:
    """The stores of one local root, whatever the client is pointed at (a Runner's runs)."""
    root = os.path.abspath(root)
    if root not in _cache:
        from runtime.stores import local_stores

        artifacts, metadata = local_stores(root)
        _cache[root] = Stores(root=root, artifacts=artifacts, metadata=metadata)
    return _cache[root]


def _env_cloud_stores() -> Stores:
    bucket, table = os.environ.get(ENV_BUCKET, ""), os.environ.get(ENV_TABLE, "")
    missing = [name for name, value in ((ENV_BUCKET, bucket), (ENV_TABLE, table)) if not value]
    if missing:
        raise SfnflowError(f"{ENV_DATASTORE}=s3 but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                           "not set. Set them to the deployed flow's artifact bucket and metadata table.")
    key = ("cloud", bucket, table, os.environ.get(ENV_PREFIX, ""))
    if key not in _cache:
        _cache[key] = cloud_stores(bucket, table, key[3], None, None)
    return _cache[key]


def deployment_stores(deployment: Any) -> Stores:
    from ..operate.profile import deployment_client

    key = ("deployed", deployment.bucket, deployment.table, deployment.region,
           os.environ.get("AWS_ENDPOINT_URL") or deployment.endpoint)
    if key not in _cache:
        _cache[key] = cloud_stores(deployment.bucket, deployment.table, "", deployment_client(deployment, "s3"),
                                   deployment_client(deployment, "dynamodb"))
    return _cache[key]


def _profile_stores(flow: str | None) -> Stores:
    from ..operate.profile import load_deployments, profile_path

    deployments = load_deployments()
    if flow is not None:
        if flow not in deployments:
            raise SfnflowError(f"flow {flow} was not deployed from this machine ({profile_path()} does not list it); "
                               "deploy it, or call use_cloud(bucket, table) with its stack's outputs.")
        return deployment_stores(deployments[flow])
    places = {(d.bucket, d.table, d.region, d.endpoint): d for d in deployments.values()}
    if not places:
        raise SfnflowError("no flow was deployed from this machine, so there is no datastore to read: deploy one "
                           "(sfnflow deploy FLOW.py), or call use_cloud(bucket, table).")
    if len(places) > 1:
        raise SfnflowError(f"flows were deployed to {len(places)} datastores from this machine; say which: "
                           "use_cloud(flow='TheFlow'), or use_cloud(bucket, table).")
    return deployment_stores(next(iter(places.values())))


def cloud_stores(bucket: str, table: str, prefix: str = "", s3_client: Any = None,
                 dynamodb_client: Any = None) -> Stores:
    from runtime.stores.artifacts import ArtifactStore
    from runtime.stores.dynamodb import DynamoMetadataStore
    from runtime.stores.s3 import S3BlobStore

    blobs = S3BlobStore(bucket, prefix, client=s3_client)
    where = f"s3://{bucket}/{blobs.prefix} and DynamoDB table {table}"
    return Stores(root=where, artifacts=ArtifactStore(blobs),
                  metadata=DynamoMetadataStore(table, client=dynamodb_client))


class NoLocalRuns(MetaflowNotFound):
    """The client found no local store to read: one sentence saying where it looked and how
    to point it elsewhere (raised `from None`, so no chained traceback comes with it)."""


def _find_root() -> str:
    from runtime.stores.blobs import resolve_local_root

    root = resolve_local_root()
    if not os.path.isdir(root) and os.environ.get(ENV_ROOT):
        raise NoLocalRuns(f"no local runs in {root} (SFNFLOW_ROOT): the folder does not exist; run a flow "
                          "first (sfnflow run FLOW.py) or fix SFNFLOW_ROOT.") from None
    if not os.path.isdir(root):
        raise NoLocalRuns(
            f"no .sfnflow/ folder in {os.getcwd()} or any folder above it, so there are no local runs to read; "
            "run a flow first (sfnflow run FLOW.py), cd to the folder you ran it from, point the client at a "
            "store with SFNFLOW_ROOT=/path/to/.sfnflow (or sfnflow.client.set_root), or read a deployed flow's "
            "runs with SFNFLOW_DATASTORE=s3 and SFNFLOW_BUCKET, SFNFLOW_TABLE.") from None
    return root
