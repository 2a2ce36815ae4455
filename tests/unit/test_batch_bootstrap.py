"""The Batch command's program part: the launcher for the stock image, -m for a user's image.

The launcher travels as a single-quoted string literal inside `States.Array(...)`; the
intrinsic lexer treats ' { } \\ specially and refuses control characters, so none may
appear. (tests/cloud/test_stock_image.py runs it; tests/cloud checks moto's ASL parser
evaluates the compiled Command to the expected list.)
"""
from __future__ import annotations

import ast
from typing import Any

import pytest

from sfn_compiler.contract import envelope
from sfn_compiler.batch_bootstrap import STOCK_IMAGE_LAUNCHER, batch_command_prefix
from sfn_compiler.compile import CompileOptions, compile_flow
from sfn_compiler.dsl import FlowSpec, batch, step
from sfn_compiler.graph.builder import build_graph


def test_launcher_is_safe_in_an_asl_string_literal() -> None:
    assert not set(STOCK_IMAGE_LAUNCHER) & set("'{}\\")
    assert all(ord(c) >= 0x20 for c in STOCK_IMAGE_LAUNCHER)  # one line: no newline, no tab
    assert "$" not in STOCK_IMAGE_LAUNCHER  # nothing that reads like a JSONPath


def test_launcher_runs_the_job_definitions_bootstrap_and_installs_nothing() -> None:
    tree = ast.parse(STOCK_IMAGE_LAUNCHER)
    # Only simple statements: a compound one would swallow the rest of the line.
    assert all(not isinstance(node, (ast.If, ast.Try, ast.For, ast.While, ast.With)) for node in tree.body)
    assert ast.unparse(tree.body[-1]) == "exec(s)"
    assert "os.environ.get('SFNFLOW_BOOTSTRAP')" in ast.unparse(tree)
    assert "pip" not in STOCK_IMAGE_LAUNCHER and "install" not in STOCK_IMAGE_LAUNCHER
    assert len(STOCK_IMAGE_LAUNCHER) < 200  # the bootstrap lives in the job definition, not every Task state


def test_the_bootstrap_is_standard_library_only_and_installs_nothing() -> None:
    import sys

    from sfnflow.deploy.batch_support import bootstrap_source

    tree = ast.parse(bootstrap_source())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    # `runtime` is imported from the package it has just checked, after the check
    assert imported - {"runtime", "__future__"} <= set(sys.stdlib_module_names), imported
    assert "pip" not in imported and "subprocess" not in imported


def test_command_prefix() -> None:
    assert batch_command_prefix(True) == ["python", "-m", "runtime.batch_main"]
    assert batch_command_prefix(False) == ["python", "-c", STOCK_IMAGE_LAUNCHER]


def test_command_template_default_is_the_bootstrap() -> None:
    template = envelope.batch_command_template("F", "s")
    assert template.startswith(f"States.Array('python', '-c', '{STOCK_IMAGE_LAUNCHER}', '--flow', 'F', ")
    user = envelope.batch_command_template("F", "s", sfnflow_in_image=True)
    assert user.startswith("States.Array('python', '-m', 'runtime.batch_main', '--flow', 'F', ")
    # Same task arguments either way.
    assert template.split("'--flow'", 1)[1] == user.split("'--flow'", 1)[1]


def test_literal_with_special_characters_is_refused() -> None:
    for bad in ("it's", "a{b}", "back\\slash", "two\nlines"):
        with pytest.raises(ValueError, match="ASL intrinsic string literal"):
            envelope._asl_literal(bad)


class Images(FlowSpec):
    @batch(cpu=2, memory=4096)
    @step
    def start(self):
        self.next(self.custom)

    @batch(cpu=2, memory=4096, image="123456789012.dkr.ecr.us-east-1.amazonaws.com/mine:1")
    @step
    def custom(self):
        self.next(self.end)

    @step
    def end(self):
        pass


def _command(asl: dict[str, Any], state: str) -> str:
    return asl["States"][state]["Parameters"]["ContainerOverrides"]["Command.$"]


def test_emitter_picks_the_program_by_image() -> None:
    flow = compile_flow(build_graph(Images), CompileOptions(with_batch=True))
    assert _command(flow.asl, "start") == envelope.batch_command_template("Images", "start", is_start=True)
    assert "'-c'" in _command(flow.asl, "start")
    assert _command(flow.asl, "custom") == envelope.batch_command_template("Images", "custom",
                                                                           sfnflow_in_image=True)
    assert _command(flow.asl, "end").startswith("States.Array('python', '-c', ")  # --with batch: stock image
    images = {j.key: j.image for j in flow.model.job_definitions}
    assert images[flow.model.target("custom").key] is not None
    assert images[flow.model.target("start").key] is None
