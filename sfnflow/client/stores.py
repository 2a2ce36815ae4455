"""Which stores the client reads: local ones by default, or a cloud datastore.

Local (the default): the nearest `.sfnflow/` from the current folder upward, or
SFNFLOW_ROOT, or `set_root(path)`.

Cloud (S3 artifacts + DynamoDB metadata, what a deployed flow writes): either

    SFNFLOW_DATASTORE=s3  SFNFLOW_BUCKET=<bucket>  SFNFLOW_TABLE=<table>  [SFNFLOW_PREFIX=<prefix>]

in the environment (like Metaflow's METAFLOW_DEFAULT_DATASTORE), or, in Python,
`use_cloud(bucket, table, prefix="", s3_client=None, dynamodb_client=None)`; clients
not given are made with boto3's defaults on first use. `set_root(...)` switches back to
local stores. What `use_cloud` / `set_root` chose wins over the environment.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from sfn_compiler.contract.task_config import ENV_BUCKET, ENV_DATASTORE, ENV_PREFIX, ENV_ROOT, ENV_TABLE
from sfn_compiler.diagnostics import SfnflowError

__all__ = ["ENV_DATASTORE", "Stores", "get_stores", "set_root", "use_cloud"]

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


def use_cloud(bucket: str, table: str, prefix: str = "", s3_client: Any = None,
              dynamodb_client: Any = None) -> None:
    """Read runs from a deployed flow's datastore: artifacts in S3, metadata in DynamoDB."""
    global _cloud
    if not bucket or not table:
        raise SfnflowError("use_cloud needs the artifact bucket and the metadata table names "
                           "(the deployed stack's outputs).")
    _cloud = _cloud_stores(bucket, table, prefix, s3_client, dynamodb_client)


def get_stores() -> Stores:
    if _cloud is not None:
        return _cloud
    if _override is None:
        kind = os.environ.get(ENV_DATASTORE, "local").strip().lower()
        if kind in _CLOUD_NAMES:
            return _env_cloud_stores()
        if kind not in ("", "local"):
            raise SfnflowError(f"{ENV_DATASTORE}={os.environ[ENV_DATASTORE]!r} is not a datastore sfnflow knows. "
                               f"Set it to 'local' (the default) or 's3'.")
    root = _override or _find_root()
    if root not in _cache:
        if not os.path.isdir(root):
            # A reader must not create a store (opening SQLite would): a mistyped root
            # would otherwise leave an empty store behind and read as "no runs".
            raise SfnflowError(f"no local runs in {root}: the folder does not exist. "
                               "Run a flow first (sfnflow run FLOW.py), or point at the right folder.")
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
        _cache[key] = _cloud_stores(bucket, table, key[3], None, None)
    return _cache[key]


def _cloud_stores(bucket: str, table: str, prefix: str, s3_client: Any, dynamodb_client: Any) -> Stores:
    from runtime.stores.artifacts import ArtifactStore
    from runtime.stores.dynamodb import DynamoMetadataStore
    from runtime.stores.s3 import S3BlobStore

    blobs = S3BlobStore(bucket, prefix, client=s3_client)
    where = f"s3://{bucket}/{blobs.prefix} and DynamoDB table {table}"
    return Stores(root=where, artifacts=ArtifactStore(blobs),
                  metadata=DynamoMetadataStore(table, client=dynamodb_client))


def _find_root() -> str:
    from runtime.stores.blobs import resolve_local_root

    root = resolve_local_root()
    if not os.path.isdir(root) and os.environ.get(ENV_ROOT):
        raise SfnflowError(f"no local runs in {root} (SFNFLOW_ROOT): the folder does not exist. "
                           "Run a flow first (sfnflow run FLOW.py), or fix SFNFLOW_ROOT.")
    if not os.path.isdir(root):
        raise SfnflowError(
            "no .sfnflow/ folder here or in any parent folder, so there are no local runs to read. "
            "Run a flow first (sfnflow run FLOW.py), cd to its folder, set SFNFLOW_ROOT, "
            "or read a deployed flow's runs with SFNFLOW_DATASTORE=s3 (and SFNFLOW_BUCKET, SFNFLOW_TABLE)."
        )
    return root
