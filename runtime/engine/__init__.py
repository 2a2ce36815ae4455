"""The embedded engine: compiled ASL run locally, tasks on warm local workers.

Public API: LocalEngine (context manager; .run(...) -> ExecutionResult), engine_name.
The default engine is the small interpreter (interp/); SFNFLOW_LOCAL_ENGINE=moto (or
LocalEngine(engine="moto")) runs moto's. Importing this package imports neither moto
nor boto3; only the moto engine's start() does. Cloud entry points never import it.
"""
from __future__ import annotations

from .local import ENGINE_ENV, ENGINES, ExecutionResult, LocalEngine, engine_name

__all__ = ["ENGINE_ENV", "ENGINES", "ExecutionResult", "LocalEngine", "engine_name"]
