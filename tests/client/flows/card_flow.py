"""Cards as Metaflow users write them: @card and current.card.append(...) with its components."""
import struct
import zlib

from sfnflow import FlowSpec, card, current, step
from sfnflow.cards import Artifact, Image, Markdown, ProgressBar, Table, VegaChart


def tiny_png() -> bytes:
    """A 2x2 red PNG, made by hand (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class CardFlow(FlowSpec):
    @card
    @card(type="blank", id="extra")
    @step
    def start(self):
        self.scores = {"a": 3, "b": 5, "c": 2}
        current.card.append(Markdown("# Scores\nThe **best** is `b`. <script>alert(1)</script>"))
        current.card.append(Table([[k, v] for k, v in self.scores.items()], headers=["name", "score"]))
        current.card.append(VegaChart({
            "mark": "bar", "data": {"values": [{"name": k, "score": v} for k, v in self.scores.items()]},
            "encoding": {"x": {"field": "name", "type": "nominal"}, "y": {"field": "score", "type": "quantitative"}},
        }))
        current.card.append(Image(tiny_png(), label="a red square"))
        bar = ProgressBar(max=10, label="done")
        bar.update(7)
        current.card.append(bar)
        current.card.append(Artifact(self.scores, name="scores"))
        current.card["extra"].append(Markdown("only in the extra card"))
        self.items = [1, 2]
        self.next(self.each, foreach="items")

    @card(type="blank")
    @step
    def each(self):
        current.card.append(Markdown(f"item {self.input}"))
        self.next(self.join)

    @step
    def join(self, inputs):
        current.card.append(Markdown("no @card here"))
        self.next(self.end)

    @card(type="html")
    @step
    def end(self):
        self.html = "<h1>hand-made</h1>"


if __name__ == "__main__":
    CardFlow()
