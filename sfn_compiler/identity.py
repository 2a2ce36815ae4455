"""Who runs a flow, and the system tags every run carries (as Metaflow tags its runs).

Metaflow reads the user from METAFLOW_USER, then SUDO_USER, USERNAME, USER; sfnflow reads
SFNFLOW_USER first, then the same. Runs are tagged `user:<name>` (the client's default
namespace), `runtime:<where>` (`dev` for local runs, as Metaflow says, `step-functions`
in the cloud), `python_version:<x.y.z>` and `sfnflow_version:<v>`.
"""
from __future__ import annotations

import os
import platform

from .contract.task_config import ENV_USER

USER_VARIABLES = (ENV_USER, "METAFLOW_USER", "SUDO_USER", "USERNAME", "USER")
SYSTEM_TAG_PREFIXES = ("user:", "runtime:", "python_version:", "sfnflow_version:", "metaflow_version:")
SFNFLOW_VERSION = "0.1.0"


def username() -> str | None:
    for name in USER_VARIABLES:
        value = os.environ.get(name)
        if value:
            return value
    return None


def user_namespace(user: str | None = None) -> str | None:
    user = user if user is not None else username()
    return f"user:{user}" if user else None


def system_tags(runtime: str, user: str | None = None) -> list[str]:
    tags = [f"runtime:{runtime}", f"python_version:{platform.python_version()}", f"sfnflow_version:{SFNFLOW_VERSION}"]
    ns = user_namespace(user)
    return ([ns] if ns else []) + tags


def is_system_tag(tag: str) -> bool:
    return tag.startswith(SYSTEM_TAG_PREFIXES)
