"""`IncludeFile`: a parameter whose value is a file; the file's content is the artifact.

    movie_data = IncludeFile("movie_data", default="movies.csv", is_text=True, encoding="utf-8")

Given on the command line as `--movie_data PATH` (relative to the current folder), or
the default (a path relative to the flow file's folder, so the flow finds its file from
anywhere). The content is read once, when the run starts, and stored like any artifact:
`self.movie_data` is the text (or the bytes with `is_text=False`) in every step, and
later runs or a changed file do not change what a past run read.
"""
from __future__ import annotations

from typing import Any

from .parameters import Parameter
from .specs import ParameterSpec


class IncludeFile(Parameter):
    def __init__(self, name: str, required: bool = False, is_text: bool = True, encoding: str = "utf-8",
                 help: str | None = None, default: Any = None, **kwargs: Any) -> None:  # noqa: A002
        super().__init__(name, default=default, type=str, help=help, required=required, **kwargs)
        self.is_text = bool(is_text)
        self.encoding = encoding or "utf-8"

    def spec(self, attribute: str) -> ParameterSpec:
        from dataclasses import replace

        return replace(super().spec(attribute), include=True, is_text=self.is_text, encoding=self.encoding)
