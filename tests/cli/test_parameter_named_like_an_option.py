"""A flow parameter named like one of run's Metaflow-compatibility options (`--config`) wins
over the option, wherever it stands among run's other options."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from sfnflow import Flow, client
from sfnflow.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_config_parameter_is_the_flows_not_runs_config_option(tmp_path: Path) -> None:
    store = tmp_path / "store"
    done = CliRunner().invoke(main, ["run", str(EXAMPLES / "parameters.py"), "--config", '{"sep": "|"}',
                                     "--root", str(store), "--who", "bob"])
    assert done.exit_code == 0, done.output
    client.set_root(str(store))
    assert Flow("ParametersFlow").latest_run.data.config == {"sep": "|"}
