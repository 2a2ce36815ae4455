"""One Lambda invocation, as the Lambda Python runtime makes it: import the handler, call it
with the event and a context, turn an exception into Lambda's error payload.

Both Lambda runners (lambdas.py) use this module: the in-process runner imports it; the
child-process runner runs its source with `python -c` in the unpacked code package, so
it must stay standard-library only and import nothing of sfnflow's (in the child, only
the code package is importable, as on Lambda).
"""
from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid
from typing import Any

RESULT_MARKER = "__SFNFLOW_RESULT__"  # the child's last line: marker + {"payload", "errored"}


class LambdaContext:
    """The parts of Lambda's context object a handler may read."""

    def __init__(self, function_name: str, function_arn: str, memory_mb: int, timeout_s: int) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = int(memory_mb)
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = self.aws_request_id
        self._deadline = time.monotonic() + int(timeout_s)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def import_handler(handler: str, code_folder: str) -> Any:
    """The handler function `module.attr`, imported from `code_folder` and nowhere else."""
    module_name, _, attr = handler.rpartition(".")
    module = importlib.import_module(module_name)
    where = os.path.realpath(getattr(module, "__file__", "") or "")
    if not where.startswith(os.path.realpath(code_folder) + os.sep):
        raise ImportError(f"handler module {module_name} was imported from {where}, not from the "
                          f"function's code package; the runner's module isolation failed")
    return getattr(module, attr)


def invoke(handler: str, event: Any, context: LambdaContext, code_folder: str) -> tuple[str, bool]:
    """(payload JSON, errored): the handler's result, or `{"errorType": <class name>, ...}`.

    Step Functions matches Retry / Catch on errorType, the exception's class name. The
    handler module must come from `code_folder` (the function's code package), or the
    invocation fails: code missing from the package must fail here as it would on Lambda.
    """
    try:
        function = import_handler(handler, code_folder)
        return json.dumps(function(event, context)), False
    except Exception as exc:
        error = {"errorType": type(exc).__name__, "errorMessage": str(exc),
                 "stackTrace": traceback.format_exc().splitlines()}
        return json.dumps(error), True


def main(argv: list[str]) -> None:
    """In the child: argv = handler, function name, ARN, memory MB, timeout s; event on stdin.

    With `--serve` first, a warm container: one event per stdin line, each answered by a
    result line, until stdin closes (the handler's module and its state stay loaded).
    """
    serve = bool(argv) and argv[0] == "--serve"
    handler, name, arn, memory_mb, timeout_s = argv[1:] if serve else argv
    if serve:
        try:  # Lambda's init phase, before the first event (a failure shows at the first invoke)
            import_handler(handler, os.getcwd())
        except Exception:
            pass
    lines = iter(sys.stdin.readline, "") if serve else iter([sys.stdin.read()])
    for line in lines:
        event = json.loads(line or "null")
        context = LambdaContext(name, arn, int(memory_mb), int(timeout_s))
        payload, errored = invoke(handler, event, context, os.getcwd())
        sys.stdout.flush()
        print(RESULT_MARKER + json.dumps({"payload": payload, "errored": errored}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
