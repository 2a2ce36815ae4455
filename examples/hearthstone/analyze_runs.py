"""Compare several runs of HearthstoneFlow through the client API, as a notebook would.

    python examples/hearthstone/analyze_runs.py [--runs 3] [--plot runs.png]

Run it from the folder you ran the flow from (the client finds `.sfnflow/` the way git
finds a repository), or set SFNFLOW_ROOT. It prints, per successful run: when it ran and
how long it took, the time of each step, the first rows of its training set, the best
model's accuracy and parameters; then every run's predictions side by side. The plot
shows the time per step of each run and each run's best accuracy against its baseline.
"""
from __future__ import annotations

import argparse

import pandas as pd

from sfnflow import Flow

FLOW = "HearthstoneFlow"


def seconds(start, end) -> float:
    return (end - start).total_seconds() if start and end else float("nan")


def step_times(run) -> dict[str, float]:
    """Wall time of each step: first task started to last task finished."""
    times = {}
    for step in run:
        tasks = list(step)
        starts = [t.created_at for t in tasks if t.created_at]
        ends = [t.finished_at for t in tasks if t.finished_at]
        times[step.id] = seconds(min(starts), max(ends)) if starts and ends else float("nan")
    return times


def summarise(runs) -> pd.DataFrame:
    rows = []
    for run in runs:
        best = run["best"].task.data
        rows.append({
            "run": run.id,
            "started": run.created_at,
            "seconds": round(seconds(run.created_at, run.finished_at), 2),
            "trials": run["start"].task.data.trials,
            "accuracy": round(best.accuracy, 3),
            "baseline": round(best.baseline, 3),
            "params": best.params,
        })
    return pd.DataFrame(rows).set_index("run")


def predictions_side_by_side(runs) -> pd.DataFrame:
    columns = {run.id: run["best"].task.data.predictions.set_index("deck_id")["predicted_archetype"] for run in runs}
    return pd.DataFrame(columns)


def plot(runs, summary: pd.DataFrame, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # a file, no window
    import matplotlib.pyplot as plt

    times = pd.DataFrame({run.id: step_times(run) for run in runs}).T.fillna(0.0)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5), gridspec_kw={"width_ratios": [2, 1]})
    times.plot.barh(stacked=True, ax=left, colormap="tab20")
    left.set_xlabel("seconds (per step: first task start to last task end)")
    left.set_title("Time per step")
    left.legend(fontsize=7, ncol=7, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    x = range(len(summary))
    right.bar(x, summary["accuracy"], color="tab:green", label="best model")
    right.bar(x, summary["baseline"], color="tab:gray", label="commonest archetype")
    right.set_xticks(list(x), [r[-6:] for r in summary.index], rotation=30)
    right.set_ylim(0, 1)
    right.set_title("Test accuracy per run")
    right.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="how many of the latest successful runs")
    parser.add_argument("--plot", default="hearthstone_runs.png", help="where to save the plot")
    args = parser.parse_args(argv)

    runs = [run for run in Flow(FLOW).runs() if run.successful][: args.runs]
    if not runs:
        print(f"no successful {FLOW} run yet: sfnflow run examples/hearthstone/hearthstone_flow.py")
        return 1
    pd.set_option("display.width", 160)
    summary = summarise(runs)
    print(summary.to_string(), end="\n\n")
    for run in runs:
        print(f"{run.id}: time per step (s)", {k: round(v, 2) for k, v in step_times(run).items()})
        print(run["start"].task.data.train[["deck_id", "deck_class", "deck_archetype", "card_0", "card_1"]]
              .head(3).to_string(index=False), end="\n\n")
    side = predictions_side_by_side(runs)
    agree = (side.nunique(axis=1) == 1).mean()
    print(f"predictions for {len(side)} unknown decks, all runs agree on {agree:.0%} of them:")
    print(side.head(8).to_string())
    plot(runs, summary, args.plot)
    print(f"\nplot saved to {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
