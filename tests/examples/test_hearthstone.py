"""examples/hearthstone: the archetype predictor and its analysis over several runs."""
from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest
from conftest import EXAMPLES, run_id_of

HERE = EXAMPLES / "hearthstone"
FLOW = HERE / "hearthstone_flow.py"
pytestmark = pytest.mark.slow


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_decks_csv_is_exactly_what_the_generator_writes(tmp_path: Path) -> None:
    make_decks = load_module(HERE / "make_decks.py")
    rows = make_decks.generate()
    make_decks.write(tmp_path / "decks.csv", rows)
    assert (tmp_path / "decks.csv").read_bytes() == (HERE / "decks.csv").read_bytes()
    unknown = sum(r["deck_archetype"] == "Unknown" for r in rows) / len(rows)
    assert 1000 <= len(rows) <= 1100 and 0.35 < unknown < 0.45
    assert all(len([c for k, c in r.items() if k.startswith("card_")]) == 30 for r in rows)


def unknown_deck_ids() -> set[int]:
    """Deck ids the flow must score: published as Unknown, complete, counted once."""
    with (HERE / "decks.csv").open() as f:
        rows = [r for r in csv.DictReader(f) if r["deck_archetype"] == "Unknown"]
    return {int(r["deck_id"]) for r in rows if all(r[f"card_{i}"] for i in range(30))}


def test_predicts_every_unknown_deck_well_above_baseline_and_analysis_compares_runs(shell) -> None:
    from sfnflow import Run, client

    ids = []
    for seed in ("1", "2"):
        done = shell.sfnflow("run", str(FLOW), "--trials", "2", "--seed", seed)
        ids.append(run_id_of(done.stdout + done.stderr))
    client.set_root(str(shell.cwd / "store"))
    try:
        best = Run(f"HearthstoneFlow/{ids[0]}")["best"].task.data
        assert best.accuracy > best.baseline + 0.3, (best.accuracy, best.baseline)
        predictions = best.predictions
        assert set(predictions["deck_id"]) == unknown_deck_ids()
        make_decks = load_module(HERE / "make_decks.py")
        # A predicted archetype is almost always one of the deck's own class.
        own_class = [p in make_decks.ARCHETYPES[c] for c, p in zip(predictions["deck_class"],
                                                                    predictions["predicted_archetype"])]
        assert sum(own_class) / len(own_class) > 0.9
        run = Run(f"HearthstoneFlow/{ids[0]}")
        assert len(run["fit"].tasks()) == 2
        per_archetype = [set(t.data.cards) for t in run["top_cards"].tasks()]
        assert set().union(*per_archetype) == set(run["features"].task.data.feature_cards)
    finally:
        client.set_root(None)

    analysis = shell(str(HERE / "analyze_runs.py"), "--runs", "3", "--plot", "runs.png")
    out = analysis.stdout
    assert all(run_id in out for run_id in ids)
    assert "accuracy" in out and "time per step" in out and "all runs agree on" in out
    assert (shell.cwd / "runs.png").stat().st_size > 20_000
