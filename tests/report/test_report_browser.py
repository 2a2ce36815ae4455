"""`sfnflow report` end to end: runs, the page, HTML5 validation, and a real headless
Chromium that draws it (screenshot checked for the graph and the timeline, no console errors)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import html5lib
import pytest
from click.testing import CliRunner

from sfnflow.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
GREEN, RED = (0x2E, 0x7D, 0x32), (0xC6, 0x28, 0x28)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report") / "store"
    runner = CliRunner()
    for flow in ("foreach.py", "catch.py"):
        done = runner.invoke(main, ["run", str(EXAMPLES / flow), "--root", str(root), "--max-workers", "2"])
        assert done.exit_code == 0, done.output
    return root


def write_report(store: Path, flow: str, out: Path) -> str:
    from sfnflow import Flow, client

    client.set_root(str(store))
    run_id = Flow(flow).latest_run.id
    runner = CliRunner()
    done = runner.invoke(main, ["report", f"{flow}/{run_id}", "-o", str(out), "--root", str(store)])
    assert done.exit_code == 0, done.output
    return out.read_text()


def test_report_is_valid_html5_with_every_section(store: Path, tmp_path: Path) -> None:
    page = write_report(store, "ForeachFlow", tmp_path / "r.html")
    html5lib.HTMLParser(strict=True).parse(page)  # raises on any parse error
    for part in ("Graph", "Timeline", "class=\"flow-graph\"", "class=\"timeline\"", "double/0", "doubled"):
        assert part in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_report_of_a_run_with_a_caught_step_shows_the_error(store: Path, tmp_path: Path) -> None:
    page = write_report(store, "CatchFlow", tmp_path / "c.html")
    html5lib.HTMLParser(strict=True).parse(page)
    assert "CAUGHT" in page


def green_mask(png: Path):
    """Pixels of the screenshot in the 'succeeded' green (to within a little anti-aliasing)."""
    import matplotlib.image as mpimg
    import numpy as np

    pixels = (mpimg.imread(str(png))[:, :, :3] * 255).astype(int)
    return np.abs(pixels - np.array(GREEN)).sum(axis=2) < 40


def longest_run(row) -> int:
    best = run = 0
    for on in row:
        run = run + 1 if on else 0
        best = max(best, run)
    return best


def test_chromium_draws_the_graph_and_the_timeline(store: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Debian's chromium package is needed for this test (.ci/run installs it)"
    page = tmp_path / "r.html"
    write_report(store, "ForeachFlow", page)
    shot = tmp_path / "shot.png"
    done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--enable-logging=stderr", "--v=0", "--window-size=1200,1400",
                           f"--screenshot={shot}", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert shot.exists(), done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
    mask = green_mask(shot)
    # The graph: each step's box is outlined in green, so its top and bottom edges are long
    # green lines; ForeachFlow has 4 steps.
    edges = [y for y in range(mask.shape[0]) if longest_run(mask[y]) > 150]
    bands = [y for i, y in enumerate(edges) if i == 0 or y - edges[i - 1] > 3]
    assert len(bands) >= 8, bands
    # The timeline, below the graph: the tasks' bars, filled green.
    below = [y for y in range(edges[-1] + 60, mask.shape[0]) if mask[y].any()]
    assert len(below) >= 4 * 5, "no task bars drawn under the graph"
