"""AWS Batch entry point: `python -m runtime.batch_main --flow F --step S --run R ...`.

That is the command in an image with sfnflow installed (@batch(image=...)). The default
stock Python image has neither sfnflow nor boto3, so there the command is
`python -c STOCK_IMAGE_LAUNCHER --flow F ...` (sfn_compiler/batch_bootstrap.py): it runs
runtime/stock_bootstrap.py, which fetches and checks the code package and a boto3 bundle
and calls main() from the package.

The arguments are the ones `sfn_compiler.contract.envelope.batch_command_template` puts in the
job's Command; configuration comes from the job definition's environment, as for Lambda
(sfn_compiler/contract/task_config.py), plus where the code package lives when the image
does not carry the flow: SFNFLOW_CODE_URL (s3://bucket/key) or SFNFLOW_CODE_KEY (its key
in SFNFLOW_BUCKET).

If the flow file is not under the package root (an image with sfnflow installed but not
this flow), the package is downloaded (ExpectedBucketOwner: SFNFLOW_BUCKET_OWNER), checked
against the deployer's SFNFLOW_CODE_SHA256 (else the sha256 in its content-addressed key),
unpacked to a temporary folder, put first on sys.path and made the
working directory (as /var/task is on Lambda); then the task runs.

Exit codes (Batch marks the job FAILED on any non-zero code; Step Functions then sees
States.TaskFailed): 0 success, 1 the user's code failed (its traceback is on stderr),
2 a platform failure (bad arguments, configuration, stores).
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import sys
import tempfile
import zipfile
from typing import Any, Mapping, Sequence

from sfn_compiler.contract.envelope import envelope_from_batch_args
from sfn_compiler.contract.task_config import (
    ENV_BUCKET,
    ENV_BUCKET_OWNER,
    ENV_CODE_KEY,
    ENV_CODE_SHA256,
    ENV_CODE_URL,
    ENV_FLOW_FILE,
)

from .errors import PlatformError, UserCodeError
from .lambda_handler import build_environment, package_root
from .log_location import begin_marker, end_marker
from .task import run_task, task_process

__all__ = ["EXIT_OK", "EXIT_PLATFORM", "EXIT_USER", "ensure_code", "main"]

EXIT_OK = 0
EXIT_USER = 1
EXIT_PLATFORM = 2

_SHA_IN_KEY = re.compile(r"([0-9a-f]{64})\.zip$")


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None,
         s3_client: Any = None, dynamodb_client: Any = None) -> int:
    """Run one task; return the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    environ = os.environ if environ is None else environ
    try:
        envelope = envelope_from_batch_args(argv)
    except (ValueError, TypeError, KeyError) as exc:
        return _report(EXIT_PLATFORM, f"bad task arguments {argv!r}: {exc}. The job's Command must come "
                                      "from the compiled state machine; redeploy the flow.")
    task_process()  # the flow's __main__ setup code runs in task processes, as under Metaflow
    pathspec = f"{envelope.flow}/{envelope.run}/{envelope.step}/{envelope.task}"
    print(begin_marker(pathspec, envelope.attempt), flush=True)
    try:
        return _run(envelope, environ, s3_client, dynamodb_client)
    finally:
        print(end_marker(pathspec, envelope.attempt), flush=True)


def _run(envelope: Any, environ: Mapping[str, str], s3_client: Any, dynamodb_client: Any) -> int:
    try:
        root = ensure_code(environ, s3_client=s3_client)
        env = build_environment(environ, "batch", root=root, s3_client=s3_client, dynamodb_client=dynamodb_client)
        run_task(envelope, env)
    except UserCodeError as exc:
        # run_task tees the step's output, so the user's traceback is already on stderr.
        return _report(EXIT_USER, str(exc))
    except PlatformError as exc:
        return _report(EXIT_PLATFORM, str(exc))
    except Exception as exc:  # a bug of ours: say so, with our traceback, and exit as a platform error
        import traceback

        traceback.print_exc()
        return _report(EXIT_PLATFORM, f"{type(exc).__name__}: {exc}")
    return EXIT_OK


def ensure_code(environ: Mapping[str, str], s3_client: Any = None) -> str:
    """The package root holding the flow file, downloading the code package if needed.

    Raises:
        PlatformError: the flow file is missing and no code package is named, or the
            download does not match its content-addressed key.
    """
    root = package_root()
    flow_file = environ.get(ENV_FLOW_FILE, "")
    if flow_file and os.path.isfile(os.path.join(root, flow_file)):
        return root  # the image carries the code (or this is a local run)
    bucket, key = _code_location(environ)
    if not key:
        raise PlatformError(f"the flow file {flow_file!r} is not in {root} and neither {ENV_CODE_URL} nor "
                            f"{ENV_CODE_KEY} names a code package to fetch; check the job definition.")
    client = s3_client if s3_client is not None else _s3_client()
    owner = {"ExpectedBucketOwner": environ[ENV_BUCKET_OWNER]} if environ.get(ENV_BUCKET_OWNER) else {}
    data = client.get_object(Bucket=bucket, Key=key, **owner)["Body"].read()
    in_key = _SHA_IN_KEY.search(key)
    expected = environ.get(ENV_CODE_SHA256) or (in_key.group(1) if in_key else "")
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise PlatformError(f"code package s3://{bucket}/{key} does not match its sha256; re-deploy the flow.")
    target = tempfile.mkdtemp(prefix="sfnflow-code-")
    zipfile.ZipFile(io.BytesIO(data)).extractall(target)
    if flow_file and not os.path.isfile(os.path.join(target, flow_file)):
        raise PlatformError(f"code package s3://{bucket}/{key} has no {flow_file!r}; re-deploy the flow.")
    sys.path.insert(0, target)  # the flow's local modules import from here
    os.chdir(target)  # relative paths in step code behave as on Lambda (/var/task)
    return target


def _code_location(environ: Mapping[str, str]) -> tuple[str, str]:
    url = environ.get(ENV_CODE_URL, "")
    if url:
        if not url.startswith("s3://") or "/" not in url[5:]:
            raise PlatformError(f"{ENV_CODE_URL} must look like s3://bucket/key, not {url!r}")
        bucket, _, key = url[5:].partition("/")
        return bucket, key
    return environ.get(ENV_BUCKET, ""), environ.get(ENV_CODE_KEY, "")


def _s3_client() -> Any:
    import boto3

    return boto3.client("s3")


def _report(code: int, message: str) -> int:
    kind = {EXIT_USER: "the step failed", EXIT_PLATFORM: "sfnflow failed"}.get(code, "")
    print(f"sfnflow: {kind}: {message}", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
