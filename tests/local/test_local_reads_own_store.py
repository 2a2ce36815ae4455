"""A step of a local run reads its own run's store through the client, even when the flow
is also deployed (the deployments profile points `Flow(...)` at the cloud elsewhere)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

FLOW = '''
from sfnflow import Flow, FlowSpec, step


class ReadsItselfFlow(FlowSpec):
    @step
    def start(self):
        self.x = 1
        self.next(self.end)

    @step
    def end(self):
        runs = Flow("ReadsItselfFlow").runs()
        self.seen = [r.id for r in runs]
        self.first_x = runs[-1]["start"].task.data.x
'''


def test_a_local_step_reads_local_runs_of_a_deployed_flow(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # As `sfnflow deploy` leaves it: this flow is deployed somewhere unreachable from here.
    (home / "deployments.json").write_text(json.dumps({"flows": {"ReadsItselfFlow": {
        "flow": "ReadsItselfFlow", "stack": "ReadsItselfFlow", "state_machine_arn": "arn:aws:states:eu-west-1:1:x",
        "bucket": "no-such-bucket", "table": "no-such-table", "region": "eu-west-1",
        "endpoint": "http://127.0.0.1:9"}}}))
    flow = tmp_path / "reads_itself.py"
    flow.write_text(textwrap.dedent(FLOW))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SFNFLOW_DATASTORE", "SFNFLOW_ROOT"))}
    env.update(SFNFLOW_HOME=str(home), PYTHONPATH=str(REPO), AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x")
    done = subprocess.run([sys.executable, "-m", "sfnflow", "run", str(flow), "--root", str(tmp_path / "store")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    from sfnflow import Flow, client

    client.set_root(str(tmp_path / "store"))
    latest = Flow("ReadsItselfFlow").latest_run
    assert latest["end"].task.data.seen == [latest.id] and latest["end"].task.data.first_x == 1
