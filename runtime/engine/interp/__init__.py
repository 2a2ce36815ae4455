"""A small Step Functions interpreter for local runs: exactly the ASL subset sfnflow's
compiler emits, run on the engine's warm worker pool, with no moto or boto3 on its path.

    definition = load_definition(asl_text)            # DefinitionError if it needs more ASL
    execution = Execution(definition, name=run_id, input={...}, services=Services(workers),
                          threads=Threads(), map_bound=pool_size, fast_retries=True)
    outcome = execution.run()                          # Outcome(status, output, error, cause)

Modules: definition (load + validate + compile once), execution (states, Retry / Catch,
Parallel, Map), services (what each Task Resource does), paths / templates / intrinsics /
choice (the JSONPath dialect), concurrency (scopes, reused threads, timers), history
(event counts, state sizes, traces), map_run (the Distributed Map failure threshold).
moto's interpreter stays the oracle: tests/engine/test_differential.py runs the same
definitions through both and compares outcomes, states entered per branch and errors.
"""
from __future__ import annotations

from .concurrency import Scope, Threads, Timers
from .definition import Definition, load_definition
from .errors import Cancelled, DefinitionError, StatesError
from .execution import Execution, Outcome
from .history import History
from .services import Services, Workers

__all__ = ["Cancelled", "Definition", "DefinitionError", "Execution", "History", "Outcome", "Scope", "Services",
           "StatesError", "Threads", "Timers", "Workers", "load_definition"]
