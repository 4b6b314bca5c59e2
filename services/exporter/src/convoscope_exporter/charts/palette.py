"""Colours shared by the SVG and reportlab charts."""

from __future__ import annotations

import math

# Okabe & Ito's palette: told apart with every common colour-vision deficiency.
SERIES_COLOURS: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#000000",  # black
)
# Fixed colours for the categories that recur across charts and formats, so the same
# category is the same colour everywhere (severity: hot to cool; sentiment: green to red).
CATEGORY_COLOURS: dict[str, str] = {
    "high": "#D55E00",
    "medium": "#E69F00",
    "low": "#56B4E9",
    "Very Positive": "#009E73",
    "Positive": "#7FCDB5",
    "Neutral": "#BBBBBB",
    "Negative": "#F0A070",
    "Very Negative": "#D55E00",
    "user": "#0072B2",
    "assistant": "#E69F00",
    "system": "#CC79A7",
    "tool": "#009E73",
}
SEVERITY_COLOURS: dict[str, str] = {k: CATEGORY_COLOURS[k] for k in ("high", "medium", "low")}
_LOW = (235, 242, 250)
_HIGH = (8, 48, 107)


def series_colour(name: str, index: int) -> str:
    """The colour of a series: known categories keep theirs in every chart, others take the
    palette in order."""
    return CATEGORY_COLOURS.get(name, SERIES_COLOURS[index % len(SERIES_COLOURS)])


def scale_colour(value: float, maximum: float) -> str:
    """A light-to-dark blue for heatmaps; zero is the lightest shade."""
    t = 0.0 if maximum <= 0 else max(0.0, min(1.0, value / maximum))
    r, g, b = (round(lo + (hi - lo) * t) for lo, hi in zip(_LOW, _HIGH, strict=True))
    return f"#{r:02X}{g:02X}{b:02X}"


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 x 10^n)."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude * (1 + 1e-9):
            return round(step * magnitude, 12)
    return 10 * magnitude


def value_range(values: list[float]) -> tuple[float, float]:
    """Round axis bounds for a line chart: from 0 when all values are >= 0, otherwise
    symmetric around 0 (sentiment), so the ticks stay round and zero is visible."""
    low = min(values, default=0.0)
    high = max(values, default=0.0)
    if low >= 0:
        return 0.0, nice_max(high)
    bound = nice_max(max(-low, high))
    return -bound, bound
