"""Step environments for AWS: packages installed for Lambda's or Batch's Linux, from this machine.

No Docker: `uv pip install --target DIR --python-platform <manylinux> --python-version X.Y
--only-binary :all:` installs the locked wheels for the cloud's platform and Python, whatever
this machine runs. The result is cached per environment hash, so a redeploy with unchanged
packages installs nothing:

    <cache>/cloud/<hash>/files/      the installed packages (a Lambda layer's `python/` folder,
                                     or the root of a Batch bundle)
    <cache>/cloud/<hash>/<kind>.zip  the deterministic archive (content-addressed by its sha256)
"""
from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from dataclasses import dataclass

from sfn_compiler.compute import LAMBDA_PYTHON_VERSIONS

from .locks import LockEntry, Target
from .uv import UvFailed, run_uv
from .venvs import _locked, cache_root

__all__ = ["BuiltArchive", "batch_target", "install_for", "lambda_target", "zip_folder"]

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_DONE = ".sfnflow-installed"


def _manylinux(python: str, arch: str) -> str:
    """The newest manylinux the runtime's glibc runs: python3.12+ is on Amazon Linux 2023
    (glibc 2.34), older runtimes on Amazon Linux 2 (glibc 2.26 -> manylinux2014)."""
    machine = "aarch64" if arch == "arm64" else "x86_64"
    modern = tuple(int(x) for x in python.split(".")[:2]) >= (3, 12)
    return f"{machine}-manylinux_2_34" if modern else f"{machine}-manylinux2014"


def lambda_target(python: str, arch: str) -> Target:
    """Lambda's Python runtime already has boto3; the code package carries cloudpickle."""
    if python not in LAMBDA_PYTHON_VERSIONS:
        raise ValueError(python)
    return Target("lambda", python, _manylinux(python, arch), ())


def batch_target(python: str, arch: str = "x86_64") -> Target:
    """A stock python:X.Y-slim image: the bundle brings boto3 (no pip install per task)."""
    return Target("batch", python, "x86_64-manylinux_2_34" if arch != "arm64" else "aarch64-manylinux_2_34",
                  ("boto3",))


@dataclass(frozen=True)
class BuiltArchive:
    """An environment installed for a cloud platform, and its zip."""

    hash: str  # the environment's hash
    folder: str  # the installed files
    zip_path: str
    sha256: str  # of the zip: its content address
    unzipped_bytes: int
    sizes: tuple[tuple[str, int], ...]  # (top-level entry, bytes), largest first


def install_for(entry: LockEntry, target: Target, kind: str, *, prefix: str = "", cache: str | None = None) -> BuiltArchive:
    """Install the locked packages for `target` (once per hash) and zip them under `prefix`
    ("python" for a Lambda layer: Lambda puts /opt/python on sys.path).

    Raises:
        UvFailed: a locked package has no wheel for the platform, or the download failed.
    """
    base = os.path.join(cache or cache_root(), "cloud", entry.hash)
    files = os.path.join(base, "files")
    with _locked(os.path.join(base + ".lock")):
        if not os.path.isfile(os.path.join(files, _DONE)):
            shutil.rmtree(files, ignore_errors=True)
            os.makedirs(files)
            try:
                if entry.pins:
                    run_uv(["pip", "install", "--quiet", "--no-deps", "--target", files, "--python-version",
                            target.python, "--python-platform", target.platform, "--only-binary", ":all:",
                            "--no-compile", "-r", "-"], stdin="\n".join(entry.pins) + "\n")
            except UvFailed:
                shutil.rmtree(files, ignore_errors=True)
                raise
            open(os.path.join(files, _DONE), "w").close()
        zip_path = os.path.join(base, f"{kind}.zip")
        if not os.path.isfile(zip_path):
            zip_folder(files, zip_path, prefix)
    sizes = _sizes(files)
    return BuiltArchive(entry.hash, files, zip_path, _sha256(zip_path), sum(size for _, size in sizes), sizes)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def zip_folder(folder: str, zip_path: str, prefix: str = "") -> None:
    """A deterministic zip of `folder` (sorted names, fixed dates and modes), written atomically."""
    tmp = f"{zip_path}.{os.getpid()}.tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames):
                if name == _DONE or name.endswith(".pyc"):
                    continue
                path = os.path.join(dirpath, name)
                arc = os.path.relpath(path, folder).replace(os.sep, "/")
                info = zipfile.ZipInfo(f"{prefix}/{arc}" if prefix else arc, date_time=_ZIP_DATE)
                executable = os.access(path, os.X_OK)
                info.external_attr = (0o100755 if executable else 0o100644) << 16
                info.create_system = 3
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(path, "rb") as fh:
                    archive.writestr(info, fh.read())
    os.replace(tmp, zip_path)


def _sizes(folder: str) -> tuple[tuple[str, int], ...]:
    sizes: dict[str, int] = {}
    for dirpath, _dirs, filenames in os.walk(folder):
        top = os.path.relpath(dirpath, folder).split(os.sep, 1)[0]
        for name in filenames:
            key = name if top == "." else top
            try:
                sizes[key] = sizes.get(key, 0) + os.path.getsize(os.path.join(dirpath, name))
            except OSError:
                pass
    return tuple(sorted(sizes.items(), key=lambda kv: -kv[1]))
