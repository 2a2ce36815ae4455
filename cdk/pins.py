"""What a deploy pins from the platform: Lambda's Python runtimes and the default Batch image.

Standard library only (DeployConfig checks both before aws_cdk is imported).

* Lambda: the runtime is `python<deploying interpreter's major.minor>` (cloudpickled
  artifacts only load on the same minor). Lambda offers a fixed list; a minor that is
  not on it fails here, at synth, with the list, instead of late in CloudFormation.
  Source: the Lambda runtimes page (docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html).
* Batch: the default image is the public ECR mirror of Docker Hub's `python:<minor>-slim`,
  pinned by digest so every task of a deploy runs the same bytes (a tag moves). These
  are multi-architecture index digests, recorded 2026-12; verify or replace one with
  `docker buildx imagetools inspect public.ecr.aws/docker/library/python:3.11-slim`, or
  set `batch_image` to an image of your own (pin it by digest too).
"""
from __future__ import annotations

__all__ = ["DEFAULT_BATCH_IMAGES", "LAMBDA_PYTHON_RUNTIMES", "default_batch_image", "lambda_runtime_problem"]

# minor -> note; "" for a runtime Lambda fully supports. Older minors take no new functions.
LAMBDA_PYTHON_RUNTIMES: dict[str, str] = {
    "3.10": "deprecated by AWS on 2026-06-30: move to a newer Python soon",
    "3.11": "",
    "3.12": "",
    "3.13": "",
    "3.14": "",
}

_ECR_PYTHON = "public.ecr.aws/docker/library/python"
DEFAULT_BATCH_IMAGES: dict[str, str] = {
    "3.10": f"{_ECR_PYTHON}:3.10-slim@sha256:e508a34e5491225a76fbb9e0f43ebde1f691c6a689d096d7510cf7fb17d4ba6f",
    "3.11": f"{_ECR_PYTHON}:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7",
    "3.12": f"{_ECR_PYTHON}:3.12-slim@sha256:ec948fa5f90f4f8907e89f4800cfd2d2e91e391a4bce4a6afa77ba265bc3a2fe",
    "3.13": f"{_ECR_PYTHON}:3.13-slim@sha256:7c61056e61ac89e852de05f3dc6fa51a6dd2181797bceed46aa725dd7cb2cd3b",
    "3.14": f"{_ECR_PYTHON}:3.14-slim@sha256:b877e50bd90de10af8d82c57a022fc2e0dc731c5320d762a27986facfc3355c1",
}


def lambda_runtime_problem(python_version: str) -> str | None:
    """One sentence when Lambda has no runtime for this Python minor, else None."""
    if python_version in LAMBDA_PYTHON_RUNTIMES:
        return None
    offered = ", ".join(LAMBDA_PYTHON_RUNTIMES)
    return (f"AWS Lambda has no python{python_version} runtime that takes new functions (it offers Python "
            f"{offered}); deploy from one of those interpreters (artifacts only load on the Python minor that "
            "wrote them), or set python_version.")


def default_batch_image(python_version: str) -> str | None:
    """The pinned stock image for this Python minor, or None when none is recorded."""
    return DEFAULT_BATCH_IMAGES.get(python_version)
