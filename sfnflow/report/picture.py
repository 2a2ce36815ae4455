"""The flow as a picture for `sfnflow show --format svg|html|png`.

SVG and HTML need nothing; PNG is the HTML page photographed by a headless Chromium
(Debian's `chromium` package), the one rasteriser every machine here can have.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from html import escape
from typing import Mapping

from sfn_compiler.graph.model import FlowGraph

from .graph_svg import SVG_STYLE, graph_svg


class NoBrowser(RuntimeError):
    """No Chromium on PATH to turn the drawing into a PNG."""


def flow_html(graph: FlowGraph, compute: Mapping[str, str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(graph.name)}</title><style>body{{margin:0;background:#fff}}{SVG_STYLE}</style>"
            f"</head><body>{graph_svg(graph, compute)}</body></html>")


def flow_png(graph: FlowGraph, compute: Mapping[str, str], output: str) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        raise NoBrowser("a PNG is drawn by headless Chromium, which is not on PATH "
                        "(Debian: apt-get install chromium). --format svg or html needs nothing.")
    svg = graph_svg(graph, compute)
    width, height = (int(v) for v in re.search(r'width="(\d+)" height="(\d+)"', svg).groups())
    with tempfile.TemporaryDirectory() as scratch:
        page = os.path.join(scratch, "flow.html")
        with open(page, "w", encoding="utf-8") as out:
            out.write(flow_html(graph, compute))
        done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                               f"--window-size={width},{height}", f"--screenshot={os.path.abspath(output)}",
                               f"file://{page}"], capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or not os.path.exists(output):
        raise NoBrowser(f"Chromium could not draw the PNG (exit {done.returncode}): "
                        f"{done.stderr.strip().splitlines()[-1:] or ''}")
