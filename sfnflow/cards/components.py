"""Card components under Metaflow's names: Markdown, Table, Image, VegaChart, Artifact,
ProgressBar. A step adds them with `current.card.append(...)`; each turns itself into a
small JSON-able dict when the task ends (`to_dict()`), and sfnflow/cards/render.py draws
that dict. Step code imports this module in Lambda and Batch: nothing heavy is imported
here (a matplotlib figure or a PIL image is asked to save itself).
"""
from __future__ import annotations

import base64
import io
import json
from typing import Any, Sequence

__all__ = ["Artifact", "Image", "Markdown", "ProgressBar", "Table", "VegaChart"]

TABLE_ROWS = 1000  # a card table keeps this many rows (a report must stay quick to open)
_PNG = b"\x89PNG\r\n\x1a\n"


class _Component:
    """A card component (Metaflow's MetaflowCardComponent)."""

    type = "component"

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Metaflow's live update; the value at the end of the task is what the card shows."""


class Markdown(_Component):
    type = "markdown"

    def __init__(self, text: str = "") -> None:
        self.text = str(text)

    def update(self, text: str | None = None) -> None:
        if text is not None:
            self.text = str(text)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "text": self.text}


class Artifact(_Component):
    """A value shown as the report previews artifacts (numbers, strings, frames, arrays...)."""

    type = "artifact"

    def __init__(self, artifact: Any, name: str | None = None, compressed: bool = True) -> None:
        self.artifact, self.name = artifact, name

    def update(self, artifact: Any) -> None:
        self.artifact = artifact

    def to_dict(self) -> dict[str, Any]:
        from ..report.previews import preview

        return {"type": self.type, "name": self.name, "html": preview(self.artifact)}


class Table(_Component):
    """Rows of cells; a cell is a value or another component (Markdown, Image, ...)."""

    type = "table"

    def __init__(self, data: Sequence[Sequence[Any]] | None = None, headers: Sequence[str] | None = None,
                 disable_updates: bool = False) -> None:
        self.data = [list(row) for row in (data or [])]
        self.headers = [str(h) for h in (headers or [])]

    @classmethod
    def from_dataframe(cls, dataframe: Any, truncate: bool = True) -> "Table":
        rows = dataframe.head(TABLE_ROWS) if truncate else dataframe
        table = cls([list(r) for r in rows.itertuples(index=False, name=None)], [str(c) for c in dataframe.columns])
        table.total_rows = len(dataframe)
        return table

    def update(self, data: Sequence[Sequence[Any]] | None = None) -> None:
        if data is not None:
            self.data = [list(row) for row in data]

    def add_row(self, row: Sequence[Any]) -> None:
        self.data.append(list(row))

    def to_dict(self) -> dict[str, Any]:
        rows = [[_cell(c) for c in row] for row in self.data[:TABLE_ROWS]]
        total = getattr(self, "total_rows", len(self.data))
        return {"type": self.type, "headers": self.headers, "rows": rows, "total_rows": total}


class Image(_Component):
    """An image from bytes (PNG, JPEG, GIF, SVG, WebP), a matplotlib figure or a PIL image."""

    type = "image"

    def __init__(self, src: bytes | None = None, label: str | None = None, disable_updates: bool = True) -> None:
        if src is not None and not isinstance(src, (bytes, bytearray)):
            raise TypeError(f"Image(src=...) takes the image's bytes, not {type(src).__name__}; "
                            "use Image.from_matplotlib(fig) or Image.from_pil_image(img)")
        self.src, self.label = (bytes(src) if src is not None else None), label

    @classmethod
    def from_matplotlib(cls, figure: Any, label: str | None = None) -> "Image":
        figure = getattr(figure, "figure", figure)  # an Axes works too
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight")
        return cls(buffer.getvalue(), label)

    @classmethod
    def from_pil_image(cls, image: Any, label: str | None = None) -> "Image":
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return cls(buffer.getvalue(), label)

    def update(self, src: bytes | None = None, label: str | None = None) -> None:
        if src is not None:
            self.src = bytes(src)
        if label is not None:
            self.label = label

    def to_dict(self) -> dict[str, Any]:
        data = self.src or b""
        return {"type": self.type, "label": self.label, "mime": _mime(data),
                "data": base64.b64encode(data).decode("ascii")}


class VegaChart(_Component):
    """A Vega-Lite chart: a spec dict (or an Altair chart, which gives its spec)."""

    type = "vega"

    def __init__(self, spec: Any, show_controls: bool = False) -> None:
        self.spec = _spec_of(spec)

    @classmethod
    def from_altair_chart(cls, chart: Any) -> "VegaChart":
        return cls(chart)

    def update(self, spec: Any = None) -> None:
        if spec is not None:
            self.spec = _spec_of(spec)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "spec": json.loads(json.dumps(self.spec, default=str))}


class ProgressBar(_Component):
    type = "progress"

    def __init__(self, max: int = 100, label: str | None = None, value: float = 0,  # noqa: A002 - Metaflow's name
                 unit: str | None = None, metadata: str | None = None) -> None:
        self.max, self.label, self.value, self.unit, self.metadata = max, label, value, unit, metadata

    def update(self, new_value: float, metadata: str | None = None) -> None:
        self.value = new_value
        if metadata is not None:
            self.metadata = metadata

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "max": self.max, "value": self.value, "label": self.label, "unit": self.unit,
                "metadata": self.metadata}


def _cell(value: Any) -> dict[str, Any]:
    if isinstance(value, _Component):
        return value.to_dict()
    if value is None or isinstance(value, (str, int, float, bool)):
        return {"type": "text", "text": "" if value is None else str(value)}
    from ..report.previews import preview

    return {"type": "artifact", "name": None, "html": preview(value)}


def _mime(data: bytes) -> str:
    if data.startswith(_PNG):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.lstrip()[:5] in (b"<svg ", b"<?xml"):
        return "image/svg+xml"
    return "application/octet-stream"


def _spec_of(spec: Any) -> dict[str, Any]:
    to_dict = getattr(spec, "to_dict", None)
    if callable(to_dict) and not isinstance(spec, dict):
        spec = to_dict()
    if not isinstance(spec, dict):
        raise TypeError(f"VegaChart takes a Vega-Lite spec (a dict) or an Altair chart, not {type(spec).__name__}")
    return spec
