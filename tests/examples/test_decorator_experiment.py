"""examples/decorator_experiment: each step runs with the Python and pandas its decorators
ask for, and the join reads every branch by name."""
from __future__ import annotations

import random
import string

import pytest
from conftest import EXAMPLES, run_id_of

from sfn_compiler.compile import compile_file

HERE = EXAMPLES / "decorator_experiment"
pytestmark = pytest.mark.slow


def test_versions_follow_the_decorators_and_the_recap_reads_each_branch(shell) -> None:
    done = shell.sfnflow("run", str(HERE / "decorator_experiment.py"), "--seed", "3")
    run_id = run_id_of(done.stdout + done.stderr)

    from sfnflow import Run, client

    client.set_root(str(shell.cwd / "store"))
    run = Run(f"DecoratorExperimentFlow/{run_id}")
    for step, python, pandas in (("start", "3.12.", "2.2.3"), ("check_version", "3.11.", "2.1.4"),
                                 ("end", "3.12.", "2.2.3")):
        ran = run[step].task.data.ran_with
        assert ran["python"].startswith(python) and ran["pandas"] == pandas, (step, ran)
    assert "check_version: Python 3.11." in run["check_version"].task.stdout
    pick = random.Random(3)
    something = random.Random(3)
    expected = {"number": pick.randint(1, 100), "letter": random.Random(3).choice(string.ascii_lowercase),
                "something": something.choice([something.randint(1, 100), something.choice(string.ascii_lowercase)])}
    assert run["recap"].task.data.recap_of == expected
    assert "give_letter gave" in run["recap"].task.stdout


def test_the_batch_variant_puts_one_branch_on_batch() -> None:
    labels = compile_file(str(HERE / "decorator_experiment_batch.py")).model.compute_labels()
    assert labels["give_something"].startswith("batch")
    assert all(labels[s].startswith("lambda") for s in labels if s != "give_something")
