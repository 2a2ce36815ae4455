"""The S3 client's errors, under Metaflow's names (metaflow.plugins.datatools.s3)."""
from __future__ import annotations

from sfn_compiler.exceptions import MetaflowException

__all__ = ["MetaflowS3AccessDenied", "MetaflowS3Exception", "MetaflowS3InvalidObject", "MetaflowS3NotFound",
           "MetaflowS3URLException"]


class MetaflowS3Exception(MetaflowException):
    headline = "S3 access failed"


class MetaflowS3NotFound(MetaflowS3Exception):
    headline = "S3 object not found"


class MetaflowS3AccessDenied(MetaflowS3Exception):
    headline = "S3 access denied"


class MetaflowS3URLException(MetaflowS3Exception):
    headline = "S3 URL error"


class MetaflowS3InvalidObject(MetaflowS3Exception):
    headline = "Not a string-like object"
