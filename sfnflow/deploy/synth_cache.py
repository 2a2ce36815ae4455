"""Synthesized cloud assemblies kept by what they were made from, so an unchanged flow
synthesizes in a moment instead of CDK's 30-45 s start-up.

The key covers everything a template depends on: the deploy configuration, the compiled
state machine and deployment model, the code package's sha256 (the flow, its modules,
the runtime), the source of sfnflow's CDK constructs and the aws-cdk-lib version. A
cache entry is the whole `cdk.out` folder, copied back on a hit. Entries live under
$SFNFLOW_CACHE_DIR, else $XDG_CACHE_HOME/sfnflow, else ~/.cache/sfnflow; the oldest are
removed beyond KEEP.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from sfn_compiler.contract import task_config

KEEP = 20
_CDK_SOURCE = Path(__file__).resolve().parents[2] / "cdk"


def cache_root() -> Path:
    base = os.environ.get(task_config.ENV_SYNTH_CACHE) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "sfnflow")
    return Path(base) / "synth"


def synth_key(config: Any, compiled: Any, package: Any, layers: Any = None) -> str:
    """`layers`: function key -> a step environment's Lambda layer (its zip's sha256 counts)."""
    digest = hashlib.sha256()
    fields = dataclasses.asdict(config) if dataclasses.is_dataclass(config) else vars(config)
    digest.update(json.dumps(fields, sort_keys=True, default=repr).encode())
    digest.update(compiled.asl_text.encode())
    digest.update(repr(compiled.model).encode())
    digest.update(package.sha256.encode())
    for key, layer in sorted((layers or {}).items()):
        digest.update(f"layer {key}={layer.sha256}".encode())
    for path in sorted(_CDK_SOURCE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json"):
            digest.update(path.relative_to(_CDK_SOURCE).as_posix().encode())
            digest.update(path.read_bytes())
    for dist in ("aws-cdk-lib", "botocore"):  # botocore: the Batch steps' boto3 bundle
        try:
            digest.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"no {dist}".encode())
    return digest.hexdigest()[:32]


def restore(key: str, outdir: str) -> bool:
    """Copy a cached assembly into outdir; False when there is none."""
    entry = cache_root() / key
    if not (entry / "manifest.json").exists():
        return False
    shutil.copytree(entry, outdir, dirs_exist_ok=True)
    os.utime(entry)  # recently used: kept longest
    return True


def store(key: str, outdir: str) -> None:
    """Keep outdir under key (atomically: a half-copied entry is never seen)."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".incoming-", dir=root))
    try:
        shutil.copytree(outdir, scratch, dirs_exist_ok=True)
        try:
            os.rename(scratch, root / key)
        except OSError:  # another synth of the same flow stored it first
            shutil.rmtree(scratch, ignore_errors=True)
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)  # a cache that cannot be written is only slower
        return
    entries = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
