"""Batch: a step environment built once per hash, stored in the datastore, unpacked at task start.

A Batch step with @pypi/@conda runs on the stock `python:<its Python>-slim` image (pinned by
digest, cdk/pins.py). The stock-image bootstrap (runtime/stock_bootstrap.py) already fetches
one dependency bundle besides the code package and checks its sha256 before running any
of it; for such a step that bundle is the environment: its locked packages plus boto3,
installed here for Linux (manylinux wheels, uv, no Docker), zipped deterministically and
stored content-addressed (`code/<sha256>.zip`) like the code package, so it is uploaded
once per environment and account. Nothing is installed when a task starts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sfn_compiler.diagnostics import SfnflowError

from .cloud import batch_target, install_for
from .local import describe_steps, locked_entry
from .locks import LockFile
from .progress import EnvironmentProgress
from .uv import UvFailed

__all__ = ["BatchBundle", "EnvironmentNotDeployableOnBatch", "batch_bundles_for", "build_batch_bundles"]


class EnvironmentNotDeployableOnBatch(SfnflowError):
    """A Batch step's environment cannot be given as asked."""


@dataclass(frozen=True)
class BatchBundle:
    env_key: str
    python: str  # the image's Python minor
    image: str  # the pinned stock image of that Python
    hash: str  # the environment's hash
    zip_path: str
    sha256: str  # of the zip: its content address in the datastore
    unzipped_bytes: int
    packages: tuple[tuple[str, str], ...]


def build_batch_bundles(model: Any, root: str, *, progress: EnvironmentProgress | None = None,
                        cache: str | None = None) -> dict[str, BatchBundle]:
    """job definition key -> its environment's bundle, for every Batch job with one.

    Raises:
        EnvironmentNotDeployableOnBatch: the step names its own image (whose packages run
            it, not an environment), or no stock image is pinned for the Python asked for.
        EnvironmentResolveError: PyPI lacks a package or version.
    """
    from cdk.pins import DEFAULT_BATCH_IMAGES, default_batch_image

    jobs = [j for j in model.job_definitions if j.python_env]
    if not jobs:
        return {}
    progress = progress or EnvironmentProgress()
    lock = LockFile.for_flow(root, model.flow_name)
    built: dict[str, BatchBundle] = {}
    bundles = {}
    try:
        for job in jobs:
            env = model.python_environment(job.python_env)
            who = describe_steps(job.steps, env.request.sources)
            if job.image:
                raise EnvironmentNotDeployableOnBatch(
                    f"{who} runs on AWS Batch in its own image ({job.image}), whose packages run it, so the "
                    "environment cannot apply; drop @batch(image=...) (the environment then runs on a stock "
                    "Python image) or drop the @pypi/@conda packages and install them in the image.")
            python = job.python or _deploying_python()
            image = default_batch_image(python)
            if image is None:
                raise EnvironmentNotDeployableOnBatch(
                    f"{who} asks for Python {python} on AWS Batch, and sfnflow has no stock image pinned for it "
                    f"(it has Python {', '.join(DEFAULT_BATCH_IMAGES)}); ask for one of those.")
            if job.python_env not in built:
                target = batch_target(python)
                entry = locked_entry(lock, env, target, None, progress)
                try:
                    with progress.phase(f"Installing environment {env.key} for Batch ({target.platform}, Python "
                                        f"{python}, {len(entry.packages)} packages)",
                                        f"  installed {env.key} for Batch"):
                        archive = install_for(entry, target, "bundle", cache=cache)
                except UvFailed as exc:
                    raise EnvironmentNotDeployableOnBatch(
                        f"{who}: its packages cannot be installed for AWS Batch ({target.platform}): {exc}") from None
                built[job.python_env] = BatchBundle(env.key, python, image, entry.hash, archive.zip_path,
                                                    archive.sha256, archive.unzipped_bytes, entry.packages)
            bundles[job.key] = built[job.python_env]
    finally:
        lock.save()
    return bundles


def _deploying_python() -> str:
    import sys

    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def batch_bundles_for(flow_file: str, compiled: Any, progress: EnvironmentProgress | None = None,
                      root: str | None = None) -> dict[str, BatchBundle]:
    """The bundles a deploy of this flow needs (none without step environments on Batch)."""
    if not any(j.python_env for j in compiled.model.job_definitions):
        return {}
    from runtime.stores.blobs import resolve_local_root

    root = resolve_local_root(root)
    return build_batch_bundles(compiled.model, root, progress=progress)
