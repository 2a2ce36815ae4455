"""How big and how fast the run report is for a 1,000-task run.

    python bench/bench_report.py [--width 1000]

Runs the foreach flow of bench/flows.py locally, then times `sfnflow report` (reading the
stores and writing the page) and a headless Chromium loading and drawing the page (a
screenshot), against Chromium drawing a blank page in the same run: the baseline.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from flows import foreach  # noqa: E402


def timed(cmd: list[str], **kw) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, **kw)
    return time.perf_counter() - t


def screenshot(browser: str, url: str, out: str) -> float:
    return timed([browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,2000",
                  f"--screenshot={out}", url])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--width", type=int, default=1000)
    args = parser.parse_args()
    browser = shutil.which("chromium")
    with tempfile.TemporaryDirectory() as scratch:
        flow = Path(scratch) / f"foreach{args.width}.py"
        flow.write_text(foreach("sfnflow", args.width))
        env = dict(os.environ, SFNFLOW_ROOT=str(Path(scratch) / "store"))
        sfnflow = [sys.executable, "-m", "sfnflow"]
        subprocess.run(sfnflow + ["run", str(flow), "--max-workers", "2"], check=True, capture_output=True, env=env)
        runs = subprocess.run(sfnflow + ["runs", f"Foreach{args.width}Flow"], check=True, capture_output=True,
                              text=True, env=env).stdout
        run_id = runs.splitlines()[1].split()[0]
        page = Path(scratch) / "report.html"
        write_s = timed(sfnflow + ["report", f"Foreach{args.width}Flow/{run_id}", "-o", str(page)], env=env)
        size = page.stat().st_size
        print(f"tasks: {args.width + 3}  report: {size / 1024:,.0f} KiB, written in {write_s:.2f} s "
              f"(CLI start-up included)")
        if browser:
            blank = Path(scratch) / "blank.html"
            blank.write_text("<!DOCTYPE html><title>blank</title>")
            base = min(screenshot(browser, blank.as_uri(), str(Path(scratch) / "b.png")) for _ in range(3))
            drawn = min(screenshot(browser, page.as_uri(), str(Path(scratch) / "r.png")) for _ in range(3))
            print(f"chromium load+draw: report {drawn:.2f} s, blank page {base:.2f} s "
                  f"(report costs {drawn - base:.2f} s over a blank page)")
        print(f"load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
