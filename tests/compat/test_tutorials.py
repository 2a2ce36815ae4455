"""Metaflow's own tutorials 00-03 (shipped inside the metaflow package) run on sfnflow from a
temporary copy with only the import line changed, and give Metaflow's results.

Expected values: Metaflow 2.19.39 run here on the same tutorials (`python <file> --no-pylint
run` from the copied tutorials folder, 2026-12-01), read through Metaflow's client. The
playlists shuffle with `random`, so the checks are the parts that do not depend on chance:
what each step printed, the genre's movies as a set, the statistics of tutorial 02 exactly.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import metaflow
import pytest

from sfnflow import Flow, client

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TUTORIALS = Path(metaflow.__file__).resolve().parent / "tutorials"
FILES = ["00-helloworld/helloworld.py", "01-playlist/playlist.py", "02-statistics/stats.py",
         "03-playlist-redux/playlist.py"]

# Tutorial 02's genre statistics under Metaflow: quartiles of gross box office, and movies per genre.
QUARTILES = {
    "action": [19548064, 46978995, 102981571], "adventure": [25077977, 63071133, 150167630],
    "animation": [31743332, 83348920, 169692572], "biography": [4720371, 18352454, 49994804],
    "comedy": [8586376, 30659817, 70492685], "crime": [7097125, 25450527, 53300852],
    "documentary": [592014, 4946250, 25240988], "drama": [4280577, 20773070, 50173190],
    "family": [28133159, 66941559, 130512915], "fantasy": [19781879, 50628009, 118099659],
    "film-noir": [7927, 7927, 7927], "history": [5501940, 22406362, 51396781],
    "horror": [13008928, 28927720, 49122319], "music": [8054280, 28873374, 63992328],
    "musical": [6601079, 35183792, 90556401], "mystery": [12555230, 31598308, 61094903],
    "romance": [6619173, 26049082, 59365105], "sci-fi": [16290976, 47375327, 111760631],
    "sport": [8888143, 32701088, 66002004], "thriller": [12212417, 31874869, 62549000],
    "war": [4435083, 19447478, 69800000], "western": [5664251, 22406362, 67286731],
}
COUNTS = {"action": 959, "adventure": 781, "animation": 196, "biography": 238, "comedy": 1459, "crime": 707,
          "documentary": 45, "drama": 1890, "family": 442, "fantasy": 507, "film-noir": 1, "history": 148,
          "horror": 391, "music": 233, "musical": 96, "mystery": 384, "romance": 859, "sci-fi": 495, "sport": 148,
          "thriller": 1117, "war": 152, "western": 59}


@pytest.fixture(scope="module")
def tutorials(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tutorials with every `from metaflow import` -> `from sfnflow import`, each run once."""
    folder = tmp_path_factory.mktemp("tutorials")
    for name in FILES:
        source = TUTORIALS / name
        target = folder / name
        shutil.copytree(source.parent, target.parent, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
        text = source.read_text()
        assert text.count("from metaflow import") >= 1  # tutorial 03 imports the client inside a step too
        target.write_text(text.replace("from metaflow import", "from sfnflow import"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    env.pop("SFNFLOW_ROOT", None)
    for name in FILES:
        # As the tutorials' READMEs say: from the tutorials folder, `python <tutorial>/<file> run`.
        done = subprocess.run([sys.executable, name, "run"], cwd=folder, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, f"{name}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return folder


@pytest.fixture
def read(tutorials: Path) -> Path:
    client.set_root(str(tutorials / ".sfnflow"))
    return tutorials


def test_00_helloworld(read: Path) -> None:
    run = Flow("HelloFlow").latest_run
    assert run.successful
    # Metaflow: start 'HelloFlow is starting.', hello 'Metaflow says: Hi!', end 'HelloFlow is all done.'
    assert {s.id: s.task.stdout for s in run} == {"start": "HelloFlow is starting.\n",
                                                  "hello": "Metaflow says: Hi!\n",
                                                  "end": "HelloFlow is all done.\n"}


def test_01_playlist_reads_the_included_csv(read: Path) -> None:
    runs = list(Flow("PlayListFlow").runs())
    run = runs[-1]  # the first PlayListFlow run is tutorial 01's
    assert run.successful
    frame = run["start"].task.data.dataframe
    # Metaflow: 3,750 movies, starting Avatar, Pirates of the Caribbean: At World's End
    assert len(frame["movie_title"]) == 3750
    assert frame["movie_title"][:2] == ["Avatar", "Pirates of the Caribbean: At World's End"]
    assert run["start"].task.data.movie_data.startswith("movie_title,title_year,genres,gross\n")
    # Metaflow: 495 Sci-Fi movies in the playlist, starting (sorted) 10 Cloverfield Lane, 2001: A Space Odyssey, 2012
    playlist = run.data.playlist
    assert len(playlist) == 495 and sorted(playlist)[:3] == ["10 Cloverfield Lane", "2001: A Space Odyssey", "2012"]
    assert "sci-fi" not in run.data.bonus[1].lower()
    assert run.data.genre == "Sci-Fi" and run.data.recommendations == 5
    assert "Playlist for movies in genre 'Sci-Fi'" in run["end"].task.stdout


def test_02_statistics(read: Path) -> None:
    run = Flow("MovieStatsFlow").latest_run
    assert run.successful
    stats = run.data.genre_stats
    assert {genre: value["quartiles"] for genre, value in stats.items()} == QUARTILES
    assert {genre: len(value["dataframe"]["movie_title"]) for genre, value in stats.items()} == COUNTS
    assert len(run["compute_statistics"].tasks()) == 22


def test_03_playlist_redux_reads_tutorial_02_through_the_client(read: Path) -> None:
    run = Flow("PlayListFlow").latest_run
    assert run.successful
    stats_run = Flow("MovieStatsFlow").latest_successful_run
    assert f"Using analysis from '{stats_run}'" in run["start"].task.stdout
    # Metaflow: 124 top-quartile Sci-Fi movies, starting (sorted) 2012, Ant-Man, Armageddon, Avatar, Avengers: ...
    playlist = run.data.playlist
    assert len(playlist) == 124
    assert sorted(playlist)[:5] == ["2012", "Ant-Man", "Armageddon", "Avatar", "Avengers: Age of Ultron"]
