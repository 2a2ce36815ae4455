"""Problems in a user's flow, reported all at once as `file:line: step 'x': what. Fix.`"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnostic:
    check: str  # the name of the check that found it, e.g. "unknown-target"
    file: str
    line: int
    step: str | None
    message: str  # what is wrong, one sentence
    hint: str  # how to fix it, one sentence

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        what = f"step '{self.step}': " if self.step else ""
        return f"{where}{what}{self.message} {self.hint}".rstrip()


class SfnflowError(Exception):
    """Base of every error that reaches a user as a message, not a traceback."""


class FlowDefinitionError(SfnflowError):
    """The flow cannot be loaded or compiled; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))
