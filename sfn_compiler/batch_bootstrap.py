"""The start of a Batch job's command line: which program turns the arguments into a task.

Two kinds of image run Batch steps:

* the default image, a stock `python:<major.minor>-slim` pinned by digest (cdk/pins.py):
  Python, but neither sfnflow nor boto3. The command is `python -c STOCK_IMAGE_LAUNCHER
  --flow ...`; the launcher executes the bootstrap the job definition carries in
  `SFNFLOW_BOOTSTRAP` (the source of runtime/stock_bootstrap.py), which fetches the code
  package and a boto3 bundle from the datastore bucket with a SigV4-signed GET of its own,
  checks each against the sha256 the deployer wrote into the job definition, and only then
  runs `runtime.batch_main.main` from the package. Nothing is installed at task start.
* an image the user named with `@batch(image=...)`: it must have sfnflow (and boto3)
  installed, and the command is `python -m runtime.batch_main --flow ...`.

The launcher is written into the ASL as a single-quoted string inside `States.Array(...)`,
whose lexer gives `'`, `{`, `}` and `\\` special meanings and refuses control characters:
it holds none of them, one line of `;`-separated simple statements. It is short on
purpose: the bootstrap itself lives in the job definition, not in every Task state.
"""
from __future__ import annotations

from .contract.task_config import BATCH_ENTRY_COMMAND, BATCH_MAIN_MODULE, ENV_BOOTSTRAP

__all__ = ["BATCH_MAIN_MODULE", "STOCK_IMAGE_LAUNCHER", "batch_command_prefix", "batch_command_prefixes"]

# A job definition without the bootstrap (an old deploy) says so instead of a traceback.
STOCK_IMAGE_LAUNCHER = ";".join([
    "import os,sys",
    f"s=os.environ.get(\"{ENV_BOOTSTRAP}\")",
    f"s or sys.exit(\"sfnflow: this job definition has no {ENV_BOOTSTRAP}: redeploy the flow\")",
    "exec(s)",
])


def batch_command_prefix(sfnflow_in_image: bool) -> list[str]:
    """The program part of a Batch command; the task's `--name value` arguments follow it.

    Args:
        sfnflow_in_image: True for a user's `@batch(image=...)` (sfnflow installed there);
            False for the default stock image, which gets the bootstrap.
    """
    if sfnflow_in_image:
        return list(BATCH_ENTRY_COMMAND)
    return ["python", "-c", STOCK_IMAGE_LAUNCHER]


def batch_command_prefixes() -> tuple[list[str], list[str]]:
    """Both program parts, for reading a command back whichever image it was built for."""
    return batch_command_prefix(True), batch_command_prefix(False)
