"""The deployment model: every cloud resource a compiled flow needs, as frozen records.

CDK builds the flow's stack from it (cdk/flow_stack.py), the emulation creates the same
resources in moto from it (sfnflow/emulate/harness.py), and the local engine routes each
Task state by its keys; all three fill the ASL's placeholders from `placeholders`
through sfn_compiler.contract.placeholders. `resolve_compute` decides each step's compute
(Lambda by default, Batch when Lambda can't host it: compute.goes_to_batch) and groups
steps of equal shape into one function or job definition.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from .asl import arns
from .dsl.specs import ParameterSpec
from .event_rules import EventRule
from .compute import LAMBDA_MAX_MEMORY_MB, LAMBDA_MAX_TIMEOUT_S, LAMBDA_MIN_MEMORY_MB, goes_to_batch, timeout_backstop
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
    event_rules: tuple[EventRule, ...] = ()  # @trigger / @trigger_on_finish (event_rules.py)

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
            env = self.environment_of(step)
            if env is not None:
                labels[step] += f" env {env.key}"
        return labels

    @property
    def has_batch(self) -> bool:
        return bool(self.job_definitions)

    def parameter_specs_json(self) -> list[dict[str, Any]]:
        """The parameter specs as JSON-able dicts (for a deployed stack to serve one day: nothing does yet)."""
        return [asdict(p) for p in self.parameters]


# -- compute resolution -------------------------------------------------------------------
def needs_batch(node: StepNode, with_batch: bool) -> bool:
    """Batch when asked for, or when the step needs more than Lambda offers (see compute.py)."""
    return goes_to_batch(node, with_batch)


def _environment(node: StepNode) -> tuple[tuple[str, str], ...]:
    env = node.decorator("environment")
    return tuple(env.vars) if env is not None else ()


@dataclass(frozen=True)
class LambdaShape:
    """What makes two Lambda steps need different functions; equal shapes share one."""

    memory_mb: int
    timeout_s: int
    architecture: str
    environment: tuple[tuple[str, str], ...]  # @environment variables
    python_env: str | None  # StepEnvironment.key of its @pypi/@conda environment


@dataclass(frozen=True)
class BatchShape:
    """What makes two Batch steps need different job definitions; equal shapes share one."""

    cpu: float
    memory_mb: int
    gpu: int
    image: str | None
    queue_override: str | None
    environment: tuple[tuple[str, str], ...]
    python_env: str | None

    @property
    def queue(self) -> str:
        return "gpu" if self.gpu else "cpu"


class ResolvedCompute(NamedTuple):
    functions: tuple[LambdaFunction, ...]  # sorted by key
    job_definitions: tuple[BatchJobDefinition, ...]  # sorted by key
    compute: tuple[tuple[str, ComputeTarget], ...]  # (step, target), in source order


def _lambda_shape(node: StepNode, env_key: str | None) -> LambdaShape:
    lam, res, tmo = node.decorator("aws_lambda"), node.decorator("resources"), node.decorator("timeout")
    memory = (lam.memory if lam and lam.memory else None) or (res.memory if res and res.memory else None)
    memory = min(LAMBDA_MAX_MEMORY_MB, max(LAMBDA_MIN_MEMORY_MB, int(memory or LAMBDA_DEFAULT_MEMORY_MB)))
    # The function's own timeout follows @timeout so an abandoned invocation stops billing.
    timeout = (lam.timeout if lam and lam.timeout else None) or (timeout_backstop(tmo.seconds) if tmo and tmo.seconds
                                                                 else None)
    timeout = min(LAMBDA_MAX_TIMEOUT_S, max(1, int(timeout or LAMBDA_DEFAULT_TIMEOUT_S)))
    arch = lam.architecture if lam else LAMBDA_DEFAULT_ARCH
    return LambdaShape(memory, timeout, arch, _environment(node), env_key)


def _batch_shape(node: StepNode, env_key: str | None) -> BatchShape:
    bat, res = node.decorator("batch"), node.decorator("resources")

    def pick(attr: str) -> Any:
        # @resources wins where given (Metaflow: the larger of the two); else @batch's.
        values = [getattr(d, attr) for d in (bat, res) if d is not None and getattr(d, attr) is not None]
        return max(values) if values else None

    return BatchShape(cpu=float(pick("cpu") or BATCH_DEFAULT_CPU),
                      memory_mb=int(pick("memory") or BATCH_DEFAULT_MEMORY_MB),
                      gpu=int(pick("gpu") or 0), image=bat.image if bat else None,
                      queue_override=bat.queue if bat else None, environment=_environment(node),
                      python_env=env_key)


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


def resolve_compute(graph: FlowGraph, with_batch: bool,
                    environments: tuple[StepEnvironment, ...] = ()) -> ResolvedCompute:
    """One Lambda function per distinct LambdaShape, one job definition per distinct BatchShape
    (a step's @pypi/@conda environment is part of its shape)."""
    env_of = {step: env.key for env in environments for step in env.steps}
    python_of = {env.key: env.request.python_minor for env in environments}
    lambda_steps: dict[LambdaShape, list[str]] = {}
    batch_steps: dict[BatchShape, list[str]] = {}
    chosen: list[tuple[str, LambdaShape | BatchShape]] = []
    for node in graph.steps:
        shape: LambdaShape | BatchShape
        if needs_batch(node, with_batch):
            shape = _batch_shape(node, env_of.get(node.name))
            batch_steps.setdefault(shape, []).append(node.name)
        else:
            shape = _lambda_shape(node, env_of.get(node.name))
            lambda_steps.setdefault(shape, []).append(node.name)
        chosen.append((node.name, shape))

    env_ids = _ordinal_ids([s.environment for s in [*lambda_steps, *batch_steps] if s.environment], "env")
    image_ids = _ordinal_ids([s.image for s in batch_steps if s.image], "img")
    queue_ids = _ordinal_ids([s.queue_override for s in batch_steps if s.queue_override], "q")

    lambda_keys: dict[LambdaShape, str] = {}
    functions = []
    for lam, steps in lambda_steps.items():
        parts = []
        if lam.memory_mb != LAMBDA_DEFAULT_MEMORY_MB:
            parts.append(f"mem{lam.memory_mb}")
        if lam.timeout_s != LAMBDA_DEFAULT_TIMEOUT_S:
            parts.append(f"t{lam.timeout_s}")
        if lam.architecture != LAMBDA_DEFAULT_ARCH:
            parts.append(lam.architecture)
        if lam.environment:
            parts.append(env_ids[lam.environment])
        if lam.python_env:
            parts.append(lam.python_env)
        key = "_".join(parts) or "default"
        lambda_keys[lam] = key
        functions.append(LambdaFunction(key, lam.memory_mb, lam.timeout_s, lam.architecture, lam.environment,
                                        tuple(steps), lam.python_env, python_of.get(lam.python_env)))

    batch_keys: dict[BatchShape, str] = {}
    jobs = []
    for bat, steps in batch_steps.items():
        parts = [f"cpu{_num(bat.cpu)}", f"mem{bat.memory_mb}"] + ([f"gpu{bat.gpu}"] if bat.gpu else [])
        parts += [image_ids[bat.image]] if bat.image else []
        parts += [queue_ids[bat.queue_override]] if bat.queue_override else []
        parts += [env_ids[bat.environment]] if bat.environment else []
        parts += [bat.python_env] if bat.python_env else []
        key = "_".join(parts)
        batch_keys[bat] = key
        jobs.append(BatchJobDefinition(key, bat.cpu, bat.memory_mb, bat.gpu, bat.image, bat.queue,
                                       bat.queue_override, bat.environment, tuple(steps), bat.python_env,
                                       python_of.get(bat.python_env)))

    compute = tuple(
        (name, ComputeTarget(COMPUTE_LAMBDA, lambda_keys[shape]) if isinstance(shape, LambdaShape)
         else ComputeTarget(COMPUTE_BATCH, batch_keys[shape], shape.queue))
        for name, shape in chosen
    )
    by_key = lambda item: item.key  # noqa: E731
    return ResolvedCompute(tuple(sorted(functions, key=by_key)), tuple(sorted(jobs, key=by_key)), compute)


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
