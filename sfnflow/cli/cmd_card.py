"""`sfnflow card get RUN/STEP[/TASK]` and `sfnflow card list RUN`: a task's @card, as Metaflow's
`card get` / `card list` give them."""
from __future__ import annotations

import os

import click

from .cmd_operate import operate_errors
from .errors import UserError


@click.group()
def card() -> None:
    """The cards steps made with @card and current.card.append(...)."""


@card.command("get")
@click.argument("pathspec")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Where to write the page (default: <flow>-<run>-<step>-<task>.card.html here).")
@click.option("--id", "card_id", default=None, help="Only the card with this @card(id=...).")
@click.option("--root", type=click.Path(file_okay=False), default=None, help="Local store root (default: nearest .sfnflow/).")
@click.option("--local", is_flag=True, help="Read local runs even if the flow is deployed.")
@operate_errors
def get(pathspec: str, output: str | None, card_id: str | None, root: str | None, local: bool) -> None:
    """Write the card(s) of RUN_ID/STEP[/TASK] (FLOW/ first if the run id is ambiguous) as one HTML page."""
    from ..cards import get_cards
    from ..cards.render import card_page

    tasks = _tasks(pathspec, root, local)
    if len(tasks) > 1:
        tasks = tasks[:1]  # a foreach step: its first task, unless one is named
    task = tasks[0]
    cards = get_cards(task, id=card_id)
    if not cards:
        which = f" with id {card_id!r}" if card_id else ""
        raise UserError(f"task {task.pathspec} saved no card{which}. Put @card above the step's @step (and "
                        "current.card.append(...) in it), then run it again.")
    from ..cards import _artifact_previews

    previews = _artifact_previews(task) if any(c.type == "default" for c in cards) else None
    page = card_page(f"{task.pathspec} card", [c.fragment(previews) for c in cards])
    path = output or f"{task.pathspec.replace('/', '-')}.card.html"
    with open(path, "w", encoding="utf-8") as out:
        out.write(page)
    click.echo(f"Wrote {os.path.abspath(path)} ({len(cards)} card{'s' if len(cards) > 1 else ''}). Open it in a browser.")


@card.command("list")
@click.argument("pathspec")
@click.option("--root", type=click.Path(file_okay=False), default=None, help="Local store root (default: nearest .sfnflow/).")
@click.option("--local", is_flag=True, help="Read local runs even if the flow is deployed.")
@operate_errors
def list_cards(pathspec: str, root: str | None, local: bool) -> None:
    """The cards of a run (RUN_ID or FLOW/RUN_ID) or of one of its steps (RUN_ID/STEP)."""
    from ..cards import get_cards

    found = 0
    for task in _tasks(pathspec, root, local, whole_run=True):
        for c in get_cards(task):
            found += 1
            click.echo(f"{task.pathspec}  type={c.type}" + (f"  id={c.id}" if c.id else ""))
    if not found:
        click.echo(f"no cards in {pathspec}.", err=True)


def _tasks(pathspec: str, root: str | None, local: bool, whole_run: bool = False) -> list:
    """Client Tasks of RUN[/STEP[/TASK]] (FLOW/ in front allowed), read from where the run is."""
    from ..client.objects import Run
    from ..operate import source_for_run

    parts = pathspec.strip("/").split("/")
    flow = None
    if len(parts) == 4 or (len(parts) in (2, 3) and _is_run(parts, root, local)):
        flow, parts = parts[0], parts[1:]
    if not parts or len(parts) > 3 or (len(parts) == 1 and not whole_run):
        raise UserError("give RUN_ID/STEP or RUN_ID/STEP/TASK (optionally FLOW/ first).")
    source, flow = source_for_run(parts[0], flow, root=root, local=local)
    run = Run(f"{flow}/{parts[0]}", _check=False, _stores=source.stores)
    steps = [run[parts[1]]] if len(parts) > 1 else list(run.steps())
    tasks = [t for s in steps for t in s.tasks()]
    if len(parts) == 3:
        tasks = [t for t in tasks if t.id == parts[2]]
    if not tasks:
        raise UserError(f"no tasks for {flow}/{'/'.join(parts)}. See the run's steps with: sfnflow status {flow}/{parts[0]}")
    return tasks


def _is_run(parts: list[str], root: str | None, local: bool) -> bool:
    """FLOW/RUN/...: the first part names a flow that has that run."""
    from ..operate import source_for_run

    try:
        source, flow = source_for_run(parts[1], parts[0], root=root, local=local)
        return source.stores.metadata.get_run(flow, parts[1]) is not None
    except Exception:
        return False
