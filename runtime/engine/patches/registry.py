"""The one registry of every change sfnflow makes to moto's internals.

Each patch is declared beside the code that replaces its target:

    @REGISTRY.replaces("moto.x.y", "Class.method", group=SPEED)
    def _faster(original, hooks):          # called at install, with what it replaces
        def method(self, *args): ...       # and the owner's PatchHooks
        return method

and attributes a patch merely relies on are declared with `REGISTRY.relies_on(...)`.
The registry runs the version check and the check of every target (replaced or relied
upon) before it changes anything, installs a chosen set of groups for one owner (a
LocalEngine, the emulation's MotoCloud or Emulator, a test) and keeps the originals, so
`uninstall()` puts moto back exactly as it was. Patches are therefore in place only
while their owner is open: nothing of sfnflow acts in moto before it starts or after it
closes, and other moto users in the process see moto's own behaviour. One owner at a
time per process (moto's classes are process-wide).

Install order is the order of the groups given, then declaration order: a patch that
wraps an inherited method (e.g. a service's `_normalise_parameters`) sees the patches of
earlier groups on the base class as its `original`.
"""
from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

__all__ = ["Installation", "MotoPatchError", "PINNED_MOTO_VERSION", "Patch", "PatchRegistry", "REGISTRY"]

PINNED_MOTO_VERSION = "5.2.5"

Factory = Callable[[Any, Any], Any]  # (original, hooks) -> the replacement

# moto's interpreter logs every failed state at ERROR; the engine reports failures itself.
_QUIET_LOGGERS = ("moto.stepfunctions.parser",)


class MotoPatchError(RuntimeError):
    """The installed moto is not the one sfnflow's patches were written for."""


@dataclass(frozen=True)
class Patch:
    """One target in moto: replaced (`make` set) or only relied upon (`make` None)."""

    group: str
    module: str
    path: str  # "Class.attr" or a module attribute
    make: Factory | None
    declared_in: str

    @property
    def target(self) -> str:
        return f"{self.module}.{self.path}"


def resolve(module: str, path: str) -> tuple[Any, str]:
    """(the object owning the attribute, the attribute's name), importing `module`."""
    owner: Any = importlib.import_module(module)
    *parents, leaf = path.split(".")
    for name in parents:
        owner = getattr(owner, name)
    return owner, leaf


class Installation:
    """The patches of one owner, in place until `uninstall()` (also its context manager)."""

    def __init__(self, registry: "PatchRegistry", owner: object, groups: tuple[str, ...]) -> None:
        self.registry, self.owner, self.groups = registry, owner, groups
        # (owner object, attribute, its own value before, whether it had its own value)
        self._saved: list[tuple[Any, str, Any, bool]] = []
        self._loggers: list[tuple[logging.Logger, int]] = []
        self.installed = False

    def _apply(self, patches: Sequence[Patch], hooks: Any) -> None:
        for name in _QUIET_LOGGERS:
            logger = logging.getLogger(name)
            self._loggers.append((logger, logger.level))
            logger.setLevel(logging.CRITICAL)
        for patch in patches:
            if patch.make is None:
                continue
            owner, leaf = resolve(patch.module, patch.path)
            own = vars(owner)
            had_own = leaf in own
            self._saved.append((owner, leaf, own.get(leaf), had_own))
            original = getattr(owner, leaf)
            setattr(owner, leaf, patch.make(original, hooks))
        self.installed = True

    def uninstall(self) -> None:
        """Put every replaced attribute back (idempotent)."""
        while self._saved:
            owner, leaf, value, had_own = self._saved.pop()
            if had_own:
                setattr(owner, leaf, value)
            else:  # it was inherited (or absent): let the lookup reach the base again
                delattr(owner, leaf)
        while self._loggers:
            logger, level = self._loggers.pop()
            logger.setLevel(level)
        self.installed = False
        self.registry._released(self)

    def __enter__(self) -> "Installation":
        return self

    def __exit__(self, *exc: object) -> None:
        self.uninstall()


class PatchRegistry:
    def __init__(self) -> None:
        self._patches: list[Patch] = []
        self._preparations: list[Callable[[], None]] = []
        self._active: Installation | None = None
        self._lock = threading.Lock()

    # -- declaring ------------------------------------------------------------------------------
    def replaces(self, module: str, path: str, *, group: str) -> Callable[[Factory], Factory]:
        """Decorator: `make(original, hooks)` returns what replaces `module.path` at install."""

        def register(make: Factory) -> Factory:
            self._patches.append(Patch(group, module, path, make, getattr(make, "__module__", "?")))
            return make

        return register

    def relies_on(self, group: str, module: str, *paths: str) -> None:
        """Attributes a patch of `group` reads or builds on without replacing them (checked too)."""
        import sys

        caller = sys._getframe(1).f_globals.get("__name__", "?")
        self._patches.extend(Patch(group, module, path, None, caller) for path in paths)

    def before_check(self, prepare: Callable[[], None]) -> Callable[[], None]:
        """Decorator: run `prepare()` before the check imports moto's modules (once per check)."""
        self._preparations.append(prepare)
        return prepare

    def patches(self, groups: Iterable[str]) -> list[Patch]:
        """The patches of `groups`, in install order."""
        groups = tuple(groups)
        unknown = set(groups) - {p.group for p in self._patches}
        if unknown:
            raise ValueError(f"no patches registered in group(s) {', '.join(sorted(unknown))}")
        return [p for group in groups for p in self._patches if p.group == group]

    # -- checking and installing ------------------------------------------------------------------
    def check(self, groups: Iterable[str] | None = None) -> None:
        """Fail clearly unless moto is the pinned version and has every target of `groups` (all)."""
        import moto

        if moto.__version__ != PINNED_MOTO_VERSION:
            raise MotoPatchError(
                f"sfnflow patches moto {PINNED_MOTO_VERSION} internals, but moto {moto.__version__} is "
                f"installed. Run: pip install 'moto[server,stepfunctions,s3,dynamodb,awslambda,batch]=="
                f"{PINNED_MOTO_VERSION}'.")
        for prepare in self._preparations:
            prepare()
        chosen = self._patches if groups is None else self.patches(groups)
        missing = []
        for patch in chosen:
            try:
                owner, leaf = resolve(patch.module, patch.path)
                if not hasattr(owner, leaf) and leaf not in getattr(owner, "__annotations__", {}):
                    missing.append(patch.target)
            except (ImportError, AttributeError):
                missing.append(patch.target)
        if missing:
            raise MotoPatchError("moto internals sfnflow patches are missing: " + ", ".join(missing)
                                 + f". Reinstall moto=={PINNED_MOTO_VERSION}.")

    def install(self, owner: object, hooks: Any, groups: Sequence[str]) -> Installation:
        """Check, then apply the patches of `groups` for `owner`; they read `hooks` (the owner's state).

        Raises RuntimeError while another owner's patches are installed.
        """
        groups = tuple(groups)
        patches = self.patches(groups)
        with self._lock:
            if self._active is not None:
                raise RuntimeError(f"moto is already patched for {self._active.owner!r} in this process "
                                   "(one LocalEngine, MotoCloud or Emulator at a time); close it first")
            installation = Installation(self, owner, groups)
            self._active = installation
        try:
            self.check(groups)
            installation._apply(patches, hooks)
        except BaseException:
            installation.uninstall()
            raise
        return installation

    @property
    def active(self) -> Installation | None:
        """The installation in place, if any (for diagnostics and tests of the registry)."""
        return self._active

    def _released(self, installation: Installation) -> None:
        with self._lock:
            if self._active is installation:
                self._active = None


REGISTRY = PatchRegistry()  # every patch of sfnflow's, the engine's and the emulation's
