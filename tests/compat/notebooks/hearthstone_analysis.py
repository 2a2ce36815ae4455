# The article's analysis notebook, as a Metaflow 2.19 user writes it today (timestamps are
# datetimes, steps and tasks are iterated, artifacts read through .data). Run under sfnflow
# by changing only the import line below (tests/compat/test_analysis_notebook.py does that).

# In[1]:
from metaflow import Flow, namespace, get_metadata

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

namespace(None)
print("metadata:", get_metadata())

# In[2]: every successful run of the flow, newest first
flow = Flow("HearthstoneFlow")
runs = [run for run in flow if run.successful]
print(f"{len(runs)} successful runs of {flow.id}; latest: {flow.latest_successful_run.id}")

# In[3]: one row per run
rows = []
for run in runs:
    start, best = run["start"].task, run["best"].task
    fits = list(run["fit"])
    rows.append({
        "run": run.id,
        "started": run.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        "minutes": round((run.finished_at - run.created_at).total_seconds() / 60, 3),
        "train decks": len(start.data.train),
        "archetypes": len(list(run["top_cards"])),
        "trials": len(fits),
        "best of trials": round(max(t.data.accuracy for t in fits), 3),
        "accuracy": round(best.data.accuracy, 3),
        "baseline": round(best.data.baseline, 3),
        "params": best.data.params,
        "python": best.metadata_dict.get("python_version"),
    })
table = pd.DataFrame(rows).set_index("run")
print(table.to_string())

# In[4]: a DataFrame artifact's first rows, and the features of the latest run
latest = runs[0]
print(latest["start"].task.data.train[["deck_id", "deck_class", "deck_archetype"]].head())
print("feature cards:", len(latest["features"].task.data.feature_cards))

# In[5]: how long each step took in each run (first task started to last task finished)
durations = pd.DataFrame({
    run.id: {step.id: (step.finished_at - step.created_at).total_seconds() for step in run}
    for run in runs
}).T
print(durations.round(2).to_string())

# In[6]: the plot
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
durations.plot.barh(stacked=True, ax=left, legend=False)
left.set_xlabel("seconds per step")
table[["accuracy", "baseline"]].plot.bar(ax=right)
right.set_ylim(0, 1)
right.set_title("best model vs. commonest archetype")
fig.tight_layout()
fig.savefig("hearthstone_runs.png", dpi=80)
print("saved hearthstone_runs.png")
