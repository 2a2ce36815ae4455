"""Shared pytest options and fixtures."""
from __future__ import annotations

import os
import signal
import sys
from typing import Iterator

import pytest

# A shell starts background jobs with SIGINT ignored, and an ignored signal stays ignored
# across exec: the Ctrl-C tests' child processes would then never see their interrupt
# and hang. Give the suite (and so every child it starts) the normal Ctrl-C behaviour.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*.asl.json from examples/*.py instead of comparing",
    )


@pytest.fixture(scope="session", autouse=True)
def environment_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Step environments (@pypi venvs) are built once per session into one cache (uv's own
    package cache makes a rebuild in a later session a copy); SFNFLOW_ENV_CACHE set by the
    developer is kept, to reuse venvs across sessions."""
    given = os.environ.get("SFNFLOW_ENV_CACHE")
    if given:
        yield given
        return
    folder = str(tmp_path_factory.mktemp("environments"))
    os.environ["SFNFLOW_ENV_CACHE"] = folder
    try:
        yield folder
    finally:
        os.environ.pop("SFNFLOW_ENV_CACHE", None)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials so that boto3 never looks for real ones (no AWS account exists)."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_SESSION_TOKEN": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture(autouse=True, scope="session")
def synth_cache_in_scratch(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Synthesized assemblies are cached under the user's home by default: keep the suite's apart."""
    import os

    os.environ["SFNFLOW_CACHE_DIR"] = str(tmp_path_factory.mktemp("sfnflow-cache"))


@pytest.fixture(autouse=True, scope="module")
def _moto_and_environment_reset() -> Iterator[None]:
    """Put moto and the environment back after every test module, whatever its tests did.

    A module that leaves moto patched (an engine or an emulation not closed, say because
    its close failed) or the environment changed fails, and is the only one: the state is
    reset here, so the next modules start from moto's own behaviour instead of failing one
    after another. (Per module, not per test: a module may share one engine between tests.)
    """
    environ = dict(os.environ)
    yield
    leaks = []
    patches = sys.modules.get("runtime.engine.patches")  # loaded only by tests that patch moto
    if patches is not None and patches.REGISTRY.active is not None:
        installation = patches.REGISTRY.active
        installation.uninstall()
        leaks.append(f"moto was left patched for {installation.owner!r}")
    changed = sorted(k for k in set(environ) | set(os.environ)
                     if environ.get(k) != os.environ.get(k) and not k.startswith("PYTEST_"))
    if changed:
        for key in changed:
            if key in environ:
                os.environ[key] = environ[key]
            else:
                os.environ.pop(key, None)
        leaks.append(f"the environment was left changed: {', '.join(changed)}")
    if leaks:
        pytest.fail("; ".join(leaks), pytrace=False)


@pytest.fixture(autouse=True)
def _client_reset() -> Iterator[None]:
    """The client's store selection and namespace back to their defaults after every test."""
    yield
    client = sys.modules.get("sfnflow.client")
    if client is not None:
        client.set_root(None)
        client.default_namespace()


@pytest.fixture(autouse=True)
def _own_deployments_profile(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`sfnflow deploy` records deployments in ~/.sfnflow; each test gets its own, empty one
    (so that a test's deploys never reach the user's home, nor another test's reads)."""
    monkeypatch.setenv("SFNFLOW_HOME", str(tmp_path_factory.mktemp("sfnflow-home")))
