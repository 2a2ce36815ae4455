"""`Config` and `config_expr`, as Metaflow 2.13+ has them: settings read once, before the flow
is built, so they may shape its decorators as well as its steps.

    class TrainFlow(FlowSpec):
        config = Config("config", default="config.json")          # a JSON file beside the flow

        @resources(cpu=config.resources.cpu)                        # read when the graph is built
        @environment(vars={"MODE": config_expr("config.mode.upper()")})
        @step
        def start(self):
            print(self.config.alpha, self.config["alpha"])           # a read-only ConfigValue

Where a config's value comes from, first found: a source the launcher gives
(`--config NAME PATH` / `--config-value NAME JSON`), the `default` file (a path relative
to the flow file's folder), `default_value` (a dict, or text to parse). `parser=` turns
the text into a dict (JSON by default); `plain=True` keeps the parsed object as it is.

A decorator argument that uses a config is recorded as a `Delayed` expression; the graph
builder evaluates it with the flow's config values (`resolve_configs`) and only then makes
the decorator's spec. Every process that builds the graph (the launcher, each task
process) resolves the same sources, so every step sees the same values.
"""
from __future__ import annotations

import collections.abc
import inspect
import json
import os
from typing import Any, Callable, Iterator, Mapping

__all__ = ["Config", "ConfigError", "ConfigValue", "Delayed", "DeferredSpec", "config_expr", "has_delayed",
           "resolve_configs", "resolve_delayed"]


class ConfigError(ValueError):
    """A config that cannot be read or parsed, or an expression over configs that fails."""


class ConfigValue(collections.abc.Mapping):
    """A config's value: a read-only mapping whose keys also read as attributes (`cfg.a.b`)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_data", dict(data))

    def __getitem__(self, key: Any) -> Any:
        value = self._data[key]
        return ConfigValue(value) if isinstance(value, Mapping) else value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"the config has no key {name!r} (its keys: {', '.join(map(str, self._data))})") \
                from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise TypeError("a Config is read-only; store a changed copy in an artifact (self.x = cfg.to_dict())")

    __setitem__ = __delitem__ = __setattr__  # type: ignore[assignment]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ConfigValue):
            return self._data == other._data
        return isinstance(other, Mapping) and self._data == dict(other)

    def __hash__(self) -> int:
        return hash(json.dumps(self._data, sort_keys=True, default=str))

    def __repr__(self) -> str:
        return f"ConfigValue({self._data!r})"

    def __reduce__(self) -> Any:
        return (ConfigValue, (self._data,))

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(self._data, default=str)) if _jsonable(self._data) else dict(self._data)


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


class Delayed:
    """An expression over the flow's configs, evaluated when the graph is built.

    Made by attribute or item access on a Config in the class body (`config.a["b"]`), or by
    `config_expr("config.a + 1")` (evaluated with the caller's globals and the configs by name).
    """

    def __init__(self, text: str, path: tuple[Any, ...] = (), saved_globals: dict[str, Any] | None = None) -> None:
        object.__setattr__(self, "_text", text)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_globals", saved_globals or {})

    def __getattr__(self, name: str) -> "Delayed":
        if name.startswith("__"):
            raise AttributeError(name)
        return Delayed(self._text, self._path + (("attr", name),), self._globals)

    def __getitem__(self, key: Any) -> "Delayed":
        return Delayed(self._text, self._path + (("item", key),), self._globals)

    def __repr__(self) -> str:
        return f"<config expression {self.describe()}>"

    def describe(self) -> str:
        return self._text + "".join(f".{k}" if kind == "attr" else f"[{k!r}]" for kind, k in self._path)

    def evaluate(self, configs: Mapping[str, Any]) -> Any:
        try:
            value = eval(self._text, {**self._globals, **configs})  # noqa: S307 - the flow author's expression
        except Exception as exc:
            raise ConfigError(f"the config expression {self._text!r} failed: {type(exc).__name__}: {exc}") from None
        for kind, key in self._path:
            try:
                value = getattr(value, key) if kind == "attr" else value[key]
            except (AttributeError, KeyError, IndexError, TypeError) as exc:
                raise ConfigError(f"{self.describe()}: {exc}") from None
        return value


def config_expr(expr: str) -> Delayed:
    """An expression over configs for a place that needs a value before the flow runs (a decorator)."""
    frame = inspect.currentframe()
    caller_globals = frame.f_back.f_globals if frame is not None and frame.f_back is not None else {}
    return Delayed(expr, saved_globals=dict(caller_globals))


class Config:
    """A flow setting read before the flow is built; `self.<attr>` is its ConfigValue in every step."""

    def __init__(self, name: str, default: Any = None, default_value: Any = None, help: str | None = None,  # noqa: A002
                 required: bool | None = None, parser: Callable[[str], Any] | str | None = None,
                 plain: bool = False, **_ignored: Any) -> None:
        if default is not None and default_value is not None:
            raise ConfigError(f"Config {name!r}: give default (a file) or default_value, not both.")
        self.name = name
        self.default = default
        self.default_value = default_value
        self.help = help
        self.required = bool(required)
        self.parser = parser
        self.plain = plain
        self.attribute = name
        self.value: Any = None  # set by resolve_configs

    def __set_name__(self, owner: type, attribute: str) -> None:
        self.attribute = attribute

    # `config.a.b` in the class body (a decorator's argument): an expression for later.
    def __getattr__(self, name: str) -> Delayed:
        if name.startswith("__") or name in ("name", "default", "default_value", "help", "required", "parser",
                                             "plain", "attribute", "value"):
            raise AttributeError(name)
        return getattr(Delayed(self.name), name)

    def __getitem__(self, key: Any) -> Delayed:
        return Delayed(self.name)[key]

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        return self.value

    def __set__(self, obj: Any, value: Any) -> None:
        raise AttributeError(f"config '{self.name}' is read-only inside a step; store a new artifact instead")

    # -- reading ----------------------------------------------------------------------------
    def parse(self, text: str) -> Any:
        parser = self.parser
        if isinstance(parser, str):
            module, _, attr = parser.rpartition(".")
            import importlib

            parser = getattr(importlib.import_module(module), attr)
        try:
            return parser(text) if parser is not None else json.loads(text)
        except Exception as exc:
            raise ConfigError(f"config '{self.name}' cannot be parsed: {type(exc).__name__}: {exc}") from None

    def read(self, source: tuple[str, str] | None, flow_dir: str) -> Any:
        """The value from a launcher's source ("path" | "value", text), else the defaults."""
        if source is not None:
            kind, text = source
            return self._wrap(self.parse(_read(self.name, text, flow_dir) if kind == "path" else text))
        default = self.default
        if callable(default):
            default = default(None)
        if default is not None:
            path = default if os.path.isabs(default) else os.path.join(flow_dir, default)
            if os.path.isfile(path):
                return self._wrap(self.parse(_read(self.name, path, flow_dir)))
        value = self.default_value
        if callable(value):
            value = value(None)
        if isinstance(value, str):
            return self._wrap(self.parse(value))
        if value is not None:
            return self._wrap(value)
        if self.required:
            raise ConfigError(f"config '{self.name}' is required: give --config {self.name} PATH or "
                              f"--config-value {self.name} JSON.")
        return None

    def _wrap(self, value: Any) -> Any:
        return ConfigValue(value) if isinstance(value, Mapping) and not self.plain else value


def _read(name: str, path: str, flow_dir: str) -> str:
    where = path if os.path.isabs(path) else os.path.join(flow_dir, path)
    try:
        with open(where, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise ConfigError(f"config '{name}': cannot read {where}: {exc.strerror or exc}") from None


class DeferredSpec:
    """A decorator whose arguments use configs: its spec is made when the configs are known."""

    def __init__(self, name: str, make_spec: Callable[..., Any], kwargs: dict[str, Any]) -> None:
        self.name, self.make_spec, self.kwargs = name, make_spec, kwargs
        self.kind = f"deferred:{name}"

    def resolve(self, configs: Mapping[str, Any]) -> Any:
        kwargs = resolve_delayed(self.kwargs, configs)
        try:
            return self.make_spec(**kwargs)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"@{self.name} with config values {kwargs!r}: {exc}") from None


def has_delayed(value: Any) -> bool:
    if isinstance(value, Delayed):
        return True
    if isinstance(value, Mapping):
        return any(has_delayed(k) or has_delayed(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return any(has_delayed(v) for v in value)
    return False


def resolve_delayed(value: Any, configs: Mapping[str, Any]) -> Any:
    if isinstance(value, Delayed):
        result = value.evaluate(configs)
        return result.to_dict() if isinstance(result, ConfigValue) else result
    if isinstance(value, Mapping) and not isinstance(value, ConfigValue):
        return {resolve_delayed(k, configs): resolve_delayed(v, configs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_delayed(v, configs) for v in value]
    if isinstance(value, tuple):
        return tuple(resolve_delayed(v, configs) for v in value)
    return value


def flow_configs(flow_cls: type) -> dict[str, Config]:
    """attribute -> Config of the flow class (and its bases)."""
    found = {}
    for attr in dir(flow_cls):
        value = inspect.getattr_static(flow_cls, attr, None)
        if isinstance(value, Config):
            found[attr] = value
    return found


def resolve_configs(flow_cls: type, sources: Mapping[str, tuple[str, str]] | None, flow_file: str) -> dict[str, Any]:
    """Read every config of the flow; set each Config's value; return name -> value (and attribute -> value).

    `sources`: config name -> ("path" | "value", text), what the launcher was given.
    Raises ConfigError.
    """
    sources = dict(sources or {})
    configs = flow_configs(flow_cls)
    unknown = sorted(set(sources) - {c.name for c in configs.values()})
    if unknown:
        names = ", ".join(c.name for c in configs.values()) or "none"
        raise ConfigError(f"the flow has no config {', '.join(map(repr, unknown))} (its configs: {names})")
    values: dict[str, Any] = {}
    flow_dir = os.path.dirname(os.path.abspath(flow_file))
    for attr, config in configs.items():
        config.value = config.read(sources.get(config.name), flow_dir)
        values[config.name] = values[attr] = config.value
    return values
