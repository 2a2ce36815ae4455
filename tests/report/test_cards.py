"""@card and current.card.append(...): components saved with the task, drawn by `sfnflow
report`, `sfnflow card get` and get_cards(); the page valid HTML5 and drawn by Chromium."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import html5lib
import pytest
from click.testing import CliRunner

from sfn_compiler.dsl.decorators import DecoratorUsageError
from sfnflow import FlowSpec, Run, card, client, step
from sfnflow.cards import get_cards
from sfnflow.cards.markdown import markdown_to_html
from sfnflow.cards.render import render_component
from sfnflow.cli import main

FLOW = Path(__file__).resolve().parents[1] / "client" / "flows" / "card_flow.py"
BAR_BLUE = (0x4C, 0x78, 0xA8)


@pytest.fixture(scope="module")
def run_id(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    root = tmp_path_factory.mktemp("cards") / "store"
    done = CliRunner().invoke(main, ["run", str(FLOW), "--root", str(root)])
    assert done.exit_code == 0, done.output
    run = next(p.name for p in (root / "CardFlow").iterdir() if p.name[0].isdigit())
    return root, run, done.output


def test_components_are_saved_with_the_task_in_order(run_id: tuple[Path, str, str]) -> None:
    root, run, _ = run_id
    saved = json.loads((root / "CardFlow" / run / "start" / "0" / "cards.json").read_text())
    default, extra = saved["cards"]
    assert (default["type"], default["id"], extra["type"], extra["id"]) == ("default", None, "blank", "extra")
    assert [c["type"] for c in default["components"]] == ["markdown", "table", "vega", "image", "progress", "artifact"]
    assert default["components"][4]["value"] == 7  # the bar's value at the end of the task
    assert [c["text"] for c in extra["components"]] == ["only in the extra card"]
    for task in ("0", "1"):  # each foreach task keeps its own card
        each = json.loads((root / "CardFlow" / run / "each" / task / "cards.json").read_text())
        assert each["cards"][0]["components"][0]["text"] == f"item {int(task) + 1}"


def test_a_step_without_card_says_its_components_are_dropped(run_id: tuple[Path, str, str]) -> None:
    root, run, _ = run_id
    client.set_root(str(root))
    task = Run(f"CardFlow/{run}")["join"].task
    assert "has no @card" in task.stderr and get_cards(task) == []
    assert not (root / "CardFlow" / run / "join" / "0" / "cards.json").exists()


def test_get_cards_draws_each_component(run_id: tuple[Path, str, str]) -> None:
    root, run, _ = run_id
    client.set_root(str(root))
    default, extra = get_cards(f"CardFlow/{run}/start/0")
    page = default.html
    html5lib.HTMLParser(strict=True).parse(page)
    assert "<h1>Scores</h1>" in page and "<strong>best</strong>" in page and "<code>b</code>" in page
    assert "<script>" not in page and "&lt;script&gt;" in page  # card text cannot inject markup
    assert page.count("<rect ") == 3 and "<svg" in page  # the Vega-Lite bar chart, drawn inline
    assert 'src="data:image/png;base64,' in page and "a red square" in page
    assert "width:70.0%" in page  # the progress bar at 7 of 10
    assert "<td><code>scores</code></td>" in page  # a default card lists the task's artifacts
    assert "only in the extra card" in extra.html and extra.id == "extra"
    assert [c.type for c in get_cards(f"CardFlow/{run}/end/0")] == ["html"]
    assert "srcdoc=\"&lt;h1&gt;hand-made&lt;/h1&gt;\"" in get_cards(f"CardFlow/{run}/end/0")[0].html


def test_report_has_a_section_per_step_with_a_card(run_id: tuple[Path, str, str], tmp_path: Path) -> None:
    root, run, _ = run_id
    out = tmp_path / "r.html"
    done = CliRunner().invoke(main, ["report", run, "-o", str(out), "--root", str(root)])
    assert done.exit_code == 0, done.output
    page = out.read_text()
    html5lib.HTMLParser(strict=True).parse(page)
    assert [s for s in ("Card: start", "Card: each", "Card: join", "Card: end") if s in page] == \
        ["Card: start", "Card: each", "Card: end"]
    assert "<script" not in page


def test_card_get_and_list_on_the_command_line(run_id: tuple[Path, str, str], tmp_path: Path) -> None:
    root, run, _ = run_id
    runner = CliRunner()
    out = tmp_path / "card.html"
    done = runner.invoke(main, ["card", "get", f"{run}/start", "-o", str(out), "--root", str(root)])
    assert done.exit_code == 0, done.output
    assert "Wrote" in done.output and "<h1>Scores</h1>" in out.read_text()
    done = runner.invoke(main, ["card", "get", f"CardFlow/{run}/each/1", "-o", str(out), "--root", str(root)])
    assert done.exit_code == 0 and "item 2" in out.read_text()
    listed = runner.invoke(main, ["card", "list", run, "--root", str(root)])
    assert listed.exit_code == 0 and listed.output.count("type=") == 5 and "id=extra" in listed.output
    missing = runner.invoke(main, ["card", "get", f"{run}/join", "--root", str(root)])
    assert missing.exit_code == 1
    assert missing.output.splitlines()[-1].startswith(f"Error: task CardFlow/{run}/join/0 saved no card.")


def test_card_decorator_mistakes_are_reported() -> None:
    with pytest.raises(DecoratorUsageError, match="card types default, blank, html"):
        card(type="fancy")

    from sfn_compiler.graph.builder import build_graph
    from sfn_compiler.graph.validate import validate

    class TwoCards(FlowSpec):
        @card
        @card
        @step
        def start(self):
            self.next(self.end)

        @step
        def end(self):
            pass

    found = [str(d) for d in validate(build_graph(TwoCards))]
    assert any("step 'start': has 2 @card decorators without an id." in d for d in found), found


def test_markdown_keeps_only_safe_links_and_unknown_charts_show_their_data() -> None:
    html = markdown_to_html("[ok](https://example.org) [bad](javascript:alert(1)) | a |\n|---|\n| 1 |")
    assert '<a href="https://example.org">ok</a>' in html and "javascript" not in html
    chart = render_component({"type": "vega", "spec": {"layer": [], "data": {"values": [{"k": "x", "v": 1}]}}})
    assert "does not draw itself" in chart and "<td><p>x</p></td>" in chart


@pytest.mark.slow
def test_chromium_draws_the_card(run_id: tuple[Path, str, str], tmp_path: Path) -> None:
    import matplotlib.image as mpimg
    import numpy as np

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Debian's chromium package is needed for this test (.ci/run installs it)"
    root, run, _ = run_id
    page = tmp_path / "card.html"
    done = CliRunner().invoke(main, ["card", "get", f"{run}/start", "-o", str(page), "--root", str(root)])
    assert done.exit_code == 0, done.output
    shot = tmp_path / "shot.png"
    browser = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                              "--enable-logging=stderr", "--v=0", "--window-size=1000,1400",
                              f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert shot.exists(), browser.stderr[-2000:]
    assert [line for line in browser.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line] == []
    pixels = (mpimg.imread(str(shot))[:, :, :3] * 255).astype(int)
    blue = np.abs(pixels - np.array(BAR_BLUE)).sum(axis=2) < 30
    columns = np.flatnonzero(blue.any(axis=0))
    runs = np.split(columns, np.flatnonzero(np.diff(columns) > 1) + 1)
    assert len([r for r in runs if len(r) > 40]) == 3  # three bars, each drawn as a solid column
