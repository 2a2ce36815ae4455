"""@kubernetes (Metaflow's other compute decorator) is a resource request that the compute
rule maps onto Lambda or Batch, with a one-line note, not an ImportError."""
from __future__ import annotations

import textwrap
from pathlib import Path

from click.testing import CliRunner

from sfn_compiler.compile import compile_file
from sfn_compiler.compute import compute_notes
from sfnflow.cli import main

FLOW = '''
from sfnflow import FlowSpec, kubernetes, step


class KubeFlow(FlowSpec):
    @kubernetes(cpu=2, memory=4096)
    @step
    def start(self):
        self.x = 1
        self.next(self.train)

    @kubernetes(cpu=8, memory=32000, gpu=1, image="my/image:1")
    @step
    def train(self):
        self.next(self.end)

    @kubernetes(disk=20480)
    @step
    def end(self):
        pass
'''


def write(tmp_path: Path) -> Path:
    path = tmp_path / "kubeflow.py"
    path.write_text(textwrap.dedent(FLOW))
    return path


def test_small_requests_stay_on_lambda_and_large_ones_go_to_batch(tmp_path: Path) -> None:
    compiled = compile_file(str(write(tmp_path)))
    labels = compiled.model.compute_labels()
    assert labels["start"].startswith("lambda 4096 MB")
    assert labels["train"].startswith("batch") and labels["end"].startswith("batch")
    notes = compute_notes(compiled.graph)
    assert notes[0] == ("note: step 'start': @kubernetes(cpu=2, memory=4096) is read as a resource request; "
                        "sfnflow has no Kubernetes, so the step runs on AWS Lambda.")
    assert "image='my/image:1'" in notes[1] and notes[1].endswith("runs on AWS Batch.")


def test_show_prints_the_decorator_as_written_and_the_notes(tmp_path: Path) -> None:
    done = CliRunner().invoke(main, ["show", str(write(tmp_path))])
    assert done.exit_code == 0, done.output
    assert "@kubernetes(cpu=8, memory=32000, gpu=1, image='my/image:1')" in done.output
    assert done.output.count("is read as a resource request") == 3
