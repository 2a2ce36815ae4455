"""moto's interpreter is the oracle: every golden flow (and every compat flow) runs through
both local engines with the same outcome, the same states entered per branch, and the
same errors, retries and catches.

The flows are the examples behind tests/golden/*.asl.json (and tests/compat/ when it
exists), compiled as for a deploy; the tasks are played by difftasks.play from a case
file per run: plain, forced onto the Distributed Map, a failing foreach item (inline and
distributed: the Map Run threshold), @retry / @catch / @timeout exercised, an uncaught
failure. A branch is one Parallel branch or Map iteration (its index path); when a failure
cancels siblings, the cancelled branches may stop at different states in the two engines,
so there one trace must be a prefix of the other; every other branch must match exactly.
"""
from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterator

import pytest

from player import Script, TaskPlayer, edited

from runtime.engine.interp import load_definition
from sfn_compiler.compile import CompiledFlow, compile_file

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
COMPAT = ROOT / "tests" / "compat"


def _flow_files() -> list[Path]:
    files = [ROOT / "examples" / f"{p.name[:-len('.asl.json')]}.py" for p in sorted(GOLDEN.glob("*.asl.json"))]
    if COMPAT.is_dir():
        files += [p for p in sorted(COMPAT.rglob("*.py")) if "FlowSpec" in p.read_text() and "@step" in p.read_text()]
    return files


FLOWS = _flow_files()


@pytest.fixture(scope="module")
def player(tmp_path_factory: pytest.TempPathFactory) -> TaskPlayer:
    player = TaskPlayer(str(tmp_path_factory.mktemp("differential")))
    for path in FLOWS:  # the compat flows too (the player knows the examples)
        graph = compile_file(str(path)).graph
        player.graphs[graph.name] = graph
    return player


@pytest.fixture(scope="module")
def engines(player: TaskPlayer) -> Iterator[dict[str, Any]]:
    from runtime.engine import LocalEngine

    options = dict(max_workers=2, artifact_root=player.folder, fast_retries=True, trace=True)
    # The interpreter's pool forks first: moto starts threads once it runs.
    with LocalEngine(player, engine="interp", **options) as interp, \
            LocalEngine(player, engine="moto", **options) as moto:
        yield {"interp": interp, "moto": moto}


def _states(asl: dict[str, Any], depth: int = 0) -> Iterator[tuple[str, dict[str, Any], int]]:
    """Every state, with the number of Maps around it."""
    for name, state in asl.get("States", {}).items():
        yield name, state, depth
        for branch in state.get("Branches", []):
            yield from _states(branch, depth)
        if "ItemProcessor" in state:
            yield from _states(state["ItemProcessor"], depth + 1)


def _one_task(flow: CompiledFlow, step: str) -> list[str] | None:
    """One task of `step` to fail: inside foreaches, the second item of the first (0.1 ...);
    failing every item instead would make which failure wins a race."""
    depth = max((d for name, _, d in _states(flow.asl) if name == step), default=0)
    return None if depth == 0 else [".".join(["0"] * (depth - 1) + ["1"])]


def _cases(flow: CompiledFlow) -> list[tuple[str, Script]]:
    """The runs worth comparing for this flow (ids are short: they are part of the run id)."""
    graph = flow.graph
    cases: list[tuple[str, Script]] = [("plain", Script())]
    foreach = [n for n in graph.steps if n.is_foreach]
    if foreach:
        cases.append(("dist", Script(distributed=True)))
        body = graph[foreach[0].out_edges[0]].name
        # One failing item of a foreach: the inline Map fails (siblings cancelled), the
        # Distributed Map fails its Map Run past the (zero) tolerated threshold.
        items = {body: _one_task(flow, body) or ["0"]}
        cases += [("item", Script(fail_items=items)), ("distitem", Script(fail_items=items, distributed=True))]
    for node in graph.steps:
        if node.loops_back_to:  # go round the loop twice, then leave it
            back = next(v for v, t in node.switch_cases if t in node.loops_back_to)
            out = next(v for v, t in node.switch_cases if t not in node.loops_back_to)
            cases.append((f"loop-{node.name}", Script(cases={node.name: [back, back, out]})))
        elif node.is_switch:  # every case once
            cases += [(f"case{i}-{node.name}", Script(cases={node.name: [v]}))
                      for i, (v, _) in enumerate(node.switch_cases)]
        one = _one_task(flow, node.name)
        always = Script(fail_items={node.name: one}) if one else Script(fail={node.name: -1})
        if node.decorator("catch") is not None:
            cases.append((f"catch-{node.name}", always))
        retry = node.decorator("retry")
        if retry is not None and retry.times > 0:
            cases.append((f"retry-{node.name}", Script(fail={node.name: 1})))  # every task's first attempt
            cases.append((f"exhaust-{node.name}", always))
        timeout = node.decorator("timeout")
        if timeout is not None and timeout.seconds > 0:  # (run with TimeoutSeconds 1: see the test)
            cases.append((f"timeout-{node.name}", Script(sleep=[node.name])))
    plain = [n for n in graph.steps if n.name not in ("start", "end") and _one_task(flow, n.name) is None
             and not n.is_foreach and n.decorator("catch") is None]
    if plain:  # an uncaught failure of an ordinary step (the run-status write, then the re-raise)
        cases.append((f"fail-{plain[0].name}", Script(fail={plain[0].name: -1})))
    return cases


def _all_cases() -> list[Any]:
    """Every case of the examples; of the compat flows, the plain run (the rest is `slow`)."""
    out = []
    for path in FLOWS:
        flow = compile_file(str(path))
        compat = COMPAT in path.parents
        for case_id, case in _cases(flow):
            marks = [pytest.mark.slow] if compat and case_id != "plain" else []
            out.append(pytest.param(path, case_id, case, id=f"{path.stem}-{case_id}", marks=marks))
    return out


def _run(engine: Any, player: TaskPlayer, flow: CompiledFlow, run_id: str, script: Script) -> Any:
    player.script(run_id, script)
    return engine.run(flow, run_id=run_id, execution_input={"parameters": {}})


def _branches(trace: list[Any], branch_of: dict[str, str]) -> dict[tuple[str, tuple[int, ...]], list[Any]]:
    """Trace lines per branch: (branch id from the state's name, Map item indices)."""
    out: dict[tuple[str, tuple[int, ...]], list[Any]] = defaultdict(list)
    for key, kind, state, error in trace:
        out[(branch_of[state], tuple(key[1]))].append((kind, state, error))
    return dict(out)


def _cause(result: Any) -> Any:
    """The cause, less what differs by nature: a Batch job's id and times."""
    cause = re.sub(r"sfnflow-[0-9a-f-]+", "sfnflow-<job>", result.cause or "")
    return re.sub(r'"(StartedAt|StoppedAt)": \d+', r'"\1": 0', cause)


@pytest.mark.parametrize("path, case_id, case", _all_cases())
def test_both_engines_agree(engines: dict[str, Any], player: TaskPlayer, path: Path, case_id: str,
                            case: Script) -> None:
    flow = compile_file(str(path))
    if case_id.startswith("timeout-"):  # the step sleeps until killed: time out after 1 s, not @timeout's
        flow = edited(flow, case_id[len("timeout-"):], TimeoutSeconds=1)
    run_id = f"d-{path.stem}-{case_id}".replace("_", "-")
    # The same run id for both (one after the other): causes and outputs that name it compare.
    results = {name: _run(engine, player, flow, run_id, case) for name, engine in engines.items()}
    moto, interp = results["moto"], results["interp"]

    assert (interp.status, interp.error) == (moto.status, moto.error), (interp.cause, moto.cause)
    assert _cause(interp) == _cause(moto)
    assert interp.output == moto.output
    assert interp.task_failures == moto.task_failures

    branch_of = {name: branch.id for name, branch in
                 load_definition(engines["interp"].fill_placeholders(flow.asl, flow.model)).names.items()}
    ours, theirs = _branches(interp.history.trace, branch_of), _branches(moto.history.trace, branch_of)
    assert ours[("", ())] == theirs[("", ())], "the top level differs"
    failed = moto.status != "SUCCEEDED" or any(kind == "failed" for lines in [*ours.values(), *theirs.values()]
                                               for kind, _, _ in lines)
    if not failed:  # with a failure, how many siblings started before the cancel is a race
        assert interp.tasks == moto.tasks
    # The errors that ended the run: its own, and a Map Run's child error at the head of its cause.
    real = {moto.error, (moto.cause or "").split(":", 1)[0]}

    def failing(lines: list[Any]) -> bool:
        # moto can end a Map cancelled mid-way in a sibling iteration with an error of its
        # own (States.Runtime, States.QueryEvaluationError): an artefact of the cancel
        return any(kind == "failed" and error in real for kind, _, error in lines)

    for branch in sorted(set(ours) | set(theirs)):
        a, b = ours.get(branch, []), theirs.get(branch, [])
        if failed and not failing(a + b):
            # maybe cancelled by a failing sibling: it stopped somewhere along the same path
            shorter, longer = sorted((a, b), key=len)
            assert longer[:len(shorter)] == shorter, f"branch {branch}: interp {a} vs moto {b}"
        else:
            assert a == b, f"branch {branch}: interp {a} vs moto {b}"


def test_every_case_kind_is_covered() -> None:
    """The differential covers what it promises: retries, catches, timeouts, failing children."""
    ids = [p.id for p in _all_cases()]
    for kind in ("-plain", "-dist", "-distitem", "-item", "-retry-", "-exhaust-", "-catch-", "-timeout-", "-fail-",
                 "-loop-", "-case1-"):
        assert any(kind in i for i in ids), kind
    assert len(FLOWS) >= len(list(GOLDEN.glob("*.asl.json")))
