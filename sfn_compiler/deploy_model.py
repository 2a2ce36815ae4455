"""The deployment model: every cloud resource a compiled flow needs, as frozen records.

CDK builds the stack from it, the local engine creates the same resources in moto from
it, and a deployed stack serves its parameter specs so `trigger` can validate input.
It also decides each step's compute (Lambda by default, Batch when Lambda can't host it).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .asl import arns
from .dsl.specs import ParameterSpec
from .compute import LAMBDA_MAX_MEMORY_MB, LAMBDA_MAX_TIMEOUT_S, LAMBDA_MIN_MEMORY_MB, goes_to_batch
from .environments import EnvironmentRequest, step_environment
from .graph.model import FlowGraph, StepNode


LAMBDA_DEFAULT_MEMORY_MB = 1024
LAMBDA_DEFAULT_TIMEOUT_S = LAMBDA_MAX_TIMEOUT_S  # steps may be long; @timeout narrows it
LAMBDA_DEFAULT_ARCH = "x86_64"

BATCH_DEFAULT_CPU = 1.0
BATCH_DEFAULT_MEMORY_MB = 4096

COMPUTE_LAMBDA = "lambda"
COMPUTE_BATCH = "batch"


@dataclass(frozen=True)
class StepEnvironment:
    """One distinct @pypi/@conda request and the steps that share it (one venv, function, bundle)."""

    key: str  # "py312_1": the request's Python and its ordinal in the flow
    request: EnvironmentRequest
    steps: tuple[str, ...]


@dataclass(frozen=True)
class LambdaFunction:
    key: str  # stable and readable: "default", "mem3008_t600", "mem2048_arm64_env1", "py311_2"
    memory_mb: int
    timeout_s: int
    architecture: str
    environment: tuple[tuple[str, str], ...]
    steps: tuple[str, ...]
    python_env: str | None = None  # StepEnvironment.key; None: the deploying interpreter, no packages
    python: str | None = None  # the Lambda runtime's Python ("3.11"); None: the deploying interpreter's


@dataclass(frozen=True)
class BatchJobDefinition:
    key: str  # "cpu4_mem16384_gpu1", ...
    cpu: float
    memory_mb: int
    gpu: int
    image: str | None  # None: the deployer's default image
    queue: str  # "cpu" | "gpu": which job queue it is submitted to
    queue_override: str | None  # a queue the user named with @batch(queue=...)
    environment: tuple[tuple[str, str], ...]
    steps: tuple[str, ...]
    python_env: str | None = None  # StepEnvironment.key, unpacked at task start (see runtime)
    python: str | None = None  # the image's Python; None: the deploying interpreter's


@dataclass(frozen=True)
class ComputeTarget:
    kind: str  # COMPUTE_LAMBDA | COMPUTE_BATCH
    key: str  # LambdaFunction.key or BatchJobDefinition.key
    queue: str = ""  # Batch only: the job queue kind, "cpu" | "gpu"


@dataclass(frozen=True)
class Schedule:
    expression: str  # EventBridge: cron(...) or rate(...)
    source: str


@dataclass(frozen=True)
class DeploymentModel:
    flow_name: str
    workflow_type: str  # always "STANDARD" for now
    express_eligible: bool
    functions: tuple[LambdaFunction, ...]
    job_definitions: tuple[BatchJobDefinition, ...]
    schedules: tuple[Schedule, ...]
    parameters: tuple[ParameterSpec, ...]
    compute: tuple[tuple[str, ComputeTarget], ...]  # (step, target), in source order
    placeholders: tuple[arns.Placeholder, ...]  # every ${...} in the ASL, sorted by name
    environments: tuple[StepEnvironment, ...] = ()  # in first-use order

    def environment_of(self, step: str) -> StepEnvironment | None:
        return next((e for e in self.environments if step in e.steps), None)

    def python_environment(self, key: str) -> StepEnvironment:
        return next(e for e in self.environments if e.key == key)

    def target(self, step: str) -> ComputeTarget:
        for name, target in self.compute:
            if name == step:
                return target
        raise KeyError(step)

    def function(self, key: str) -> LambdaFunction:
        return next(f for f in self.functions if f.key == key)

    def job_definition(self, key: str) -> BatchJobDefinition:
        return next(j for j in self.job_definitions if j.key == key)

    def compute_labels(self) -> dict[str, str]:
        """step -> a short label for `show`: "lambda 1024 MB", "batch 4 cpu 16384 MB 1 gpu"."""
        labels = {}
        for step, target in self.compute:
            if target.kind == COMPUTE_LAMBDA:
                f = self.function(target.key)
                labels[step] = f"lambda {f.memory_mb} MB {f.timeout_s} s" + (" arm64" if f.architecture == "arm64" else "")
            else:
                j = self.job_definition(target.key)
                labels[step] = f"batch {_num(j.cpu)} cpu {j.memory_mb} MB" + (f" {j.gpu} gpu" if j.gpu else "")
        return labels

    @property
    def has_batch(self) -> bool:
        return bool(self.job_definitions)

    def parameter_specs_json(self) -> list[dict[str, Any]]:
        """The parameter specs as JSON-able dicts, for a stack to serve to `trigger`."""
        return [asdict(p) for p in self.parameters]


# -- compute resolution -------------------------------------------------------------------
def needs_batch(node: StepNode, with_batch: bool) -> bool:
    """Batch when asked for, or when the step needs more than Lambda offers (see compute.py)."""
    return goes_to_batch(node, with_batch)


def _environment(node: StepNode) -> tuple[tuple[str, str], ...]:
    env = node.decorator("environment")
    return tuple(env.vars) if env is not None else ()


def _lambda_config(node: StepNode, env_key: str | None) -> tuple[Any, ...]:
    lam, res, tmo = node.decorator("aws_lambda"), node.decorator("resources"), node.decorator("timeout")
    memory = (lam.memory if lam and lam.memory else None) or (res.memory if res and res.memory else None)
    memory = min(LAMBDA_MAX_MEMORY_MB, max(LAMBDA_MIN_MEMORY_MB, int(memory or LAMBDA_DEFAULT_MEMORY_MB)))
    # The function's own timeout follows @timeout so an abandoned invocation stops billing.
    timeout = (lam.timeout if lam and lam.timeout else None) or (tmo.seconds if tmo and tmo.seconds else None)
    timeout = min(LAMBDA_MAX_TIMEOUT_S, max(1, int(timeout or LAMBDA_DEFAULT_TIMEOUT_S)))
    arch = lam.architecture if lam else LAMBDA_DEFAULT_ARCH
    return memory, timeout, arch, _environment(node), env_key


def _batch_config(node: StepNode, env_key: str | None) -> tuple[Any, ...]:
    bat, res = node.decorator("batch"), node.decorator("resources")

    def pick(attr: str) -> Any:
        # @resources wins where given (Metaflow: the larger of the two); else @batch's.
        values = [getattr(d, attr) for d in (bat, res) if d is not None and getattr(d, attr) is not None]
        return max(values) if values else None

    cpu = float(pick("cpu") or BATCH_DEFAULT_CPU)
    memory = int(pick("memory") or BATCH_DEFAULT_MEMORY_MB)
    gpu = int(pick("gpu") or 0)
    image = bat.image if bat else None
    queue = bat.queue if bat else None
    return cpu, memory, gpu, image, queue, _environment(node), env_key


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", "p")


def resolve_environments(graph: FlowGraph) -> tuple[StepEnvironment, ...]:
    """Equal @pypi/@conda requests share one environment; keys number them in step order."""
    by_request: dict[EnvironmentRequest, list[str]] = {}
    for node in graph.steps:
        request = step_environment(graph, node)
        if request is not None:
            by_request.setdefault(request, []).append(node.name)
    envs = []
    for n, (request, steps) in enumerate(by_request.items(), start=1):
        minor = request.python_minor
        key = f"py{minor.replace('.', '')}_{n}" if minor else f"pyenv_{n}"
        envs.append(StepEnvironment(key, request, tuple(steps)))
    return tuple(envs)


def resolve_compute(graph: FlowGraph, with_batch: bool, environments: tuple[StepEnvironment, ...] = ()) -> tuple[
    tuple[LambdaFunction, ...], tuple[BatchJobDefinition, ...], tuple[tuple[str, ComputeTarget], ...]
]:
    """One Lambda function per distinct runtime config (environment included), one job
    definition per Batch shape and environment."""
    env_of = {step: env for env in environments for step in env.steps}
    lambda_cfgs: dict[tuple[Any, ...], list[str]] = {}
    batch_cfgs: dict[tuple[Any, ...], list[str]] = {}
    chosen: list[tuple[str, str, tuple[Any, ...]]] = []
    for node in graph.steps:
        env = env_of.get(node.name)
        env_key = env.key if env is not None else None
        if needs_batch(node, with_batch):
            cfg = _batch_config(node, env_key)
            batch_cfgs.setdefault(cfg, []).append(node.name)
            chosen.append((node.name, COMPUTE_BATCH, cfg))
        else:
            cfg = _lambda_config(node, env_key)
            lambda_cfgs.setdefault(cfg, []).append(node.name)
            chosen.append((node.name, COMPUTE_LAMBDA, cfg))
    python_of = {env.key: env.request.python_minor for env in environments}

    env_ids = _ordinal_ids([c[-2] for c in list(lambda_cfgs) + list(batch_cfgs) if c[-2]], "env")
    image_ids = _ordinal_ids([c[3] for c in batch_cfgs if c[3]], "img")
    queue_ids = _ordinal_ids([c[4] for c in batch_cfgs if c[4]], "q")

    lambda_keys: dict[tuple[Any, ...], str] = {}
    functions = []
    for cfg, steps in lambda_cfgs.items():
        memory, timeout, arch, env, penv = cfg
        parts = []
        if memory != LAMBDA_DEFAULT_MEMORY_MB:
            parts.append(f"mem{memory}")
        if timeout != LAMBDA_DEFAULT_TIMEOUT_S:
            parts.append(f"t{timeout}")
        if arch != LAMBDA_DEFAULT_ARCH:
            parts.append(arch)
        if env:
            parts.append(env_ids[env])
        if penv:
            parts.append(penv)
        key = "_".join(parts) or "default"
        lambda_keys[cfg] = key
        functions.append(LambdaFunction(key, memory, timeout, arch, env, tuple(steps), penv, python_of.get(penv)))

    batch_keys: dict[tuple[Any, ...], str] = {}
    jobs = []
    for cfg, steps in batch_cfgs.items():
        cpu, memory, gpu, image, queue, env, penv = cfg
        parts = [f"cpu{_num(cpu)}", f"mem{memory}"] + ([f"gpu{gpu}"] if gpu else [])
        parts += [image_ids[image]] if image else []
        parts += [queue_ids[queue]] if queue else []
        parts += [env_ids[env]] if env else []
        parts += [penv] if penv else []
        key = "_".join(parts)
        batch_keys[cfg] = key
        jobs.append(BatchJobDefinition(key, cpu, memory, gpu, image, "gpu" if gpu else "cpu", queue, env, tuple(steps),
                                       penv, python_of.get(penv)))

    compute = tuple(
        (name, ComputeTarget(COMPUTE_LAMBDA, lambda_keys[cfg]) if kind == COMPUTE_LAMBDA
         else ComputeTarget(COMPUTE_BATCH, batch_keys[cfg], "gpu" if cfg[2] else "cpu"))
        for name, kind, cfg in chosen
    )
    by_key = lambda item: item.key  # noqa: E731
    return tuple(sorted(functions, key=by_key)), tuple(sorted(jobs, key=by_key)), compute


def _ordinal_ids(values: list[Any], prefix: str) -> dict[Any, str]:
    """Number distinct values in first-seen order: readable, stable keys without hashes."""
    ids: dict[Any, str] = {}
    for value in values:
        if value not in ids:
            ids[value] = f"{prefix}{len(ids) + 1}"
    return ids


def placeholders_for(asl_text: str, model_functions: tuple[LambdaFunction, ...],
                     jobs: tuple[BatchJobDefinition, ...]) -> tuple[arns.Placeholder, ...]:
    """Every placeholder the ASL text uses, with what it must be filled with."""
    known = {p.name: p for p in (
        [arns.artifact_bucket_placeholder(), arns.metadata_table_placeholder()]
        + [arns.function_placeholder(f.key) for f in model_functions]
        + [arns.job_definition_placeholder(j.key) for j in jobs]
        + [arns.job_queue_placeholder(q) for q in sorted({j.queue for j in jobs})]
    )}
    used = arns.placeholders_in(asl_text)
    unknown = [name for name in used if name not in known]
    if unknown:  # a compiler bug, not a user error
        raise AssertionError(f"ASL uses placeholders the model does not describe: {unknown}")
    return tuple(known[name] for name in used)


def schedules_of(graph: FlowGraph) -> tuple[Schedule, ...]:
    return tuple(Schedule(d.expression, d.source) for d in graph.flow_decorators if d.kind == "schedule")
