"""AWS Lambda entry point: one task envelope in, run_task, its small result out.

Thin on purpose: configuration comes from the function's environment (set by the
deployer), the stores and the TaskEnvironment are built once per container and reused
by warm invocations, and everything else is `runtime.task.run_task`. The variables
(SFNFLOW_BUCKET, SFNFLOW_TABLE, SFNFLOW_FLOW_FILE, SFNFLOW_PREFIX) are the task
configuration of sfn_compiler/contract/task_config.py; the flow file is relative to the
package root (the folder holding `runtime/`: the unpacked code package, /var/task on Lambda).

Errors keep their class names, because Lambda reports an exception's class name as the
error name Step Functions matches in Retry/Catch: `UserCodeError` (the step's code
failed) and `PlatformError` (anything else, including a malformed envelope or missing
configuration). Cold start: this module imports the runtime but not boto3, which is
imported when the first store makes its client (see `python -X importtime`).
"""
from __future__ import annotations

import os
from typing import Any, Mapping

from sfn_compiler.contract.envelope import TaskEnvelope
from sfn_compiler.contract.task_config import ENV_BUCKET, ENV_BUCKET_OWNER, ENV_FLOW_FILE, ENV_PREFIX, ENV_TABLE, REQUIRED

from .errors import PlatformError, TaskError
from .log_location import begin_marker, end_marker
from .task import TaskEnvironment, run_task, task_process

__all__ = ["build_environment", "handler", "package_root"]

_MAX_CACHED_RUNS = 256  # a warm container serves many runs over hours; keep its run cache small

_cached: tuple[tuple[str, ...], TaskEnvironment] | None = None


def package_root() -> str:
    """The folder that holds the `runtime` package (the code package's root)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_environment(environ: Mapping[str, str], compute: str, root: str | None = None,
                      s3_client: Any = None, dynamodb_client: Any = None) -> TaskEnvironment:
    """The TaskEnvironment the SFNFLOW_* variables describe (clients made lazily if not given).

    Raises:
        PlatformError: a required variable is missing (a deployment problem, not the user's).
    """
    from .stores.artifacts import ArtifactStore
    from .stores.dynamodb import DynamoMetadataStore
    from .stores.s3 import S3BlobStore

    missing = [name for name in REQUIRED if not environ.get(name)]
    if missing:
        raise PlatformError(f"the task's environment lacks {', '.join(missing)}; redeploy the flow "
                            "(the deployer sets these on every Lambda function and Batch job definition).")
    flow_file = os.path.join(root or package_root(), environ[ENV_FLOW_FILE])
    blobs = S3BlobStore(environ[ENV_BUCKET], environ.get(ENV_PREFIX, ""), client=s3_client,
                        expected_owner=environ.get(ENV_BUCKET_OWNER, ""))
    metadata = DynamoMetadataStore(environ[ENV_TABLE], client=dynamodb_client)
    return TaskEnvironment(flow_file=flow_file, artifacts=ArtifactStore(blobs), metadata=metadata,
                           compute=compute, tee=True)  # tee: CloudWatch reads the real stdout/stderr


def _environment() -> TaskEnvironment:
    global _cached
    config = tuple(os.environ.get(n, "") for n in (ENV_BUCKET, ENV_TABLE, ENV_FLOW_FILE, ENV_PREFIX, ENV_BUCKET_OWNER))
    if _cached is None or _cached[0] != config:
        _cached = (config, build_environment(os.environ, "lambda"))
    env = _cached[1]
    if len(env.runs) > _MAX_CACHED_RUNS:
        env.runs.clear()
    return env


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Run the task the event (a TaskEnvelope payload) names; return its result dict."""
    try:
        envelope = TaskEnvelope.from_payload(event)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise PlatformError(f"malformed task envelope ({type(exc).__name__}: {exc}); "
                            "the state machine and the deployed code disagree, redeploy the flow.") from exc
    task_process()  # the flow's __main__ setup code runs in task processes, as under Metaflow
    pathspec = f"{envelope.flow}/{envelope.run}/{envelope.step}/{envelope.task}"
    # Markers: a warm container's log stream holds many tasks; `sfnflow logs` reads between them.
    print(begin_marker(pathspec, envelope.attempt), flush=True)
    try:
        return run_task(envelope, _environment())
    except TaskError:
        raise  # UserCodeError / PlatformError: the names Step Functions matches
    except Exception as exc:
        raise PlatformError(f"task {envelope.path}: "
                            f"{type(exc).__name__}: {exc}", step=envelope.step, task=envelope.task) from exc
    finally:
        print(end_marker(pathspec, envelope.attempt), flush=True)
