"""Stores: bytes (BlobStore), artifacts by content (ArtifactStore), run metadata (MetadataStore).

Protocols and records live in `base`; the local implementations (disk, SQLite) here;
S3 / DynamoDB ones sit beside them. Nothing here imports boto3 at module level.
"""
from __future__ import annotations

from .artifacts import ArtifactStore
from .base import (
    ATTEMPT_CAUGHT,
    ATTEMPT_FAILED,
    ATTEMPT_REUSED,
    ATTEMPT_RUNNING,
    ATTEMPT_SUCCEEDED,
    RUN_ABORTED,
    RUN_FAILED,
    RUN_RUNNING,
    RUN_SUCCEEDED,
    AttemptRecord,
    BlobStore,
    MetadataStore,
    RunRecord,
    TaskIndex,
    TaskRecord,
)
from .blobs import LOCAL_DIR_NAME, LocalBlobStore, resolve_local_root
from .sqlite_metadata import SqliteMetadataStore

__all__ = [
    "ATTEMPT_CAUGHT", "ATTEMPT_FAILED", "ATTEMPT_REUSED", "ATTEMPT_RUNNING", "ATTEMPT_SUCCEEDED",
    "ArtifactStore", "AttemptRecord", "BlobStore", "LOCAL_DIR_NAME", "LocalBlobStore", "MetadataStore",
    "RUN_ABORTED", "RUN_FAILED", "RUN_RUNNING", "RUN_SUCCEEDED", "RunRecord", "SqliteMetadataStore",
    "TaskIndex", "TaskRecord", "local_stores", "resolve_local_root",
]


def local_stores(root: str) -> tuple[ArtifactStore, SqliteMetadataStore]:
    """The artifact and metadata stores of a local root (see resolve_local_root)."""
    return ArtifactStore(LocalBlobStore(root)), SqliteMetadataStore(root)
