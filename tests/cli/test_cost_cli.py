"""`sfnflow cost`: an estimate from a flow file, the cost of a finished run, and one-sentence errors."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from sfn_compiler.compile import compile_file
from sfnflow.cli import main
from sfnflow.cost.estimate import Assumptions, price, shape_of_flow
from sfnflow.cost.prices import DEFAULT_PRICES

ROOT = Path(__file__).resolve().parents[2]
FOREACH = str(ROOT / "examples" / "foreach.py")


def _total(text: str, column: int) -> str:
    line = next(line for line in text.splitlines() if line.strip().startswith("total"))
    return line.split()[1 + column]


def test_an_estimate_shows_both_deploys_and_their_totals() -> None:
    result = CliRunner().invoke(main, ["cost", FOREACH, "--foreach-width", "start=5000", "--seconds", "5"])
    assert result.exit_code == 0, result.output
    assumptions = Assumptions(widths={"start": 5000}, default_seconds=5.0)
    compiled = compile_file(FOREACH)
    ours = price(shape_of_flow(compiled, assumptions, DEFAULT_PRICES), DEFAULT_PRICES, assumptions).total
    theirs = price(shape_of_flow(compiled, assumptions, DEFAULT_PRICES, on_batch=True), DEFAULT_PRICES,
                   assumptions).total
    assert (_total(result.output, 0), _total(result.output, 1)) == (f"${ours:,.4f}", f"${theirs:,.4f}")
    assert "as of 2026-12-01" in result.output and "foreach start: 5000 items, Distributed Map" in result.output
    assert "every step on Batch (as Metaflow deploys it)" in result.output
    assert "Distributed Map children as Express executions" in result.output


def test_prices_can_be_overridden(tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"as_of": "2027-02-01", "lambda_gb_second_x86": 0.0}))
    result = CliRunner().invoke(main, ["cost", FOREACH, "--prices", str(prices), "--by-step"])
    assert result.exit_code == 0, result.output
    assert "as of 2027-02-01" in result.output
    assert "lambda 1024 MB" in result.output  # --by-step lists each step's compute


def test_a_finished_run_is_priced_from_its_attempts(tmp_path: Path, monkeypatch: Any) -> None:
    flow = tmp_path / "foreach.py"
    shutil.copy(FOREACH, flow)
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "store"
    ran = CliRunner().invoke(main, ["run", str(flow), "--root", str(store)])
    assert ran.exit_code == 0, ran.output
    run_id = next(p.name for p in (store / "ForeachFlow").iterdir() if p.name not in ("data",) and p.is_dir())
    result = CliRunner().invoke(main, ["cost", f"ForeachFlow/{run_id}", "--root", str(store)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"ForeachFlow/{run_id}: cost of its 7 attempts")
    assert "7 attempts as recorded" in result.output and "foreach start: 4 items, inline Map" in result.output
    alone = CliRunner().invoke(main, ["cost", run_id, "--root", str(store)])  # the flow found by run id
    assert alone.exit_code == 0 and _total(alone.output, 0) == _total(result.output, 0)


def test_mistakes_are_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "prices.json"
    bad.write_text('{"lambda_per_request": 1}')
    cases = {
        ("cost", FOREACH, "--prices", str(bad)): "unknown price field(s) lambda_per_request",
        ("cost", FOREACH, "--foreach-width", "start=many"): "--foreach-width 'start=many': give a number",
        ("cost", "NoSuchRun", "--root", str(tmp_path)): "NoSuchRun is neither a flow file nor a run id",
    }
    for args, message in cases.items():
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code != 0 and message in result.output, result.output
        assert "Traceback" not in result.output
