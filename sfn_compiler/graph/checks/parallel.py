"""Checks of @parallel / `self.next(self.x, num_parallel=N)`: what can run as N tasks here."""
from __future__ import annotations

from typing import Iterator

from ...compute import goes_to_batch
from ..model import FlowGraph
from .base import Analysis, Finding


def check_parallel_on_batch(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        if node.num_parallel is None:
            continue
        for target in node.out_edges:
            body = analysis.nodes.get(target)
            if body is not None and goes_to_batch(body):
                yield Finding(body.source_line, body.name,
                              "runs as num_parallel tasks on AWS Batch, which needs a multi-node parallel job; "
                              "sfnflow does not make those yet.",
                              "Run it on Lambda or locally (no @batch on it), or fan out with a foreach instead.")


CHECKS = (check_parallel_on_batch,)
