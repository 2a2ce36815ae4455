"""The machine sizes a Batch step can land on: Fargate's sizes and the EC2 types sfnflow uses.

Plain data and pure functions, shared by the CDK stack (job sizes that Batch can place)
and the cost estimate (which machine a step is billed for).

ECS reserves part of an EC2 instance's memory for the OS and its agent: a job asking for
an instance's whole nominal memory does not fit it, and Batch quietly launches the next
size up (for a GPU step, twice the price). AWS Batch's memory-management page
recommends a 5 % buffer (an m4.large's 8 GiB registers as 7,985 MiB). `fit_ec2_job`
trims such a request to what the instance it asks for can give.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ECS_RESERVE_FRACTION", "FARGATE_SIZES", "Ec2Fit", "Instance", "cheapest_instance", "ec2_usable_mb",
           "fargate_size", "fit_ec2_job", "queue_on_fargate", "size_notes"]

# Fargate's valid (vCPU, memory MiB) pairs: Batch rejects any other combination.
FARGATE_SIZES: tuple[tuple[float, range], ...] = (
    (0.25, range(512, 2049, 512)),
    (0.5, range(1024, 4097, 1024)),
    (1.0, range(2048, 8193, 1024)),
    (2.0, range(4096, 16385, 1024)),
    (4.0, range(8192, 30721, 1024)),
    (8.0, range(16384, 61441, 4096)),
    (16.0, range(32768, 122881, 8192)),
)

ECS_RESERVE_FRACTION = 0.05
_ROUND_MB = 256  # trimmed requests are rounded down to this


@dataclass(frozen=True)
class Instance:
    name: str
    vcpu: int
    memory_mb: int
    gpus: int = 0


def _family(prefix: str, sizes: tuple[tuple[str, int, int, int], ...]) -> tuple[Instance, ...]:
    return tuple(Instance(f"{prefix}.{size}", vcpu, gib * 1024, gpus) for size, vcpu, gib, gpus in sizes)


# The GPU families the gpu queue allows (cdk/batch.py), and general-purpose / memory types
# for CPU jobs too big for Fargate.
GPU_INSTANCES = (
    _family("g4dn", (("xlarge", 4, 16, 1), ("2xlarge", 8, 32, 1), ("4xlarge", 16, 64, 1), ("8xlarge", 32, 128, 1),
                     ("12xlarge", 48, 192, 4), ("16xlarge", 64, 256, 1), ("metal", 96, 384, 8)))
    + _family("g5", (("xlarge", 4, 16, 1), ("2xlarge", 8, 32, 1), ("4xlarge", 16, 64, 1), ("8xlarge", 32, 128, 1),
                     ("12xlarge", 48, 192, 4), ("16xlarge", 64, 256, 1), ("24xlarge", 96, 384, 4),
                     ("48xlarge", 192, 768, 8)))
    + _family("g6", (("xlarge", 4, 16, 1), ("2xlarge", 8, 32, 1), ("4xlarge", 16, 64, 1), ("8xlarge", 32, 128, 1),
                     ("12xlarge", 48, 192, 4), ("16xlarge", 64, 256, 1), ("24xlarge", 96, 384, 4),
                     ("48xlarge", 192, 768, 8)))
)
CPU_INSTANCES = (
    _family("m5", (("large", 2, 8, 0), ("xlarge", 4, 16, 0), ("2xlarge", 8, 32, 0), ("4xlarge", 16, 64, 0),
                   ("8xlarge", 32, 128, 0), ("12xlarge", 48, 192, 0), ("16xlarge", 64, 256, 0),
                   ("24xlarge", 96, 384, 0)))
    + _family("r5", (("large", 2, 16, 0), ("xlarge", 4, 32, 0), ("2xlarge", 8, 64, 0), ("4xlarge", 16, 128, 0),
                     ("8xlarge", 32, 256, 0), ("12xlarge", 48, 384, 0), ("16xlarge", 64, 512, 0),
                     ("24xlarge", 96, 768, 0)))
)


def fargate_size(cpu: float, memory_mb: int) -> tuple[float, int] | None:
    """The smallest Fargate size with at least `cpu` vCPUs and `memory_mb` MiB, or None."""
    for vcpu, memories in FARGATE_SIZES:
        if vcpu < cpu:
            continue
        fits = [m for m in memories if m >= memory_mb]
        if fits:
            return vcpu, fits[0]
    return None


def ec2_usable_mb(instance: Instance) -> int:
    """Memory a job can ask for on this instance once ECS has taken its share."""
    usable = int(instance.memory_mb * (1 - ECS_RESERVE_FRACTION))
    return usable - usable % _ROUND_MB


def cheapest_instance(cpu: float, memory_mb: int, gpu: int, prices: dict[str, float] | None = None) -> Instance | None:
    """The instance Batch would pick for a job (ECS's reserve counted): cheapest when prices are given,
    else the smallest (fewest vCPUs, then least memory)."""
    pool = GPU_INSTANCES if gpu else CPU_INSTANCES
    fits = [i for i in pool if i.vcpu >= cpu and i.gpus >= gpu and ec2_usable_mb(i) >= memory_mb]
    if prices:
        fits = [i for i in fits if i.name in prices]
        return min(fits, key=lambda i: (prices[i.name], i.vcpu, i.memory_mb)) if fits else None
    return min(fits, key=lambda i: (i.vcpu, i.memory_mb, i.name)) if fits else None


@dataclass(frozen=True)
class Ec2Fit:
    memory_mb: int  # what the job definition asks for
    instance: Instance | None  # the smallest instance that takes it
    note: str = ""  # set when the request was trimmed


def fit_ec2_job(cpu: float, memory_mb: int, gpu: int) -> Ec2Fit:
    """Trim a job that asks for an instance's whole memory to what that instance can give.

    The instance "asked for" is the smallest one with the job's vCPUs and GPUs. If the
    request is above its usable memory but not above its nominal memory, the job gets
    the usable amount (and lands there); a request above the nominal memory is kept: it
    needs the bigger instance either way.
    """
    pool = GPU_INSTANCES if gpu else CPU_INSTANCES
    candidates = sorted((i for i in pool if i.vcpu >= cpu and i.gpus >= gpu), key=lambda i: (i.vcpu, i.memory_mb))
    if candidates:
        target = candidates[0]
        usable = ec2_usable_mb(target)
        if usable < memory_mb <= target.memory_mb:
            note = (f"memory {memory_mb} MiB is all of a {target.name} and ECS keeps {ECS_RESERVE_FRACTION:.0%} "
                    f"of it; the job asks for {usable} MiB so it fits one (ask for more than "
                    f"{target.memory_mb} MiB to get a bigger instance)")
            return Ec2Fit(usable, target, note)
    return Ec2Fit(memory_mb, cheapest_instance(cpu, memory_mb, gpu))


def queue_on_fargate(kind: str, jobs: list[tuple[float, int]]) -> bool:
    """A job queue runs on Fargate when it is the cpu queue and every job (cpu, memory) fits a Fargate size."""
    return kind == "cpu" and all(fargate_size(cpu, memory) for cpu, memory in jobs)


def size_notes(job_definitions: Any) -> list[str]:
    """One line per EC2 job whose memory was trimmed to fit its instance (DeploymentModel.job_definitions)."""
    notes = []
    for kind in sorted({j.queue for j in job_definitions}):
        jobs = [j for j in job_definitions if j.queue == kind]
        if queue_on_fargate(kind, [(j.cpu, j.memory_mb) for j in jobs]):
            continue
        for job in jobs:
            fit = fit_ec2_job(job.cpu, job.memory_mb, job.gpu)
            if fit.note:
                notes.append(f"steps {', '.join(job.steps)}: {fit.note}")
    return notes
