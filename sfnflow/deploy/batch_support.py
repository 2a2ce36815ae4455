"""What a Batch step on the stock Python image needs besides its code: boto3, and the bootstrap.

The stock `python:<minor>-slim` image has no boto3, and installing it at every task start
(from PyPI, unpinned) made each task depend on the internet and on whatever PyPI served
that minute. Instead the deploy ships a **boto3 bundle**: boto3 and the pure-Python
packages it imports, zipped deterministically from this environment (the versions you
tested with), content-addressed like the code package (`code/<sha256>.zip`, uploaded once
per account for all flows). The bootstrap (runtime/stock_bootstrap.py, standard library
only) travels in the job definition and checks both packages' sha256 before running any.

    support = build_batch_support()
    support.job_environment(deps_key)   # SFNFLOW_BOOTSTRAP / SFNFLOW_DEPS_KEY / SFNFLOW_DEPS_SHA256
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.metadata
import os
from dataclasses import dataclass

from sfn_compiler.contract.task_config import ENV_BOOTSTRAP, ENV_DEPS_KEY, ENV_DEPS_SHA256

from .package import _arcname, _skipped, _zip, code_key

__all__ = ["BOTO3_BUNDLE", "BatchSupport", "bootstrap_source", "build_batch_support"]

# boto3 and what it imports (botocore's own requirements), as on Lambda's Python runtime.
BOTO3_BUNDLE = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
_BOOTSTRAP = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                          "runtime", "stock_bootstrap.py")


@dataclass(frozen=True)
class BatchSupport:
    """The boto3 bundle (zip bytes, sha256, versions) and the bootstrap's source."""

    data: bytes
    sha256: str
    versions: tuple[tuple[str, str], ...]  # (distribution, version), for the deploy's record
    bootstrap: str

    @property
    def key(self) -> str:
        return code_key(self.sha256)

    def job_environment(self, deps_key: str | None = None) -> dict[str, str]:
        """The variables a stock-image job definition carries for the bootstrap."""
        return {ENV_BOOTSTRAP: self.bootstrap, ENV_DEPS_KEY: deps_key or self.key, ENV_DEPS_SHA256: self.sha256}


def bootstrap_source() -> str:
    """runtime/stock_bootstrap.py's source: what `SFNFLOW_BOOTSTRAP` carries."""
    with open(_BOOTSTRAP, encoding="utf-8") as fh:
        return fh.read()


@functools.lru_cache(maxsize=1)
def build_batch_support() -> BatchSupport:
    """Zip this environment's boto3 (and its imports) deterministically; same versions, same bytes.

    Raises:
        ValueError: one of them is missing, or is not pure Python (a compiled module would
            not load in the image).
    """
    entries: dict[str, str] = {}
    for name in BOTO3_BUNDLE:
        try:
            module = importlib.import_module(name)
        except ImportError:
            raise ValueError(f"boto3 bundle: {name} is not installed here; pip install boto3") from None
        origin = os.path.abspath(str(module.__file__))
        if os.path.basename(origin) != "__init__.py":  # a single-module distribution (six.py)
            entries[os.path.basename(origin)] = origin
            continue
        top = os.path.dirname(origin)
        base = os.path.dirname(top)
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for filename in files:
                path = os.path.join(folder, filename)
                if filename.endswith((".so", ".pyd", ".dylib")):
                    raise ValueError(f"boto3 bundle: {path} is compiled; the bundle must be pure Python")
                if not _skipped(filename):
                    entries[_arcname(path, base)] = path
    data = _zip(sorted(entries.items()))
    versions = tuple((dist, importlib.metadata.version(dist))
                     for dist in ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six"))
    return BatchSupport(data=data, sha256=hashlib.sha256(data).hexdigest(), versions=versions,
                        bootstrap=bootstrap_source())
