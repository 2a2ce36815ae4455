"""`sfnflow cost`: what one run of a flow costs on AWS, next to what it would cost with every step on Batch.

    sfnflow cost flow.py --foreach-width start=1000 --seconds 2      # an estimate from the flow's shape
    sfnflow cost [FLOW/]RUN_ID                                        # a finished run, from its attempts

Thin: arguments -> sfnflow.cost.estimate (pure) -> a table. The price table is
sfnflow/cost/prices.py, dated; --prices FILE.json overrides any of it.
"""
from __future__ import annotations

import json
import os
from typing import Any

import click

from .errors import UserError, reports_user_errors

__all__ = ["cost"]


def _pairs(values: tuple[str, ...], what: str, kind: type) -> tuple[Any, dict[str, Any]]:
    """`N` (the default for all) and `STEP=N` (one step) -> (default or None, {step: N})."""
    default, per_step = None, {}
    for value in values:
        name, sep, number = value.rpartition("=")
        try:
            parsed = kind(number)
        except ValueError:
            raise UserError(f"{what} {value!r}: give a number, or STEP=number.") from None
        if parsed < 0 or (kind is int and parsed < 1):
            raise UserError(f"{what} {value!r}: must be {'at least 1' if kind is int else 'positive'}.")
        if sep:
            per_step[name] = parsed
        else:
            default = parsed
    return default, per_step


@click.command()
@click.argument("target")
@click.option("--foreach-width", "widths", multiple=True, metavar="[STEP=]N",
              help="Items of a foreach (all foreaches without STEP=); default 10.")
@click.option("--seconds", "seconds", multiple=True, metavar="[STEP=]S",
              help="Seconds each attempt runs (all steps without STEP=); default 10.")
@click.option("--iterations", type=int, default=1, show_default=True, help="Iterations of each loop.")
@click.option("--with", "with_", type=click.Choice(["batch"]), default=None, help="Price the flow compiled --with batch.")
@click.option("--prices", "prices_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON file overriding price-table fields (see sfnflow/cost/prices.py).")
@click.option("--by-step", is_flag=True, help="Also show each step's compute and its cost.")
@click.option("--root", type=click.Path(file_okay=False), default=None,
              help="Local store root for RUN_ID (default: nearest .sfnflow/).")
@reports_user_errors
def cost(target: str, widths: tuple[str, ...], seconds: tuple[str, ...], iterations: int, with_: str | None,
         prices_file: str | None, by_step: bool, root: str | None) -> None:
    """The cost of one run: FLOW_FILE (estimated) or [FLOW/]RUN_ID (from the run's attempts)."""
    from sfn_compiler.compile import CompileOptions, compile_file

    from ..cost.estimate import Assumptions, shape_of_flow, shape_of_run

    prices = _prices(prices_file)
    width, width_by_step = _pairs(widths, "--foreach-width", int)
    secs, secs_by_step = _pairs(seconds, "--seconds", float)
    assumptions = Assumptions(widths=width_by_step, default_width=width or 10, default_width_given=width is not None,
                              seconds=secs_by_step,
                              default_seconds=secs if secs is not None else 10.0, iterations=iterations)
    options = CompileOptions(with_batch=with_ == "batch")
    if target.endswith(".py") and os.path.isfile(target):
        compiled = compile_file(target, options)
        title = f"{compiled.model.flow_name}: estimated cost of one run"
        shape = shape_of_flow(compiled, assumptions, prices)
        baseline = shape_of_flow(compiled, assumptions, prices, on_batch=True)
    else:
        flow, run_id, records, flow_file = _run_attempts(target, root)
        compiled = compile_file(flow_file, options)
        title = f"{flow}/{run_id}: cost of its {len(records)} attempts, as deployed (measured durations)"
        shape = shape_of_run(compiled, records, assumptions, prices)
        baseline = shape_of_run(compiled, records, assumptions, prices, on_batch=True)
    _print(title, shape, baseline, assumptions, prices, by_step, measured=not target.endswith(".py"))


def _prices(path: str | None) -> Any:
    from ..cost.prices import DEFAULT_PRICES, with_overrides

    if not path:
        return DEFAULT_PRICES
    try:
        with open(path, encoding="utf-8") as fh:
            overrides = json.load(fh)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}: not JSON ({exc.msg}).") from None
    if not isinstance(overrides, dict):
        raise UserError(f"{path}: give a JSON object of price fields, e.g. {{\"sfn_transition\": 0.000025}}.")
    try:
        return with_overrides(DEFAULT_PRICES, overrides)
    except ValueError as exc:
        raise UserError(f"{path}: {exc}.") from None


def _run_attempts(target: str, root: str | None) -> tuple[str, str, list[Any], str]:
    """(flow, run id, every attempt record, the flow file the run started from)."""
    from ..client import get_stores, set_root

    set_root(root)
    metadata = get_stores().metadata
    parts = target.strip("/").split("/")
    if len(parts) == 2:
        flow, run_id = parts
    elif len(parts) == 1:
        owners = [f for f in metadata.list_flows() if metadata.get_run(f, parts[0]) is not None]
        if not owners:
            raise UserError(f"{target} is neither a flow file nor a run id in this store. List runs with: "
                            "sfnflow runs FLOW_NAME")
        if len(owners) > 1:
            raise UserError(f"run {target} exists in several flows ({', '.join(owners)}); write FLOW/{target}.")
        flow, run_id = owners[0], parts[0]
    else:
        raise UserError(f"{target}: give FLOW_FILE.py, RUN_ID or FLOW/RUN_ID.")
    run = metadata.get_run(flow, run_id)
    if run is None:
        raise UserError(f"no run {flow}/{run_id} in this store. List runs with: sfnflow runs {flow}")
    if not run.flow_file or not os.path.isfile(run.flow_file):
        raise UserError(f"{flow}/{run_id} was started from {run.flow_file or 'an unknown file'}, which is not here; "
                        "price its flow file instead: sfnflow cost FLOW_FILE.py")
    records = []
    for latest in metadata.list_tasks(flow, run_id):
        if latest.attempt:
            records += metadata.list_attempts(flow, run_id, latest.step, latest.task_id)
        else:
            records.append(latest)
    return flow, run_id, records, run.flow_file


def _print(title: str, shape: Any, baseline: Any, assumptions: Any, prices: Any, by_step: bool,
           measured: bool) -> None:
    from ..cost.estimate import assumption_lines, express_children, price

    ours, theirs = price(shape, prices, assumptions), price(baseline, prices, assumptions)
    click.echo(title)
    click.echo(f"  {prices.line()}")
    click.echo("  from the run's records, and assuming:" if measured else "  assuming:")
    for line in assumption_lines(shape, assumptions, measured):
        click.echo(f"    {line}")
    click.echo("")
    click.echo(f"  {'':<17} {'sfnflow, as compiled':<{_CELL}}   every step on Batch (as Metaflow deploys it)")
    for mine, other in zip(ours.lines, theirs.lines):
        if mine.used or other.used:
            click.echo(f"  {mine.what:<17} {_cell(mine)}   {_cell(other)}")
    click.echo(f"  {'total':<17} {_usd(ours.total):>{_CELL}}   {_usd(theirs.total):>{_CELL}}")
    if theirs.total > 0 and ours.total > 0:
        click.echo(f"  every step on Batch costs {theirs.total / ours.total:.1f}x sfnflow's")
    standard, express, bounded = express_children(shape, prices)
    if standard:
        need = "" if bounded else " (their steps need @timeout keeping a child under 5 minutes)"
        click.echo(f"  Distributed Map children as Express executions: {_usd(express)} instead of {_usd(standard)} "
                   f"for their Step Functions part{need}")
    if by_step:
        click.echo("")
        click.echo(f"  {'step':<20} {'attempts':>9}  {'sfnflow':<36} {'$':>10}   {'on Batch':<36} {'$':>10}")
        for (step, label, attempts, usd), (_, other_label, _, other_usd) in zip(ours.by_step, theirs.by_step):
            click.echo(f"  {step:<20} {attempts:>9,}  {label:<36} {_usd(usd):>10}   {other_label:<36} "
                       f"{_usd(other_usd):>10}")


_DETAIL, _MONEY = 46, 9
_CELL = _DETAIL + 1 + _MONEY


def _cell(line: Any) -> str:
    detail = line.detail if line.used else "-"
    return f"{detail:<{_DETAIL}} {_usd(line.usd):>{_MONEY}}"


def _usd(value: float) -> str:
    return f"${value:,.4f}" if value < 100 else f"${value:,.2f}"
