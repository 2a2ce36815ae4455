"""`from sfnflow import S3` (or `from sfnflow.s3 import S3`): Metaflow's S3 client; see client.py."""
from .client import RUN_FOLDER, S3, S3GetObject, S3Object, S3PutObject
from .errors import (
    MetaflowS3AccessDenied,
    MetaflowS3Exception,
    MetaflowS3InvalidObject,
    MetaflowS3NotFound,
    MetaflowS3URLException,
)

__all__ = ["MetaflowS3AccessDenied", "MetaflowS3Exception", "MetaflowS3InvalidObject", "MetaflowS3NotFound",
           "MetaflowS3URLException", "RUN_FOLDER", "S3", "S3GetObject", "S3Object", "S3PutObject"]
