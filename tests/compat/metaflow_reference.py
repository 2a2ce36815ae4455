"""Establish Metaflow's results for a compat flow: run it under Metaflow 2.19, print what it gave.

    python tests/compat/metaflow_reference.py switch_basic [--param value ...]

Copies tests/compat/flows/<name>.py into a temporary folder with the import line changed
from sfnflow to metaflow, runs `python flow.py --no-pylint run ...` there (local
datastore and metadata inside the folder, USERNAME=compat), then prints, as JSON, the run's
status, the steps that ran (with their task count) and every artifact of every task
(repr of the value). The expected values in tests/compat/test_*.py were written from
this output. Needs metaflow==2.19.39 (the `test` extra).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLOWS = Path(__file__).resolve().parent / "flows"


def metaflow_copy(source: Path, folder: Path) -> Path:
    text = source.read_text().replace("from sfnflow import", "from metaflow import").replace(
        "from sfnflow.", "from metaflow.")
    target = folder / source.name
    target.write_text(text)
    return target


def run(name: str, args: list[str]) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="mf-ref-"))
    try:
        flow = metaflow_copy(FLOWS / f"{name}.py", folder)
        if (FLOWS / "data").is_dir():
            shutil.copytree(FLOWS / "data", folder / "data")
        env = dict(os.environ, USERNAME="compat", METAFLOW_DATASTORE_SYSROOT_LOCAL=str(folder),
                   METAFLOW_DEFAULT_DATASTORE="local", METAFLOW_DEFAULT_METADATA="local")
        env.pop("PYTHONPATH", None)
        proc = subprocess.run([sys.executable, str(flow), "--no-pylint", "run", *args], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=600)
        script = (
            "import json, metaflow\n"
            "from metaflow import Flow, namespace\n"
            "namespace(None)\n"
            f"run = Flow({_flow_class(flow)!r}).latest_run\n"
            "out = {'successful': run.successful, 'steps': {}}\n"
            "for step in run:\n"
            "    tasks = {}\n"
            "    for task in step:\n"
            "        arts = {a.id: repr(a.data) for a in task if not a.id.startswith('_') and a.id != 'name'}\n"
            "        arts['<successful>'] = task.successful\n"
            "        arts['<attempt>'] = task.current_attempt\n"
            "        exc = task.exception\n"
            "        arts['<exception>'] = None if exc is None else [exc.type, exc.exception]\n"
            "        tasks[task.id] = arts\n"
            "    out['steps'][step.id] = tasks\n"
            "print(json.dumps(out, sort_keys=True))\n"
        )
        read = subprocess.run([sys.executable, "-c", script], cwd=folder, env=env, capture_output=True, text=True)
        result = json.loads(read.stdout) if read.returncode == 0 else {"read_error": read.stderr[-2000:]}
        result["exit_code"] = proc.returncode
        result["stdout_tail"] = proc.stdout[-1500:]
        result["stderr_tail"] = proc.stderr[-1500:]
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _flow_class(path: Path) -> str:
    for line in path.read_text().splitlines():
        if line.startswith("class ") and "FlowSpec" in line:
            return line.split()[1].split("(")[0]
    raise SystemExit(f"no flow class in {path}")


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], sys.argv[2:]), indent=1, sort_keys=True))
