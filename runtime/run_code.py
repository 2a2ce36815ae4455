"""A deployed run's flow source, kept with the run: `<flow>/<run>/flow-source/<flow file name>`
(a folder name no step can have: step names are identifiers).

A local run's record names its flow file, which the client reads where it is; a deployed
run's flow file lives in the code package the functions run from, which a laptop does not
have. The task that records a deployed run saves the file's text beside the run, so
`Run(...).code.flowspec` reads what actually ran, as Metaflow's client reads its code package.
"""
from __future__ import annotations

import os
from typing import Any

__all__ = ["code_key", "code_prefix", "save_flow_source"]


def code_prefix(flow: str, run: str) -> str:
    return f"{flow}/{run}/flow-source/"


def code_key(flow: str, run: str, flow_file: str) -> str:
    return code_prefix(flow, run) + os.path.basename(flow_file)


def save_flow_source(store: Any, flow: str, run: str, flow_file: str) -> None:
    """Never fails the task: the run matters more than a copy of its source."""
    try:
        with open(flow_file, "rb") as source:
            store.blobs.put(code_key(flow, run, flow_file), source.read())
    except Exception:
        pass
