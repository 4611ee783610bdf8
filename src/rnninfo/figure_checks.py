"""Overlapping text in a matplotlib figure: titles, labels, tick labels, legends.

`text_overlaps(fig)` draws the figure once and returns every pair of drawn
texts whose boxes overlap, and every legend whose box covers a text outside
it (a legend over a row label or a panel title). Only what is actually drawn
counts: invisible texts, empty strings and tick labels outside the view are
skipped, because the check records texts while the figure draws them.

tests/test_figures_overlap.py runs it on every figure of a tiny pipeline run.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.transforms import Bbox


@dataclass(frozen=True)
class Overlap:
    first: str
    second: str
    pixels: tuple[float, float]  # width, height of the overlap (display pixels)

    def __str__(self) -> str:
        w, h = self.pixels
        return f"{self.first} overlaps {self.second} ({w:.0f} x {h:.0f} px)"


@contextlib.contextmanager
def _recording_draws(cls, drawn: list):
    """While active, every ``cls.draw`` that renders appends (artist, window extent) to ``drawn``."""
    original = cls.draw

    def draw(self, renderer, *args, **kwargs):
        result = original(self, renderer, *args, **kwargs)
        if self.get_visible() and (not isinstance(self, Text) or self.get_text().strip()):
            drawn.append((self, self.get_window_extent(renderer)))
        return result

    cls.draw = draw
    try:
        yield drawn
    finally:
        cls.draw = original


def _describe(artist) -> str:
    if isinstance(artist, Legend):
        title = artist.get_title().get_text()
        return f"legend{' ' + repr(title) if title else ''}"
    text = " ".join(artist.get_text().split())
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _inside(text: Text, legend: Legend) -> bool:
    return text is legend.get_title() or any(text is t for t in legend.get_texts())


def _overlap(a: Bbox, b: Bbox, tol: float) -> tuple[float, float] | None:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return (w, h) if w > tol and h > tol else None


def text_overlaps(fig: Figure, tol: float = 1.0) -> list[Overlap]:
    """Pairs of drawn texts whose boxes overlap by more than ``tol`` pixels in both
    directions, and legends whose box covers a text outside them."""
    texts, legends = [], []
    with _recording_draws(Text, texts), _recording_draws(Legend, legends):
        fig.canvas.draw()
    # a text drawn twice (e.g. by a legend and again by the figure) counts once
    seen, unique = set(), []
    for artist, box in texts:
        if id(artist) not in seen:
            seen.add(id(artist))
            unique.append((artist, box))
    found = []
    for i, (a, box_a) in enumerate(unique):
        for b, box_b in unique[i + 1 :]:
            px = _overlap(box_a, box_b, tol)
            if px:
                found.append(Overlap(_describe(a), _describe(b), px))
    for legend, box in legends:
        for t, box_t in unique:
            px = None if _inside(t, legend) else _overlap(box, box_t, tol)
            if px:
                found.append(Overlap(_describe(legend), _describe(t), px))
    return found
