"""The code package: one deterministic zip holding everything a task needs to run.

Deploy-time code (it runs on the deployer's machine, never in a task), so it lives with
the deployer and does not ship itself.

Contents (archive paths relative to the package root, which Lambda unpacks to /var/task):

- the flow file, at its own name;
- the local modules it imports: modules whose files live under the flow file's folder,
  at their paths relative to it;
- sfnflow's own packages: `sfnflow` (less `sfnflow/cli`, `sfnflow/deploy` and the AWS
  emulation `sfnflow/emulate`), `sfn_compiler`, `runtime` (less the local engine,
  `runtime/engine`);
- `cloudpickle`, vendored from the installed package (the Lambda Python runtime has boto3
  but not cloudpickle).

Local modules are found by scanning imports in the source (ast), recursively from the
flow file, not by importing the flow and walking sys.modules. Scanning runs no user code,
sees imports inside functions (a step that does `from model import fit` only imports it
when the step runs), and gives the same answer in every process, whatever that process
happened to import before. It cannot see imports spelled as strings
(`importlib.import_module(name)`) or data files the flow opens: name those with
`include=` (glob patterns relative to the flow's folder).

Deterministic: entries sorted, timestamps fixed at 1980-01-01 00:00, permissions 0644,
no __pycache__, fixed compression level. Same code -> same bytes -> same sha256, so the
S3 key `<prefix>code/<sha>.zip` is content-addressed and an unchanged flow uploads nothing.
"""
from __future__ import annotations

import ast
import glob
import hashlib
import importlib
import io
import os
import zipfile
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

__all__ = ["CodePackage", "build_code_package", "code_key", "local_module_files", "upload_code_package"]

# Our packages and the subfolders that must not ship (CLI needs click; the engine needs moto).
_SHIPPED_PACKAGES: dict[str, tuple[str, ...]] = {
    "sfnflow": ("cli", "deploy", "emulate"),  # the CLI, the deployer and the emulation never run in Lambda or Batch
    "sfn_compiler": (),
    "runtime": ("engine",),
}
_VENDORED = ("cloudpickle",)
_SKIP_DIRS = frozenset({"__pycache__", "tests", "test"})
_SKIP_SUFFIXES = (".pyc", ".pyo", ".so.tmp")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold
_FILE_MODE = 0o100644 << 16  # regular file, rw-r--r--: Lambda needs world-readable files
_COMPRESS_LEVEL = 9
# sfnflow/deploy/package.py -> the folder holding sfnflow, sfn_compiler and runtime
_DISTRIBUTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass(frozen=True)
class CodePackage:
    """A built package: the zip's bytes, their sha256, and the archive paths it holds."""

    data: bytes
    sha256: str
    files: tuple[str, ...]
    flow_file: str  # archive path of the flow file (SFNFLOW_FLOW_FILE)

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def batch_support(self) -> Any:
        """The boto3 bundle and bootstrap a Batch step on the stock image needs (batch_support.py)."""
        from .batch_support import build_batch_support

        return build_batch_support()

    @property
    def unzipped_size(self) -> int:
        """Bytes once unpacked: what counts against Lambda's 250 MB with the layers."""
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
            return sum(info.file_size for info in archive.infolist())


def build_code_package(flow_file: str, include: Sequence[str] = ()) -> CodePackage:
    """Zip the flow, its local modules, sfnflow's runtime and cloudpickle, deterministically.

    Args:
        flow_file: path of the flow file.
        include: extra glob patterns (relative to the flow's folder) for files the import
            scan cannot see: data files, modules imported by name at run time.

    Raises:
        FileNotFoundError: the flow file does not exist.
        ValueError: a local module would shadow one of sfnflow's packages, or a source
            file does not parse.
    """
    flow_file = os.path.abspath(flow_file)
    if not os.path.isfile(flow_file):
        raise FileNotFoundError(f"no flow file at {flow_file}")
    folder = os.path.dirname(flow_file)
    entries: dict[str, str] = {}  # archive path -> file on disk
    for path in local_module_files(flow_file) + _included(folder, include):
        entries[_arcname(path, folder)] = path
    for arc in entries:
        top = arc.split("/", 1)[0].removesuffix(".py")
        if top in _SHIPPED_PACKAGES or top in _VENDORED:
            raise ValueError(f"{os.path.join(folder, arc)}: the local module '{top}' has the name of a package "
                             f"sfnflow ships with every flow. Rename it.")
    for name, skip in _SHIPPED_PACKAGES.items():
        entries.update(_package_files(name, skip))
    for name in _VENDORED:
        entries.update(_package_files(name, ()))
    data = _zip(sorted(entries.items()))
    return CodePackage(data=data, sha256=hashlib.sha256(data).hexdigest(), files=tuple(sorted(entries)),
                       flow_file=_arcname(flow_file, folder))


def code_key(sha256: str, prefix: str = "") -> str:
    """The S3 key of a package: content-addressed under `<prefix>code/`."""
    prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
    return f"{prefix}code/{sha256}.zip"


def upload_code_package(pkg: CodePackage, s3_client: Any, bucket: str, prefix: str = "") -> tuple[str, bool]:
    """Put the package at its content-addressed key unless it is already there.

    Returns:
        (key, uploaded): uploaded is False when an identical package was in place.
    """
    key = code_key(pkg.sha256, prefix)
    try:
        s3_client.head_object(Bucket=bucket, Key=key)
        return key, False
    except Exception as exc:
        status = (getattr(exc, "response", None) or {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status != 404:
            raise
    s3_client.put_object(Bucket=bucket, Key=key, Body=pkg.data, ContentType="application/zip")
    return key, True


# -- local modules -------------------------------------------------------------------------
def local_module_files(flow_file: str) -> list[str]:
    """The flow file and every module under its folder that it imports, transitively."""
    flow_file = os.path.abspath(flow_file)
    folder = os.path.dirname(flow_file)
    found: list[str] = []
    todo = [flow_file]
    while todo:
        path = todo.pop()
        if path in found:
            continue
        found.append(path)
        for dotted in _imported_names(path, folder):
            todo.extend(p for p in _resolve(dotted, folder) if p not in found)
    return sorted(found)


def _imported_names(path: str, folder: str) -> Iterator[str]:
    """Dotted names a source file imports (relative imports made absolute), everywhere in it."""
    with open(path, "rb") as handle:
        source = handle.read()
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise ValueError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from exc
    package = _package_of(path, folder)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                if node.level - 1 > len(parts):
                    continue  # beyond the top: Python would refuse it too
                parts = parts[:len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            if base:
                yield base
            # `from pkg import mod` may name submodules as well as attributes.
            yield from (f"{base}.{alias.name}" if base else alias.name for alias in node.names if alias.name != "*")


def _package_of(path: str, folder: str) -> str:
    rel = os.path.relpath(path, folder).replace(os.sep, "/")
    parts = rel.split("/")[:-1]
    return ".".join(parts)


def _resolve(dotted: str, folder: str) -> list[str]:
    """Files under `folder` that importing `dotted` would execute (package __init__s too)."""
    parts = dotted.split(".")
    if parts[0] in _SHIPPED_PACKAGES or parts[0] in _VENDORED:
        return []  # shipped whole, below
    files: list[str] = []
    here = folder
    for part in parts:
        package_dir = os.path.join(here, part)
        module = package_dir + ".py"
        if os.path.isdir(package_dir):
            init = os.path.join(package_dir, "__init__.py")
            if os.path.isfile(init):
                files.append(init)
            here = package_dir  # a namespace package when there is no __init__.py
        elif os.path.isfile(module):
            files.append(module)
            break
        else:
            break
    return files


def _included(folder: str, patterns: Iterable[str]) -> list[str]:
    files: list[str] = []
    for pattern in patterns:
        matches = [p for p in glob.glob(os.path.join(folder, pattern), recursive=True) if os.path.isfile(p)]
        if not matches:
            raise FileNotFoundError(f"include pattern {pattern!r} matches no file under {folder}")
        files.extend(os.path.abspath(p) for p in matches
                     if not _skipped(os.path.relpath(p, folder)))
    return files


# -- shipped packages ----------------------------------------------------------------------
def _package_dir(name: str) -> str:
    """Where a shipped package's files are.

    sfnflow's three packages are one distribution, so they sit side by side, above this
    file's own package: found by location, not by import, because a folder of the same name on
    sys.path (say `tests/runtime/`) can make `runtime` resolve to a namespace package.
    """
    if name in _SHIPPED_PACKAGES:
        top = os.path.join(_DISTRIBUTION_ROOT, name)
        if os.path.isfile(os.path.join(top, "__init__.py")):
            return top
        raise ValueError(f"cannot find sfnflow's package '{name}' in {_DISTRIBUTION_ROOT}; reinstall sfnflow")
    module = importlib.import_module(name)
    if not getattr(module, "__file__", None):
        raise ValueError(f"cannot find the installed package '{name}' to ship with the flow")
    return os.path.dirname(os.path.abspath(module.__file__))


def _package_files(name: str, skip: tuple[str, ...]) -> dict[str, str]:
    top = _package_dir(name)
    base = os.path.dirname(top)
    entries = {}
    for folder, dirs, files in os.walk(top):
        rel_folder = os.path.relpath(folder, top).replace(os.sep, "/")
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")
                   and not (rel_folder == "." and d in skip)]
        for filename in files:
            path = os.path.join(folder, filename)
            if not _skipped(filename):
                entries[_arcname(path, base)] = path
    return entries


def _skipped(name: str) -> bool:
    base = os.path.basename(name)
    parts = name.replace(os.sep, "/").split("/")
    return (base.startswith(".") or base.endswith(_SKIP_SUFFIXES) or "__pycache__" in parts
            or ".tmp-" in base)


def _arcname(path: str, base: str) -> str:
    return os.path.relpath(path, base).replace(os.sep, "/")


def _zip(entries: list[tuple[str, str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for arcname, path in entries:
            info = zipfile.ZipInfo(arcname, date_time=_ZIP_DATE)
            info.external_attr = _FILE_MODE
            info.create_system = 3  # unix, whatever the building machine
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as handle:
                archive.writestr(info, handle.read(), compresslevel=_COMPRESS_LEVEL)
    return buffer.getvalue()
