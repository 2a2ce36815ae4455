"""DeployError and the checks that produce it: one sentence saying what to do, no traceback."""
from __future__ import annotations

from sfn_compiler.diagnostics import SfnflowError

__all__ = ["DeployError", "require_cdk"]

INSTALL_HINT = 'pip install "sfnflow[deploy]"'


class DeployError(SfnflowError):
    """A deploy could not go on; the message says what to do."""


def require_cdk() -> None:
    """Raise DeployError unless aws-cdk-lib and constructs are importable (and node is on PATH)."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("aws_cdk") is None or importlib.util.find_spec("constructs") is None:
        raise DeployError(f"synthesizing needs the AWS CDK libraries, which are not installed: run {INSTALL_HINT}.")
    if shutil.which("node") is None:
        raise DeployError("the AWS CDK libraries need Node.js, and `node` is not on PATH: install Node.js 20 or "
                          "newer (https://nodejs.org).")
