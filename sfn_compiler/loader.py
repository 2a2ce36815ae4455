"""load_flow: a flow file -> its FlowSpec class.

The file is imported under its own stem (so classes it defines pickle by reference and
load again on a laptop), with its folder on sys.path (so its local modules import).
Any failure becomes a FlowDefinitionError with the file and line, never a traceback.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import traceback
from types import ModuleType

from .diagnostics import Diagnostic, FlowDefinitionError
from .dsl.flowspec import FlowSpec


def load_flow(path: str, class_name: str | None = None) -> type:
    """Import the flow file at `path` and return its FlowSpec subclass."""
    module = load_module(path)
    return find_flow_class(module, path, class_name)


def load_module(path: str) -> ModuleType:
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise FlowDefinitionError([_diag(path, 0, f"no flow file at {path}.", "Check the path.")])
    folder, filename = os.path.split(path)
    module_name = os.path.splitext(filename)[0]
    existing = sys.modules.get(module_name)
    if existing is not None and os.path.abspath(getattr(existing, "__file__", "") or "") == path:
        return existing
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(module_name, None)
        raise FlowDefinitionError(
            [_diag(exc.filename or path, exc.lineno or 0, f"syntax error: {exc.msg}.", "Fix the Python syntax.")]
        ) from exc
    except Exception as exc:  # the user's module raised while importing
        sys.modules.pop(module_name, None)
        file, line = _user_frame(exc, path)
        raise FlowDefinitionError(
            [_diag(file, line, f"importing the flow failed: {type(exc).__name__}: {exc}.",
                   "Fix the error above; the flow file must import without side effects.")]
        ) from exc
    return module


def find_flow_class(module: ModuleType, path: str, class_name: str | None = None) -> type:
    classes = [
        value for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, FlowSpec) and value is not FlowSpec
        and value.__module__ == module.__name__
    ]
    if class_name:
        classes = [c for c in classes if c.__name__ == class_name]
    # A file may define a base flow and a subclass of it: the most derived one is the flow.
    leaves = [c for c in classes if not any(o is not c and issubclass(o, c) for o in classes)]
    if len(leaves) == 1:
        return leaves[0]
    if not leaves:
        what = f"no FlowSpec subclass named {class_name}" if class_name else "no FlowSpec subclass"
        raise FlowDefinitionError([_diag(path, 0, f"{what} in this file.",
                                         "Define `class MyFlow(FlowSpec):` with @step methods.")])
    names = ", ".join(sorted(c.__name__ for c in leaves))
    raise FlowDefinitionError([_diag(path, 0, f"several flows in one file ({names}).",
                                     "Keep one flow per file.")])


def _user_frame(exc: BaseException, path: str) -> tuple[str, int]:
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        if os.path.abspath(frame.filename) == path:
            return frame.filename, frame.lineno or 0
    if frames:
        return frames[-1].filename, frames[-1].lineno or 0
    return path, 0


def _diag(file: str, line: int, message: str, hint: str) -> Diagnostic:
    return Diagnostic(check="load", file=file, line=line, step=None, message=message, hint=hint)
