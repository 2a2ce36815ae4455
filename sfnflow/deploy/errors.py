"""DeployError and the checks that produce it: one sentence saying what to do, no traceback."""
from __future__ import annotations

from sfn_compiler.diagnostics import SfnflowError

__all__ = ["DeployError", "require_cdk"]

INSTALL_HINT = 'pip install "sfnflow[deploy]"'


class DeployError(SfnflowError):
    """A deploy could not go on; the message says what to do."""


def require_cdk() -> None:
    """Raise DeployError unless aws-cdk-lib and constructs are importable (and node is on PATH)."""
    import shutil

    if not (_importable("aws_cdk") and _importable("constructs")):
        raise DeployError(f"synthesizing needs the AWS CDK libraries, which are not installed: run {INSTALL_HINT}.")
    if shutil.which("node") is None:
        raise DeployError("the AWS CDK libraries need Node.js, and `node` is not on PATH: install Node.js 20 or "
                          "newer (https://nodejs.org).")


def _importable(name: str) -> bool:
    import importlib.util
    import sys

    if name in sys.modules:
        return sys.modules[name] is not None  # None: imports of it are blocked
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
