"""How user mistakes reach the terminal: a message on stderr and exit 1, never a traceback."""
from __future__ import annotations

import functools
from typing import Any, Callable

import click

from sfn_compiler.diagnostics import FlowDefinitionError, SfnflowError


class UserError(click.ClickException):
    """Printed as `Error: <message>` on stderr; exit status 1."""


def reports_user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our own error types into clean messages (diagnostics one per line)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FlowDefinitionError as exc:
            count = len(exc.diagnostics)
            lines = [str(d) for d in exc.diagnostics]
            if count == 1:  # one problem: one line, `Error: file:line: what. Fix.`
                raise UserError(lines[0]) from None
            raise UserError(f"the flow has {count} problems:\n" + "\n".join(lines)) from None
        except SfnflowError as exc:
            error = UserError(str(exc))
            # A run stopped with Ctrl-C exits as interrupted programs do (128 + SIGINT).
            error.exit_code = getattr(exc, "exit_code", 1)
            raise error from None

    return wrapper
