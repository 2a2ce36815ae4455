"""NBRunner: run the flow class a notebook cell defines, as Metaflow's NBRunner does.

    class TrainFlow(FlowSpec):
        ...
    run = NBRunner(TrainFlow).nbrun(alpha=0.3)      # last line of the same cell

A flow runs from a file (its steps run in other processes, which import it), so the cell's
text up to the end of the flow class is written to a file in `base_dir` (the notebook's
folder by default, so the cell's local imports resolve) and run with Runner; the file is
deleted by nbrun()/nbresume() or cleanup(). Outside IPython, a class defined in a file is
run from that file.
"""
from __future__ import annotations

import ast
import inspect
import os
import tempfile
from typing import Any, Mapping

from sfn_compiler.diagnostics import SfnflowError

from .runner import ExecutingRun, Runner

__all__ = ["NBRunner", "NBRunnerInitializationError"]


class NBRunnerInitializationError(SfnflowError):
    """The flow's source cannot be found (not a notebook cell, nor a file)."""


class NBRunner:
    """Runner over a flow class defined in the current notebook cell."""

    def __init__(self, flow: type, show_output: bool = True, profile: str | None = None,
                 env: Mapping[str, str] | None = None, base_dir: str | None = None,
                 file_read_timeout: int = 3600, **kwargs: Any) -> None:
        self.flow = flow
        self.base_dir = os.path.abspath(base_dir or os.getcwd())
        env = {**(env or {}), "JPY_PARENT_PID": ""}  # the child is not a kernel of the notebook server
        self.tmp_flow_file: str | None = None
        source = _cell_source(flow)
        if source is None:
            path = _file_of(flow)
        else:
            handle = tempfile.NamedTemporaryFile("w", prefix=f"{flow.__name__}_", suffix=".py", dir=self.base_dir,
                                                 delete=False, encoding="utf-8")
            with handle:
                handle.write(source)
            path = self.tmp_flow_file = handle.name
        self.runner = Runner(path, show_output=show_output, profile=profile, env=env, cwd=self.base_dir,
                             file_read_timeout=file_read_timeout, **kwargs)

    def nbrun(self, **kwargs: Any) -> Any:
        """Run and wait; return the client's Run (and clean up), the notebook habit."""
        try:
            return self.runner.run(**kwargs).run
        finally:
            self.cleanup()

    def nbresume(self, **kwargs: Any) -> Any:
        try:
            return self.runner.resume(**kwargs).run
        finally:
            self.cleanup()

    def run(self, **kwargs: Any) -> ExecutingRun:
        return self.runner.run(**kwargs)

    def resume(self, **kwargs: Any) -> ExecutingRun:
        return self.runner.resume(**kwargs)

    async def async_run(self, **kwargs: Any) -> ExecutingRun:
        return await self.runner.async_run(**kwargs)

    async def async_resume(self, **kwargs: Any) -> ExecutingRun:
        return await self.runner.async_resume(**kwargs)

    def cleanup(self) -> None:
        """Delete the cell's flow file and the runner's temporary files."""
        if self.tmp_flow_file and os.path.exists(self.tmp_flow_file):
            os.remove(self.tmp_flow_file)
        self.runner.cleanup()


def _cell_source(flow: type) -> str | None:
    """The running cell's text up to the end of `flow`'s class, as a flow file; None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None:
        return None
    cell = shell.history_manager.input_hist_raw[-1] if shell.history_manager.input_hist_raw else ""
    try:
        tree = ast.parse(cell)
    except SyntaxError:
        return None
    found = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == flow.__name__]
    if not found:
        raise NBRunnerInitializationError(
            f"NBRunner({flow.__name__}): the current cell does not define class {flow.__name__}; call NBRunner "
            "in the cell that defines the flow (its last line).")
    lines = cell.splitlines()[: found[-1].end_lineno]
    return "\n".join([*lines, "", "", 'if __name__ == "__main__":', f"    {flow.__name__}()", ""])


def _file_of(flow: type) -> str:
    try:
        path = inspect.getsourcefile(flow)
    except TypeError:
        path = None
    if not path or not os.path.isfile(path):
        raise NBRunnerInitializationError(
            f"NBRunner({getattr(flow, '__name__', flow)}): no notebook cell or file defines this flow class; "
            "define it in the cell that calls NBRunner, or use Runner('flow.py').")
    return path
