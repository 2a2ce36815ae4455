"""Lambda: one function per distinct environment (the deployment model's keys), its runtime
the environment's Python, its packages in a content-addressed layer built without Docker.

A layer rather than packages inside the function's own zip: the layer's content address
is the environment's (its packages), so editing the flow's code redeploys only the small
code package, and every function and flow using the same environment shares one layer.
Lambda caps a function's code plus layers at 250 MB unzipped; a bigger environment is
refused at deploy, naming the steps, the size and the largest packages, and pointing at
@batch (Batch has no such cap).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sfn_compiler.compute import LAMBDA_MAX_UNZIPPED_BYTES, LAMBDA_PYTHON_VERSIONS
from sfn_compiler.diagnostics import SfnflowError

from .cloud import BuiltArchive, install_for, lambda_target
from .local import describe_steps, locked_entry
from .locks import LockFile
from .progress import EnvironmentProgress
from .uv import UvFailed

__all__ = ["EnvironmentNotDeployable", "LambdaLayer", "build_lambda_layers", "lambda_python_problems"]

_MB = 1024 * 1024


class EnvironmentNotDeployable(SfnflowError):
    """A step environment cannot run on Lambda as asked (Python version, size, wheels)."""


@dataclass(frozen=True)
class LambdaLayer:
    """The layer of one model environment on one architecture."""

    env_key: str
    architecture: str
    python: str  # the Lambda runtime's Python minor
    hash: str  # the environment's hash (Python, platform, locked packages)
    zip_path: str
    sha256: str  # the layer zip's content address
    unzipped_bytes: int
    packages: tuple[tuple[str, str], ...]


def runtime_python(fn: Any) -> str:
    """The function's runtime Python: its environment's, else the deploying interpreter's
    (an environment may ask for packages only), as the stack's default runtime is."""
    import sys

    return fn.python or f"{sys.version_info[0]}.{sys.version_info[1]}"


def lambda_python_problems(model: Any) -> list[str]:
    """One sentence per Lambda function whose environment asks for a Python Lambda does not offer."""
    problems = []
    for fn in model.functions:
        if fn.python_env is None or runtime_python(fn) in LAMBDA_PYTHON_VERSIONS:
            continue
        env = model.python_environment(fn.python_env)
        problems.append(f"{describe_steps(fn.steps, env.request.sources)} asks for Python {runtime_python(fn)} on "
                        f"AWS Lambda, which offers {', '.join(LAMBDA_PYTHON_VERSIONS)}; ask for one of those, "
                        "or run the steps on AWS Batch with @batch.")
    return problems


def build_lambda_layers(model: Any, root: str, *, code_unzipped_bytes: int = 0,
                        progress: EnvironmentProgress | None = None, cache: str | None = None,
                        limit_bytes: int = LAMBDA_MAX_UNZIPPED_BYTES) -> dict[str, LambdaLayer]:
    """function key -> its layer, for every Lambda function with a step environment.

    Raises:
        EnvironmentNotDeployable: a Python Lambda lacks, an environment over the size cap,
            or a package without a wheel for Lambda's platform.
        EnvironmentResolveError: PyPI lacks a package or version.
    """
    problems = lambda_python_problems(model)
    if problems:
        raise EnvironmentNotDeployable("\n".join(problems))
    progress = progress or EnvironmentProgress()
    lock = LockFile.for_flow(root, model.flow_name)
    built: dict[tuple[str, str], LambdaLayer] = {}
    layers = {}
    try:
        for fn in model.functions:
            if fn.python_env is None:
                continue
            key = (fn.python_env, fn.architecture)
            if key not in built:
                env = model.python_environment(fn.python_env)
                steps = [f.steps for f in model.functions if (f.python_env, f.architecture) == key]
                built[key] = _layer(env, fn, tuple(s for group in steps for s in group), lock, progress, cache,
                                    limit_bytes - code_unzipped_bytes)
            layers[fn.key] = built[key]
    finally:
        lock.save()
    return layers


def _layer(env: Any, fn: Any, steps: tuple[str, ...], lock: LockFile, progress: EnvironmentProgress,
           cache: str | None, room: int) -> LambdaLayer:
    python = runtime_python(fn)
    target = lambda_target(python, fn.architecture)
    entry = locked_entry(lock, env, target, None, progress)
    who = describe_steps(steps, env.request.sources)
    try:
        with progress.phase(f"Installing environment {env.key} for Lambda ({target.platform}, Python {python}, "
                            f"{len(entry.packages)} packages)", f"  installed {env.key} for Lambda"):
            archive = install_for(entry, target, "layer", prefix="python", cache=cache)
    except UvFailed as exc:
        raise EnvironmentNotDeployable(f"{who}: its packages cannot be installed for AWS Lambda "
                                       f"({target.platform}): {exc}") from None
    if archive.unzipped_bytes > room:
        raise EnvironmentNotDeployable(_too_large(who, archive, room))
    return LambdaLayer(env.key, fn.architecture, python, entry.hash, archive.zip_path, archive.sha256,
                       archive.unzipped_bytes, entry.packages)


def _too_large(who: str, archive: BuiltArchive, room: int) -> str:
    biggest = ", ".join(f"{name} {_mb(size)}" for name, size in archive.sizes[:3])
    return (f"{who}: its packages take {_mb(archive.unzipped_bytes)} unzipped ({biggest}), more than the "
            f"{_mb(max(room, 0))} AWS Lambda leaves beside the code (250 MB in all); run these steps on AWS Batch "
            "with @batch, or trim the packages.")


def _mb(size: int) -> str:
    return f"{size / _MB:.1f} MB" if size < 10 * _MB else f"{size / _MB:.0f} MB"


def lambda_layers_for(flow_file: str, compiled: Any, package: Any, progress: EnvironmentProgress | None = None,
                      root: str | None = None) -> dict[str, LambdaLayer]:
    """The layers a deploy of this flow needs (none without step environments on Lambda).
    The lock is the flow's local one (in `root`, default its local store root), so a
    deploy reuses the Lambda resolutions of earlier deploys."""
    if not any(f.python_env for f in compiled.model.functions):
        return {}
    from runtime.stores.blobs import resolve_local_root

    root = resolve_local_root(root=root)
    return build_lambda_layers(compiled.model, root, code_unzipped_bytes=package.unzipped_size, progress=progress)
