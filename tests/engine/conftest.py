"""The engine suite runs on both local engines: moto's interpreter (the oracle) and sfnflow's
own (runtime/engine/interp/). One engine per test module and engine (start-up ~1 s),
running the compiled examples with the shared TaskPlayer (tests/player.py) in its workers."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from player import TaskPlayer

ENGINES = ("moto", "interp")


@pytest.fixture(scope="module", params=ENGINES)
def engine_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def player(tmp_path_factory: pytest.TempPathFactory, engine_kind: str) -> TaskPlayer:
    """Per engine: the two engines' runs of one test share run ids, not records."""
    return TaskPlayer(str(tmp_path_factory.mktemp(f"player-{engine_kind}")))


@pytest.fixture(scope="module")
def engine(player: TaskPlayer, engine_kind: str) -> Iterator[Any]:
    from runtime.engine import LocalEngine

    with LocalEngine(player, engine=engine_kind, max_workers=2, artifact_root=player.folder,
                     fast_retries=True) as eng:
        yield eng
