"""A 2,000-way foreach under moto: small states, and a join that sees every input."""
from __future__ import annotations

import pytest

from cloudrun_util import FLOWS, compiled, with_inline_max

WIDE = str(FLOWS / "wide.py")
STATE_CAP = 8 * 1024


def _run_wide(n: int, inline_max: int | None = None) -> tuple[dict, object]:
    from sfnflow.emulate.harness import MotoCloud

    flow = compiled(WIDE)[1]
    if inline_max is not None:
        flow = with_inline_max(flow, inline_max)
    with MotoCloud(measure_history=True, lean_history=True) as cloud:
        deployed = cloud.deploy(WIDE, flow)
        result = cloud.run(deployed, f"wide-{n}", {"n": n}, timeout=900)
        assert result.status == "SUCCEEDED", (result.error, result.cause)
        snap = _read(cloud)
        stats = cloud.stats
    return snap, stats


def _read(cloud: object) -> dict:
    """Through the client API, but not every task's every artifact (each carries `items`)."""
    from sfnflow.client import Flow, set_root, use_cloud

    use_cloud(cloud.bucket, cloud.table, s3_client=cloud.client("s3"), dynamodb_client=cloud.client("dynamodb"))
    try:
        run = Flow("WideFlow").latest_run
        join = run["join"].task.data
        body = run["body"].tasks()
        return {"join": (join.count, join.distinct, join.total), "body": sorted(int(t.id) for t in body),
                "statuses": {t.status for t in body}, "last": body[-1].data.doubled}
    finally:
        set_root(None)


def _check(snap: dict, stats: object, n: int) -> None:
    assert snap["join"] == (n, n, n * (n - 1))
    assert snap["body"] == list(range(n)) and snap["statuses"] == {"SUCCEEDED"}
    assert snap["last"] == 2 * (n - 1)
    # Every state input/output of the execution, its Map Run and its child executions.
    assert stats.max_input_bytes < STATE_CAP and stats.max_output_bytes < STATE_CAP, (
        stats.max_input_bytes, stats.max_input_state, stats.max_output_bytes, stats.max_output_state)


def test_compiled_limit_sends_2000_to_the_distributed_map() -> None:
    assert compiled(WIDE)[1].limits.foreach[0].inline_max < 2000


def test_wide_foreach_past_inline_max_goes_distributed() -> None:
    """Fast version: the inline limit lowered to 3, so 8 items take the Distributed Map path."""
    snap, stats = _run_wide(8, inline_max=3)
    _check(snap, stats, 8)
    assert stats.by_type.get("MapRunStarted") == 1


@pytest.mark.slow
def test_2000_way_foreach() -> None:
    snap, stats = _run_wide(2000)
    _check(snap, stats, 2000)
    assert stats.by_type.get("MapRunStarted") == 1
