"""The start of a Batch job's command line: which program turns the arguments into a task.

Two kinds of image run Batch steps:

* the default image, a stock `python:<major.minor>-slim` (cdk/config.py): Python and pip,
  but neither sfnflow nor boto3. The command is `python -c STOCK_IMAGE_BOOTSTRAP --flow ...`:
  the snippet pip-installs boto3 if it is missing, downloads the flow's code package
  (which carries sfnflow, the flow and cloudpickle) from S3, unpacks it, puts it first on
  sys.path and runs `runtime.batch_main.main` from it.
* an image the user named with `@batch(image=...)`: it must have sfnflow (and boto3)
  installed, and the command is `python -m runtime.batch_main --flow ...`.

The snippet is the one copy; runtime.batch_main re-exports it. It is written into the ASL
as a single-quoted string inside `States.Array(...)`, whose lexer gives `'`, `{`, `}` and
`\\` special meanings and refuses control characters: the snippet holds none of them, so
it is one line of `;`-separated statements with double-quoted strings, and no `if`/`try`
(a compound statement would swallow every statement after it on that line).
Standard library only until boto3 is importable.
"""
from __future__ import annotations

from .contract.task_config import BATCH_ENTRY_COMMAND, BATCH_MAIN_MODULE, ENV_BUCKET, ENV_CODE_KEY, ENV_CODE_URL

__all__ = ["BATCH_MAIN_MODULE", "STOCK_IMAGE_BOOTSTRAP", "batch_command_prefix", "batch_command_prefixes"]

# Where the code package is: SFNFLOW_CODE_URL (s3://bucket/key) or SFNFLOW_CODE_KEY in
# SFNFLOW_BUCKET (contract/task_config.py), as runtime.batch_main.ensure_code reads them.
STOCK_IMAGE_BOOTSTRAP = ";".join([
    "import importlib.util,io,os,subprocess,sys,tempfile,zipfile",
    # No boto3 in a stock image: pip it into a fresh folder (the task needs a route to PyPI).
    "t=tempfile.mkdtemp(prefix=\"sfnflow-boto3-\")",
    "importlib.util.find_spec(\"boto3\") or subprocess.check_call([sys.executable,\"-m\",\"pip\",\"install\","
    "\"--quiet\",\"--disable-pip-version-check\",\"--target\",t,\"boto3\"])",
    "sys.path.insert(0,t)",
    "import boto3",
    "e=os.environ",
    f"u=e.get(\"{ENV_CODE_URL}\") or \"s3://\"+e[\"{ENV_BUCKET}\"]+\"/\"+e[\"{ENV_CODE_KEY}\"]",
    "b,k=u[5:].split(\"/\",1)",
    "d=tempfile.mkdtemp(prefix=\"sfnflow-code-\")",
    "zipfile.ZipFile(io.BytesIO(boto3.client(\"s3\").get_object(Bucket=b,Key=k)[\"Body\"].read())).extractall(d)",
    # The package first on sys.path, and the working folder (as /var/task is on Lambda).
    "sys.path.insert(0,d)",
    "os.chdir(d)",
    f"from {BATCH_MAIN_MODULE} import main",
    "sys.exit(main(sys.argv[1:]))",
])


def batch_command_prefix(sfnflow_in_image: bool) -> list[str]:
    """The program part of a Batch command; the task's `--name value` arguments follow it.

    Args:
        sfnflow_in_image: True for a user's `@batch(image=...)` (sfnflow installed there);
            False for the default stock image, which gets the bootstrap.
    """
    if sfnflow_in_image:
        return list(BATCH_ENTRY_COMMAND)
    return ["python", "-c", STOCK_IMAGE_BOOTSTRAP]


def batch_command_prefixes() -> tuple[list[str], list[str]]:
    """Both program parts, for reading a command back whichever image it was built for."""
    return batch_command_prefix(True), batch_command_prefix(False)
