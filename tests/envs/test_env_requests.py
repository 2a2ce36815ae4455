"""What each step asks for (pure): @pypi/@conda merged over the flow's *_base, equal requests
shared, one Lambda function per environment in the deployment model, and `show` spelling
the decorators as written."""
from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest

from sfn_compiler.compile import compile_flow
from sfn_compiler.environments import EnvironmentRequest, requirement, step_environments
from sfn_compiler.graph.builder import build_graph
from sfn_compiler.loader import load_flow
from sfnflow.render import describe_decorator


def graph_of(tmp_path: Path, source: str):
    path = tmp_path / f"envflow_{uuid.uuid4().hex[:8]}.py"
    path.write_text("from sfnflow import FlowSpec, step, pypi, pypi_base, conda, conda_base, batch\n"
                    + textwrap.dedent(source))
    return build_graph(load_flow(str(path)))


FLOW = """
    @pypi_base(python="3.12", packages={"pandas": "2.2.3", "Six": ">=1.16"})
    class F(FlowSpec):
        @step
        def start(self):
            self.next(self.old)

        @pypi(python="3.11", packages={"pandas": "2.1.4", "idna": ""})
        @step
        def old(self):
            self.next(self.host)

        @conda(disabled=True)
        @step
        def host(self):
            self.next(self.same)

        @pypi(packages={"six": ">=1.16"})
        @step
        def same(self):
            self.next(self.end)

        @step
        def end(self):
            pass
"""


def test_step_spec_extends_and_overrides_the_flow_spec(tmp_path: Path) -> None:
    envs = step_environments(graph_of(tmp_path, FLOW))
    assert envs["start"] == EnvironmentRequest("3.12", (("pandas", "2.2.3"), ("six", ">=1.16")))
    # the step's pandas and python win; six (case-folded name) is inherited; idna is added
    assert envs["old"] == EnvironmentRequest("3.11", (("idna", ""), ("pandas", "2.1.4"), ("six", ">=1.16")))
    assert envs["old"].sources == ("@pypi_base(python='3.12', packages={'pandas': '2.2.3', 'Six': '>=1.16'})",
                                   "@pypi(python='3.11', packages={'pandas': '2.1.4', 'idna': ''})")
    assert "host" not in envs  # disabled=True: the default environment
    assert envs["same"] == envs["start"]  # restating the flow's six changes nothing
    assert envs["old"].requirements == ("idna", "pandas==2.1.4", "six>=1.16")


def test_a_disabled_flow_spec_leaves_steps_without_an_environment_unless_they_ask(tmp_path: Path) -> None:
    envs = step_environments(graph_of(tmp_path, """
        @conda_base(python="3.12", libraries={"pandas": "2.2.3"}, disabled=True)
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.end)

            @conda(python="3.11", disabled=False)
            @step
            def end(self):
                pass
    """))
    assert list(envs) == ["end"]
    assert envs["end"] == EnvironmentRequest("3.11", ())


def test_equal_requests_share_one_environment_and_one_lambda_function(tmp_path: Path) -> None:
    model = compile_flow(graph_of(tmp_path, FLOW)).model
    assert [(e.key, e.steps) for e in model.environments] == [
        ("py312_1", ("start", "same", "end")), ("py311_2", ("old",))]
    functions = {f.key: f for f in model.functions}
    assert set(functions) == {"default", "py312_1", "py311_2"}
    assert (functions["py312_1"].python, functions["py312_1"].steps) == ("3.12", ("start", "same", "end"))
    assert (functions["py311_2"].python, functions["py311_2"].python_env) == ("3.11", "py311_2")
    assert (functions["default"].python, functions["default"].steps) == (None, ("host",))


def test_a_batch_step_gets_a_job_definition_per_environment(tmp_path: Path) -> None:
    model = compile_flow(graph_of(tmp_path, """
        @pypi_base(python="3.12", packages={"six": "1.16.0"})
        class F(FlowSpec):
            @batch(cpu=2)
            @step
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                pass
    """)).model
    (job,) = model.job_definitions
    assert (job.key, job.python, job.python_env) == ("cpu2_mem4096_py312_1", "3.12", "py312_1")


def test_show_spells_the_decorators_as_written(tmp_path: Path) -> None:
    graph = graph_of(tmp_path, FLOW)
    assert describe_decorator(graph.flow_decorators[0]) == \
        "@pypi_base(python='3.12', packages={'pandas': '2.2.3', 'Six': '>=1.16'})"
    assert describe_decorator(graph["host"].decorators[0]) == "@conda(disabled=True)"


@pytest.mark.parametrize("name,spec,line", [("pandas", "2.2.3", "pandas==2.2.3"), ("pandas", ">=2, <3", "pandas>=2,<3"),
                                            ("idna", "", "idna"), ("moto[s3]", "5.0", "moto[s3]==5.0")])
def test_requirement_lines(name: str, spec: str, line: str) -> None:
    assert requirement(name, spec) == line


def test_conda_channels_are_refused_with_a_reason() -> None:
    from sfnflow import conda

    with pytest.raises(TypeError, match="conda channels do not apply"):
        conda(channels=["conda-forge"], libraries={"pandas": "2.2.3"})
