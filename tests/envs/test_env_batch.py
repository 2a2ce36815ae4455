"""Step environments on AWS Batch, under moto (MotoCloud): the environment is built once per
hash into a bundle stored content-addressed in the datastore, the job definition runs the
stock image of the environment's Python and names the bundle (key and sha256) instead of
the boto3 bundle, and the job unpacks it at start: no package is installed per task."""
from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest

from sfn_compiler.compile import compile_file

FLOW = '''
import platform
from sfnflow import FlowSpec, batch, pypi, step


def ran():
    import idna
    return {"python": platform.python_version(), "idna": idna.__version__}


class BatchEnvsFlow(FlowSpec):
    @batch(cpu=1, memory=2048)
    @pypi(python="3.12", packages={"idna": "3.7"})
    @step
    def start(self):
        self.ran = ran()
        self.next(self.end)

    @step
    def end(self):
        pass
'''


@pytest.mark.slow
def test_a_batch_step_runs_in_its_environment_unpacked_from_the_datastore(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from sfnflow.emulate.harness import MotoCloud

    for name in ("SFNFLOW_DATASTORE", "SFNFLOW_BUCKET", "SFNFLOW_TABLE", "SFNFLOW_PREFIX", "SFNFLOW_ROOT"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / f"batch_envs_{uuid.uuid4().hex[:8]}.py"
    path.write_text(textwrap.dedent(FLOW).lstrip())
    with MotoCloud() as cloud:
        deployed = cloud.deploy(str(path), compile_file(str(path)), env_root=str(tmp_path / "store"))
        (job_arn,) = deployed.job_definitions.values()
        (definition,) = cloud.client("batch").describe_job_definitions(jobDefinitions=[job_arn])["jobDefinitions"]
        props = definition["containerProperties"]
        variables = {v["name"]: v["value"] for v in props["environment"]}
        assert "/python:3.12-slim@sha256:" in props["image"]
        bundle = cloud.client("s3").get_object(Bucket=cloud.bucket, Key=variables["SFNFLOW_DEPS_KEY"])["Body"].read()
        import hashlib
        import io
        import zipfile

        assert hashlib.sha256(bundle).hexdigest() == variables["SFNFLOW_DEPS_SHA256"]
        names = zipfile.ZipFile(io.BytesIO(bundle)).namelist()
        assert "idna-3.7.dist-info/METADATA" in names and "boto3/__init__.py" in names  # the job's own boto3
        result = cloud.run(deployed, "batch-envs-1")
        assert result.status == "SUCCEEDED", (result.error, result.cause, [j.stderr[-2000:] for j in cloud.batch.jobs])
        (job,) = cloud.batch.jobs
        assert "-S" in job.command[:2] and "pip" not in " ".join(job.command)  # a bare interpreter; no install
        store = cloud.artifact_store()
        index = store.get_index("BatchEnvsFlow", "batch-envs-1", "start", "0")
        ran = store.load("BatchEnvsFlow", index.artifacts["ran"], "ran")
        assert index.meta["environment"] == variables["SFNFLOW_ENVIRONMENT"]
    assert ran["python"].startswith("3.12.") and ran["idna"] == "3.7"
