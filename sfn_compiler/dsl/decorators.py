"""Step and flow decorators. Each works bare (`@retry`) and with arguments
(`@retry(times=2)`) and only attaches a frozen spec; nothing is compiled here."""
from __future__ import annotations

import functools
from typing import Any, Callable

from .specs import (
    ParallelSpec,
    BatchSpec,
    CardSpec,
    CatchSpec,
    EnvironmentSpec,
    LambdaSpec,
    PackagesSpec,
    ResourcesSpec,
    RetrySpec,
    ScheduleSpec,
    TimeoutSpec,
)
from .triggers import make_trigger, make_trigger_on_finish

from .configs import DeferredSpec, has_delayed

STEP_SPECS_ATTR = "_sfnflow_specs"
FLOW_SPECS_ATTR = "_sfnflow_flow_specs"


class DecoratorUsageError(TypeError):
    """A decorator was applied to the wrong thing or given bad arguments."""


def step(func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a method of a FlowSpec as a step."""
    if not callable(func):
        raise DecoratorUsageError("@step decorates a method: write `@step` above `def name(self):`")
    func.is_step = True  # type: ignore[attr-defined]
    if not hasattr(func, STEP_SPECS_ATTR):
        setattr(func, STEP_SPECS_ATTR, ())
    return func


# name -> the spec factory of every step decorator (what `run --with name:k=v` builds).
STEP_DECORATOR_SPECS: dict[str, Callable[..., Any]] = {}


def _step_decorator(name: str, make_spec: Callable[..., Any]) -> Callable[..., Any]:
    STEP_DECORATOR_SPECS[name] = make_spec
    def attach(func: Callable[..., Any], spec: Any) -> Callable[..., Any]:
        if not getattr(func, "is_step", False):
            raise DecoratorUsageError(
                f"@{name} must be placed above @step on `{getattr(func, '__name__', func)}`"
            )
        # Decorators apply bottom-up; prepend so the recorded order reads top-down.
        setattr(func, STEP_SPECS_ATTR, (spec,) + getattr(func, STEP_SPECS_ATTR, ()))
        return func

    @functools.wraps(make_spec)
    def decorator(func: Any = None, **kwargs: Any) -> Any:
        if func is not None and callable(func) and not kwargs:
            return attach(func, make_spec())
        if func is not None:
            raise DecoratorUsageError(f"@{name} takes keyword arguments only")
        # Arguments that read a Config are evaluated when the graph is built (dsl/configs.py).
        spec = DeferredSpec(name, make_spec, kwargs) if has_delayed(kwargs) else make_spec(**kwargs)
        return lambda f: attach(f, spec)

    decorator.__name__ = name
    return decorator


def _flow_decorator(name: str, make_spec: Callable[..., Any]) -> Callable[..., Any]:
    def attach(cls: type, spec: Any) -> type:
        if not isinstance(cls, type):
            raise DecoratorUsageError(f"@{name} decorates a FlowSpec class")
        setattr(cls, FLOW_SPECS_ATTR, cls.__dict__.get(FLOW_SPECS_ATTR, ()) + (spec,))
        return cls

    def decorator(cls: Any = None, **kwargs: Any) -> Any:
        if cls is not None and isinstance(cls, type) and not kwargs:
            return attach(cls, make_spec())
        if cls is not None:
            raise DecoratorUsageError(f"@{name} takes keyword arguments only")
        spec = DeferredSpec(name, make_spec, kwargs) if has_delayed(kwargs) else make_spec(**kwargs)
        return lambda c: attach(c, spec)

    decorator.__name__ = name
    return decorator


def _retry(times: int = 3, minutes_between_retries: float = 2) -> RetrySpec:
    return RetrySpec(times=int(times), minutes_between_retries=float(minutes_between_retries))


def _catch(var: str | None = None, print_exception: bool = True) -> CatchSpec:
    return CatchSpec(var=var, print_exception=bool(print_exception))


def _timeout(seconds: int = 0, minutes: int = 0, hours: int = 0) -> TimeoutSpec:
    return TimeoutSpec(seconds=int(seconds) + 60 * int(minutes) + 3600 * int(hours))


def _resources(cpu: float | None = None, memory: int | None = None, gpu: int | None = None) -> ResourcesSpec:
    return ResourcesSpec(cpu=cpu, memory=memory, gpu=gpu)


def _kubernetes(cpu: float | None = None, memory: int | None = None, gpu: int | None = None,
                disk: int | None = None, **others: Any) -> ResourcesSpec:
    """Metaflow's @kubernetes, read as a resource request: sfnflow runs steps on Lambda or
    Batch, and the compute rule picks one from these numbers. Options about pods (image,
    namespace, node_selector, ...) have no meaning here and are only kept in the note."""
    written = ", ".join(f"{k}={v!r}" for k, v in {"cpu": cpu, "memory": memory, "gpu": gpu, "disk": disk,
                                                    **others}.items() if v is not None)
    return ResourcesSpec(cpu=cpu, memory=memory, gpu=gpu, disk=disk,
                         source=f"@kubernetes({written})" if written else "@kubernetes")


def _batch(
    cpu: float | None = None,
    memory: int | None = None,
    gpu: int | None = None,
    image: str | None = None,
    queue: str | None = None,
) -> BatchSpec:
    """Run the step on AWS Batch.

    `image`: a container image with Python, sfnflow and boto3 installed; the job runs
    `python -m runtime.batch_main`. Without it the step runs on a stock
    `python:<your major.minor>-slim`, which installs boto3 and fetches the flow's code
    package at start (it needs outbound access to PyPI and S3).
    """
    return BatchSpec(cpu=cpu, memory=memory, gpu=gpu, image=image, queue=queue)


def _aws_lambda(memory: int | None = None, timeout: int | None = None, architecture: str = "x86_64") -> LambdaSpec:
    return LambdaSpec(memory=memory, timeout=timeout, architecture=architecture)


def _environment(vars: dict[str, str] | None = None) -> EnvironmentSpec:  # noqa: A002 - Metaflow's name
    return EnvironmentSpec(vars=tuple(sorted((str(k), str(v)) for k, v in (vars or {}).items())))


def _packages(manager: str, name: str) -> Callable[..., PackagesSpec]:
    """@pypi/@pypi_base/@conda/@conda_base: the same spec; `libraries=` is conda's spelling."""

    def make(**kwargs: Any) -> PackagesSpec:
        allowed = ("packages", "libraries", "python", "disabled")
        unknown = [k for k in kwargs if k not in allowed]
        if unknown:
            why = (" (sfnflow resolves @conda libraries from PyPI, so conda channels do not apply)"
                   if "channels" in unknown else "")
            raise DecoratorUsageError(f"@{name} does not take {', '.join(unknown)}{why}; "
                                      f"it takes {', '.join(allowed)}")
        pkgs: dict[str, str] = {}
        for arg in ("libraries", "packages"):
            given = kwargs.get(arg)
            if given is None:
                continue
            if not isinstance(given, dict):
                raise DecoratorUsageError(f"@{name}({arg}=...) takes a dict of name -> version, "
                                          f"e.g. {arg}={{'pandas': '2.2.3'}}")
            pkgs.update({str(k): "" if v is None else str(v) for k, v in given.items()})
        python = kwargs.get("python")
        if python is not None and not isinstance(python, (str, int, float)):
            raise DecoratorUsageError(f"@{name}(python=...) takes a version string, e.g. python='3.12'")
        disabled = kwargs.get("disabled")
        written = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        return PackagesSpec(
            manager=manager,
            packages=tuple(pkgs.items()),
            python=None if python is None else str(python),
            disabled=None if disabled is None else bool(disabled),
            source=f"@{name}({written})" if written else f"@{name}",
        )

    make.__name__ = name
    return make


CARD_TYPES = ("default", "blank", "html")


def _card(type: str = "default", id: str | None = None, options: dict[str, Any] | None = None,  # noqa: A002
          timeout: int = 45, save_errors: bool = True) -> CardSpec:
    if type not in CARD_TYPES:
        raise DecoratorUsageError(f"@card(type={type!r}): sfnflow draws the card types {', '.join(CARD_TYPES)}")
    if id is not None and (not isinstance(id, str) or not id.replace("_", "").isalnum()):
        raise DecoratorUsageError(f"@card(id={id!r}): an id is letters, digits and underscores")
    if options is not None and not isinstance(options, dict):
        raise DecoratorUsageError("@card(options=...) takes a dict")
    return CardSpec(type=type, id=id, options=tuple(sorted((str(k), repr(v)) for k, v in (options or {}).items())),
                    timeout=int(timeout))


def _schedule(
    cron: str | None = None,
    rate: str | None = None,
    hourly: bool = False,
    daily: bool = True,
    weekly: bool = False,
) -> ScheduleSpec:
    # Same precedence as Metaflow: cron, then weekly, hourly, daily (the default).
    if cron:
        return ScheduleSpec(expression=f"cron({cron})", source=f"cron={cron!r}")
    if rate:
        return ScheduleSpec(expression=f"rate({rate})", source=f"rate={rate!r}")
    if weekly:
        return ScheduleSpec(expression="cron(0 0 ? * SUN *)", source="weekly=True")
    if hourly:
        return ScheduleSpec(expression="cron(0 * * * ? *)", source="hourly=True")
    return ScheduleSpec(expression="cron(0 0 * * ? *)", source="daily=True")


def _parallel() -> ParallelSpec:
    return ParallelSpec()


retry = _step_decorator("retry", _retry)
parallel = _step_decorator("parallel", _parallel)
catch = _step_decorator("catch", _catch)
timeout = _step_decorator("timeout", _timeout)
resources = _step_decorator("resources", _resources)
kubernetes = _step_decorator("kubernetes", _kubernetes)
batch = _step_decorator("batch", _batch)
aws_lambda = _step_decorator("aws_lambda", _aws_lambda)
environment = _step_decorator("environment", _environment)
card = _step_decorator("card", _card)
pypi = _step_decorator("pypi", _packages("pypi", "pypi"))
conda = _step_decorator("conda", _packages("conda", "conda"))

schedule = _flow_decorator("schedule", _schedule)
pypi_base = _flow_decorator("pypi_base", _packages("pypi", "pypi_base"))
conda_base = _flow_decorator("conda_base", _packages("conda", "conda_base"))
trigger = _flow_decorator("trigger", make_trigger)
trigger_on_finish = _flow_decorator("trigger_on_finish", make_trigger_on_finish)
