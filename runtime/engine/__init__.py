"""The embedded engine: compiled ASL run by moto's interpreter, tasks on warm local workers.

Public API: LocalEngine (context manager; .run(...) -> ExecutionResult). Importing this
package does not import moto; LocalEngine.start() does. Cloud entry points never import it.
"""
from __future__ import annotations

from .local import ExecutionResult, LocalEngine

__all__ = ["ExecutionResult", "LocalEngine"]
