"""OperateError: a deployed flow cannot be triggered, watched or read; the message says what to do."""
from __future__ import annotations

from sfn_compiler.diagnostics import SfnflowError

__all__ = ["OperateError"]


class OperateError(SfnflowError):
    """One sentence for the user: what is wrong and how to fix it. Nothing was started."""
