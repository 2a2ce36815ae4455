"""The Batch command's program part: bootstrap for the stock image, -m for a user's image.

The snippet travels as a single-quoted string literal inside `States.Array(...)`; the
intrinsic lexer treats ' { } \\ specially and refuses control characters, so none may
appear. (tests/cloud/test_stock_image.py runs it; tests/cloud checks moto's ASL parser
evaluates the compiled Command to the expected list.)
"""
from __future__ import annotations

import ast
from typing import Any

import pytest

from sfn_compiler.contract import envelope
from sfn_compiler.batch_bootstrap import STOCK_IMAGE_BOOTSTRAP, batch_command_prefix
from sfn_compiler.compile import CompileOptions, compile_flow
from sfn_compiler.dsl import FlowSpec, batch, step
from sfn_compiler.graph.builder import build_graph

PIP_ARGS = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target"]


def test_snippet_is_safe_in_an_asl_string_literal() -> None:
    assert not set(STOCK_IMAGE_BOOTSTRAP) & set("'{}\\")
    assert all(ord(c) >= 0x20 for c in STOCK_IMAGE_BOOTSTRAP)  # one line: no newline, no tab
    assert "$" not in STOCK_IMAGE_BOOTSTRAP  # nothing that reads like a JSONPath


def test_snippet_is_python_that_installs_boto3_only_when_missing() -> None:
    tree = ast.parse(STOCK_IMAGE_BOOTSTRAP)
    # Only simple statements: a compound one would swallow the rest of the line.
    assert all(not isinstance(node, (ast.If, ast.Try, ast.For, ast.While, ast.With)) for node in tree.body)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "check_call"]
    assert len(calls) == 1
    argv = [getattr(e, "value", None) for e in calls[0].args[0].elts]
    assert argv[1:7] == PIP_ARGS and argv[-1] == "boto3"
    guard = tree.body[2].value  # find_spec("boto3") or check_call(...)
    assert isinstance(guard, ast.BoolOp) and isinstance(guard.op, ast.Or)
    assert ast.unparse(guard.values[0]) == "importlib.util.find_spec('boto3')"
    assert STOCK_IMAGE_BOOTSTRAP.endswith("from runtime.batch_main import main;sys.exit(main(sys.argv[1:]))")


def test_runtime_reexports_the_one_copy() -> None:
    from runtime import batch_main

    assert batch_main.STOCK_IMAGE_BOOTSTRAP is STOCK_IMAGE_BOOTSTRAP


def test_command_prefix() -> None:
    assert batch_command_prefix(True) == ["python", "-m", "runtime.batch_main"]
    assert batch_command_prefix(False) == ["python", "-c", STOCK_IMAGE_BOOTSTRAP]


def test_command_template_default_is_the_bootstrap() -> None:
    template = envelope.batch_command_template("F", "s")
    assert template.startswith(f"States.Array('python', '-c', '{STOCK_IMAGE_BOOTSTRAP}', '--flow', 'F', ")
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
