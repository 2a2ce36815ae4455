"""load_flow: a flow file -> its FlowSpec class; run_main_block: its `__main__` setup code.

The file is imported under its own stem (so classes it defines pickle by reference and
load again on a laptop), with its folder on sys.path (so its local modules import).
Any failure becomes a FlowDefinitionError with the file and line, never a traceback.

Metaflow runs a flow file as `__main__` in the launching process and in every task, so
the setup code of its `if __name__ == "__main__":` block (logging config, mlflow's
set_experiment, ...) happens there before the flow starts. sfnflow imports the file
under its stem instead (so the classes it defines are the same importable classes in
every process), and `run_main_block` runs that block's code in the module, stopping at
the `MyFlow()` call that would hand the command line over.
"""
from __future__ import annotations

import ast
import importlib.util
import os
import sys
import traceback
from types import ModuleType

from .diagnostics import Diagnostic, FlowDefinitionError
from .dsl import flowspec as _flowspec
from .dsl.flowspec import FlowCliReached, FlowSpec


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


def run_main_block(module: ModuleType) -> bool:
    """Run the code of the module's top-level `if __name__ == "__main__":` blocks in its namespace,
    up to the flow's `MyFlow()` call; False if it has none. Errors are the flow file's:
    FlowDefinitionError with its line."""
    path = os.path.abspath(getattr(module, "__file__", "") or "")
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename=path)
    except (OSError, SyntaxError):
        return False
    blocks = [node for node in tree.body if isinstance(node, ast.If) and _is_main_test(node.test)]
    if not blocks:
        return False
    body = ast.Module(body=[stmt for block in blocks for stmt in block.body], type_ignores=[])
    code = compile(body, path, "exec")
    previous = _flowspec.stop_at_cli
    _flowspec.stop_at_cli = True
    try:
        exec(code, module.__dict__)  # noqa: S102 - the user's own setup code, as `python flow.py` runs it
    except FlowCliReached:
        pass
    except Exception as exc:
        file, line = _user_frame(exc, path)
        raise FlowDefinitionError(
            [_diag(file, line, f"the flow's __main__ block failed: {type(exc).__name__}: {exc}.",
                   "Fix the setup code under `if __name__ == \"__main__\":`; it runs before every task.")]
        ) from exc
    finally:
        _flowspec.stop_at_cli = previous
    return True


def _is_main_test(test: ast.expr) -> bool:
    """`__name__ == "__main__"` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    strings = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(strings) == 1


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
