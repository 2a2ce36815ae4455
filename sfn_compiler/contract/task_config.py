"""The task configuration: what a deployer sets on every Lambda function and Batch job
definition, and what the task runtime reads back. Every `SFNFLOW_*` name is spelled here.

A deployed task finds its stores and its flow through environment variables:

    SFNFLOW_BUCKET     artifact bucket                                       (required)
    SFNFLOW_TABLE      metadata table (DynamoDB)                             (required)
    SFNFLOW_FLOW_FILE  the flow file, relative to the code package's root    (required)
    SFNFLOW_PREFIX     key prefix inside the bucket                          (optional)
    SFNFLOW_BUCKET_OWNER  the account that must own the bucket (ExpectedBucketOwner)  (optional)
    SFNFLOW_CODE_KEY   Batch only: the code package's key in SFNFLOW_BUCKET, or
    SFNFLOW_CODE_URL   Batch only: s3://bucket/key of the code package
    SFNFLOW_CODE_SHA256  Batch only: the package's sha256, checked before any of it runs
    SFNFLOW_REGION     Batch only: the bucket's Region (the stock-image bootstrap signs for it)
    SFNFLOW_BOOTSTRAP  Batch, stock image: the bootstrap's source (runtime/stock_bootstrap.py)
    SFNFLOW_DEPS_KEY, SFNFLOW_DEPS_SHA256  Batch, stock image: the boto3 bundle and its sha256

The Lambda functions run `LAMBDA_HANDLER`; a Batch job definition's own command is
`BATCH_ENTRY_COMMAND` (each Task state overrides it with the full command line, see
sfn_compiler/batch_bootstrap.py). The other names are read on the user's machine.
"""
from __future__ import annotations

__all__ = [
    "BATCH_ENTRY_COMMAND",
    "BATCH_MAIN_MODULE",
    "ENV_BOOTSTRAP",
    "ENV_BUCKET",
    "ENV_BUCKET_OWNER",
    "ENV_CDK_FLOW",
    "ENV_CODE_KEY",
    "ENV_CODE_SHA256",
    "ENV_CODE_URL",
    "ENV_DATASTORE",
    "ENV_DEPS_KEY",
    "ENV_DEPS_SHA256",
    "ENV_ENVIRONMENT",
    "ENV_ENV_CACHE",
    "ENV_FLOW_FILE",
    "ENV_HOME",
    "ENV_LOCAL_ENGINE",
    "ENV_PREFIX",
    "ENV_PYTHONS",
    "ENV_REGION",
    "ENV_ROOT",
    "ENV_RUN_PARAMETER_PREFIX", "ENV_QUIET", "ENV_WITH", "ENV_CONFIG",
    "ENV_SYNTH_CACHE",
    "ENV_TABLE",
    "ENV_USER",
    "LAMBDA_HANDLER",
    "REQUIRED",
    "SETTING_PREFIX",
    "batch_environment",
    "is_setting",
    "task_environment",
]

SETTING_PREFIX = "SFNFLOW_"

# -- set by the deployer, read by runtime.lambda_handler / runtime.batch_main ---------------
ENV_BUCKET = "SFNFLOW_BUCKET"
ENV_TABLE = "SFNFLOW_TABLE"
ENV_FLOW_FILE = "SFNFLOW_FLOW_FILE"
ENV_PREFIX = "SFNFLOW_PREFIX"
ENV_CODE_KEY = "SFNFLOW_CODE_KEY"
ENV_CODE_URL = "SFNFLOW_CODE_URL"
ENV_BUCKET_OWNER = "SFNFLOW_BUCKET_OWNER"
ENV_CODE_SHA256 = "SFNFLOW_CODE_SHA256"
ENV_REGION = "SFNFLOW_REGION"
ENV_BOOTSTRAP = "SFNFLOW_BOOTSTRAP"
ENV_DEPS_KEY = "SFNFLOW_DEPS_KEY"
ENV_DEPS_SHA256 = "SFNFLOW_DEPS_SHA256"
REQUIRED = (ENV_BUCKET, ENV_TABLE, ENV_FLOW_FILE)
ENV_ENVIRONMENT = "SFNFLOW_ENVIRONMENT"  # the step environment's hash, where a step runs in one

# -- read on the user's machine ---------------------------------------------------------------
ENV_ROOT = "SFNFLOW_ROOT"  # the local store root (runtime.stores.blobs.find_root)
ENV_DATASTORE = "SFNFLOW_DATASTORE"  # the client reads "local" (default) or "s3" stores
ENV_USER = "SFNFLOW_USER"  # who started a run (else $USER)
ENV_CDK_FLOW = "SFNFLOW_FLOW"  # the flow file cdk/app.py synthesizes (else the `flow` context value)
ENV_LOCAL_ENGINE = "SFNFLOW_LOCAL_ENGINE"  # the local engine: "interp" (default) or "moto"
ENV_SYNTH_CACHE = "SFNFLOW_CACHE_DIR"  # where synthesized templates are cached (else ~/.cache/sfnflow)
ENV_ENV_CACHE = "SFNFLOW_ENV_CACHE"  # where step environments' venvs are cached
ENV_PYTHONS = "SFNFLOW_PYTHONS"  # more Python interpreters for step environments, os.pathsep-separated
ENV_HOME = "SFNFLOW_HOME"  # the folder of the deployments profile (else ~/.sfnflow)
ENV_CONFIG = "SFNFLOW_CONFIG"  # `--config` / `--config-value` for the task processes: JSON {name: [kind, text]}
ENV_QUIET = "SFNFLOW_QUIET"  # 1: no live step output on the terminal (as `--quiet`)
ENV_WITH = "SFNFLOW_WITH"  # `run --with` decorators, for the task processes: JSON list of "name:k=v,..."
ENV_RUN_PARAMETER_PREFIX = "SFNFLOW_RUN_"  # SFNFLOW_RUN_<NAME>: a parameter's default (as METAFLOW_RUN_<NAME>)

# -- the programs the deployables run -------------------------------------------------------
LAMBDA_HANDLER = "runtime.lambda_handler.handler"
BATCH_MAIN_MODULE = "runtime.batch_main"
BATCH_ENTRY_COMMAND = ("python", "-m", BATCH_MAIN_MODULE)


def task_environment(bucket: str, table: str, flow_file: str, prefix: str = "",
                     bucket_owner: str = "") -> dict[str, str]:
    """The variables every Lambda function and Batch job definition of a flow gets."""
    # ENV_DATASTORE: the client inside a step (`Flow("Other")`) reads this same datastore.
    env = {ENV_BUCKET: bucket, ENV_TABLE: table, ENV_FLOW_FILE: flow_file, ENV_DATASTORE: "s3"}
    if prefix:
        env[ENV_PREFIX] = prefix
    if bucket_owner:
        env[ENV_BUCKET_OWNER] = bucket_owner
    return env


def batch_environment(bucket: str, table: str, flow_file: str, code_key: str, prefix: str = "",
                      bucket_owner: str = "", code_sha256: str = "", region: str = "") -> dict[str, str]:
    """A Batch job definition's variables: the task's, plus where its code package is and its hash."""
    env = {**task_environment(bucket, table, flow_file, prefix, bucket_owner), ENV_CODE_KEY: code_key}
    if code_sha256:
        env[ENV_CODE_SHA256] = code_sha256
    if region:
        env[ENV_REGION] = region
    return env


def is_setting(name: str) -> bool:
    """An sfnflow setting, which a task's own environment must not inherit from the machine running it."""
    return name.startswith(SETTING_PREFIX)
