"""Which data files travel with the flow, and whether the package fits Lambda.

The import scan finds the flow's modules; data files the flow opens by relative path (a
CSV next to it) must be named. Metaflow's habit is `--package-suffixes=.csv,.txt`: every
file under the flow's folder with one of those suffixes. A project can also say it once,
in the nearest pyproject.toml above the flow:

    [tool.sfnflow]
    package-suffixes = [".csv", ".txt"]
    package-include = ["data/**/*.parquet"]     # glob patterns, relative to the flow's folder

Lambda takes a package of up to 250 MB unzipped (from S3); a bigger one is refused before
anything is uploaded.
"""
from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from typing import Any, Sequence

__all__ = ["LAMBDA_UNZIPPED_LIMIT", "PackageError", "PackageReport", "package_patterns", "package_report", "parse_suffixes"]

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024  # bytes, code and layers unzipped
_SKIP_DIRS = {".git", ".sfnflow", "__pycache__", ".venv", "venv", "node_modules", "cdk.out", ".tox"}


class PackageError(ValueError):
    """The package options are malformed, or the package cannot run on Lambda."""


def parse_suffixes(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """`.csv,.txt` (or a list) -> ('.csv', '.txt'); a suffix without its dot gets one."""
    if not text:
        return ()
    items = text.split(",") if isinstance(text, str) else list(text)
    suffixes = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        if any(c in item for c in "/*?[]"):
            raise PackageError(f"package suffix {item!r} is not a suffix; write suffixes like .csv,.txt "
                               "(glob patterns go in [tool.sfnflow] package-include).")
        suffixes.append(item if item.startswith(".") else "." + item)
    return tuple(sorted(set(suffixes)))


def _project_config(flow_dir: str) -> dict[str, Any]:
    """[tool.sfnflow] of the nearest pyproject.toml at or above the flow's folder."""
    try:
        import tomllib
    except ImportError:  # Python 3.10: no stdlib TOML reader; the command-line option still works
        return {}
    folder = os.path.abspath(flow_dir)
    while True:
        candidate = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(candidate):
            with open(candidate, "rb") as fh:
                try:
                    data = tomllib.load(fh)
                except tomllib.TOMLDecodeError as exc:
                    raise PackageError(f"{candidate}: {exc}") from None
            return dict(data.get("tool", {}).get("sfnflow", {}))
        parent = os.path.dirname(folder)
        if parent == folder:
            return {}
        folder = parent


def package_patterns(flow_file: str, suffixes: Sequence[str] = ()) -> tuple[str, ...]:
    """Glob patterns (relative to the flow's folder) for build_code_package's `include`."""
    flow_dir = os.path.dirname(os.path.abspath(flow_file))
    config = _project_config(flow_dir)
    wanted = set(suffixes) | set(parse_suffixes(config.get("package-suffixes")))
    patterns = [str(p) for p in config.get("package-include", [])]
    if wanted:
        for folder, dirs, files in os.walk(flow_dir):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
            for name in sorted(files):
                if os.path.splitext(name)[1] in wanted:
                    patterns.append(os.path.relpath(os.path.join(folder, name), flow_dir))
    return tuple(sorted(set(patterns)))


@dataclass(frozen=True)
class PackageReport:
    files: int
    zipped: int
    unzipped: int
    data_files: tuple[str, ...]

    def line(self) -> str:
        extra = f", with {len(self.data_files)} data file(s)" if self.data_files else ""
        return (f"code package: {self.files} files, {self.zipped / 1e6:.1f} MB zipped, "
                f"{self.unzipped / 1e6:.1f} MB unzipped (Lambda's limit: {LAMBDA_UNZIPPED_LIMIT / 2**20:.0f} MB){extra}")


def package_report(package: Any) -> PackageReport:
    """Sizes of a built package; raises PackageError if Lambda would refuse it."""
    with zipfile.ZipFile(io.BytesIO(package.data)) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    data = tuple(f for f in package.files if not f.endswith(".py"))
    report = PackageReport(files=len(package.files), zipped=len(package.data), unzipped=unzipped,
                           data_files=data)
    if unzipped > LAMBDA_UNZIPPED_LIMIT:
        biggest = sorted(((i.file_size, i.filename) for i in zipfile.ZipFile(io.BytesIO(package.data)).infolist()),
                         reverse=True)[:3]
        names = ", ".join(f"{name} ({size / 1e6:.0f} MB)" for size, name in biggest)
        raise PackageError(f"the code package is {unzipped / 2**20:.0f} MB unzipped, over Lambda's "
                           f"{LAMBDA_UNZIPPED_LIMIT / 2**20:.0f} MB; the biggest files: {names}. Keep data in S3 "
                           "and read it at run time, or narrow --package-suffixes.")
    return report
