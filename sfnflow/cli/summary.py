"""The last lines of a local run: how it ended, and how to read or continue it."""
from __future__ import annotations

import click

from ..local_run import LocalRunResult


def print_summary(result: LocalRunResult, end_output_shown: bool = False) -> None:
    """`end_output_shown`: the end step's output was already on the terminal (live output)."""
    from runtime.stores.sqlite_metadata import SqliteMetadataStore

    metadata = SqliteMetadataStore(result.root)
    # One aggregate query: reading a 1,000-task run's attempts back costs ~5 % of its run.
    counts, retries = metadata.task_counts(result.flow, result.run_id)
    tally = ", ".join(f"{n} {status.lower()}" for status, n in sorted(counts.items()))
    if retries:
        tally += f"; {retries} {'retry' if retries == 1 else 'retries'}"
    pathspec = f"{result.flow}/{result.run_id}"
    if result.status == "SUCCEEDED":
        if not end_output_shown:
            _echo_end_output(result)
        click.echo(f"Run {pathspec} succeeded in {result.seconds:.1f}s ({tally}).", err=True)
        env = _root_hint(result.root)
        click.echo(f"  Artifacts: {env}python -c \"from sfnflow import Run; print(Run('{pathspec}').data)\"", err=True)
        click.echo(f"  Logs:      {env}sfnflow logs {result.run_id}/end", err=True)
        return
    # Tasks stopped only because the run ended (local_run.close_unfinished_tasks) go last:
    # the cause is the task that failed on its own.
    tasks = metadata.list_tasks(result.flow, result.run_id)
    failed = sorted((t for t in tasks if t.status == "FAILED"),
                    key=lambda t: (t.error or {}).get("type") in ("Cancelled", "Aborted"))
    for task in failed[:1]:
        # The user's own traceback, once; later failures of the same cause would only repeat it.
        error = task.error or {}
        click.echo(f"\nStep '{task.step}' (task {task.task_id}, attempt {task.attempt}) failed:", err=True)
        click.echo((error.get("traceback") or f"{error.get('type')}: {error.get('message')}").rstrip(), err=True)
    # Tasks the engine stopped because the run was ending are not failures of their own.
    others = [t for t in failed[1:] if (t.error or {}).get("type") not in ("Cancelled", "Aborted")]
    if others:
        click.echo(f"({len(others)} more failed task(s); see {_root_hint(result.root)}sfnflow logs "
                   f"{result.run_id}/<step>)", err=True)
    if not failed and result.error:
        click.echo(f"\n{result.error.get('type')}: {result.error.get('message')}", err=True)
    click.echo(f"\nRun {pathspec} failed after {result.seconds:.1f}s ({tally}). Everything saved so far is kept.",
               err=True)
    click.echo(f"  Fix the step, then: {_root_hint(result.root)}sfnflow resume {result.run_id}", err=True)


def _echo_end_output(result: LocalRunResult, limit: int = 20) -> None:
    """What the end step printed (usually the result people ran the flow for), tail first."""
    from runtime.stores import local_stores

    artifacts, _ = local_stores(result.root)
    text = artifacts.get_log(result.flow, result.run_id, "end", "0", 0, "stdout").decode("utf-8", "replace")
    lines = text.rstrip("\n").splitlines()[-limit:] if text.strip() else []
    for line in lines:
        click.echo(f"  end | {line}", err=True)


def _root_hint(root: str) -> str:
    """`SFNFLOW_ROOT=... ` when the client would not find this run's store from the current
    folder on its own (a --root elsewhere), so the printed commands work as pasted."""
    import os
    import shlex

    from runtime.stores.blobs import resolve_local_root

    return "" if os.path.abspath(root) == resolve_local_root() else f"SFNFLOW_ROOT={shlex.quote(root)} "
