"""The city map: blocks shaded by a layer, neighbourhood borders, police, programmes, guards.

Drawn with numpy into an RGB array and sent to the browser as a PNG in a data URL (a few
milliseconds a frame; a matplotlib figure takes over a second on these machines). Each block
is ``scale`` x ``scale`` pixels; marks sit on top of the shading.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from simulation.appkit.live import LiveCity

# Colour ramps from low (0) to high (1), as RGB stops.
RAMPS: dict[str, np.ndarray] = {
    "crime": np.array([[250, 247, 240], [253, 204, 138], [240, 110, 60], [165, 15, 21]], float),
    "fear": np.array([[247, 244, 250], [200, 180, 220], [130, 90, 170], [63, 0, 125]], float),
    "trust": np.array([[255, 245, 235], [200, 220, 230], [90, 160, 200], [8, 69, 148]], float),
    "security": np.array([[247, 247, 247], [230, 220, 170], [190, 160, 60], [110, 80, 10]], float),
}
NO_RESIDENTS = np.array([225, 225, 225], float)
BORDER = np.array([40, 40, 40], np.uint8)
POLICE = np.array([30, 90, 220], np.uint8)
MILITARY = np.array([40, 110, 40], np.uint8)
PROGRAMME = np.array([0, 160, 90], np.uint8)
GUARD = np.array([120, 80, 0], np.uint8)
LEGEND: tuple[tuple[str, str], ...] = (
    ("#1e5adc", "police unit"), ("#286e28", "soldiers"), ("#00a05a", "programme site"),
    ("#785000", "private guards"), ("#282828", "neighbourhood border"),
)
"""Colours of the marks and what they mean (the map's legend)."""


def shade(values: np.ndarray, layer: str) -> np.ndarray:
    """Values 0-1 (NaN: nobody lives there) to RGB through the layer's ramp."""
    ramp = RAMPS[layer]
    known = np.nan_to_num(values, nan=0.0)
    position = np.clip(known, 0.0, 1.0) * (len(ramp) - 1)
    low = np.minimum(position.astype(int), len(ramp) - 2)
    fraction = (position - low)[..., None]
    colours = ramp[low] * (1 - fraction) + ramp[low + 1] * fraction
    colours[np.isnan(values)] = NO_RESIDENTS
    return colours


def city_image(city: LiveCity, layer: str = "crime", scale: int = 8) -> np.ndarray:
    """The map as an RGB array of (height x scale, width x scale, 3) pixels."""
    height, width = city.model.city.grid_shape
    values = city.block_layer(layer).reshape(height, width)
    pixels = np.repeat(np.repeat(shade(values, layer), scale, axis=0), scale, axis=1).astype(np.uint8)
    neighbourhood = city.model.city.neighbourhood.reshape(height, width)
    # Borders: the right and bottom edge of a block whose neighbour is in another neighbourhood.
    right = np.zeros((height, width), bool)
    right[:, :-1] = neighbourhood[:, :-1] != neighbourhood[:, 1:]
    below = np.zeros((height, width), bool)
    below[:-1, :] = neighbourhood[:-1, :] != neighbourhood[1:, :]
    for row, col in zip(*np.nonzero(right)):
        pixels[row * scale:(row + 1) * scale, (col + 1) * scale - 1] = BORDER
    for row, col in zip(*np.nonzero(below)):
        pixels[(row + 1) * scale - 1, col * scale:(col + 1) * scale] = BORDER
    guarded = city.model.private_security.coverage.reshape(height, width) >= 0.5
    _mark(pixels, guarded, scale, GUARD, corner="top-left")
    _mark(pixels, city.programme_blocks().reshape(height, width), scale, PROGRAMME, corner="bottom-right")
    police, military = city.police_blocks()
    for blocks, colour in ((police, POLICE), (military, MILITARY)):
        mask = np.zeros(height * width, bool)
        mask[blocks] = True
        _mark(pixels, mask.reshape(height, width), scale, colour, corner="centre")
    return pixels


def _mark(pixels: np.ndarray, mask: np.ndarray, scale: int, colour: np.ndarray, corner: str) -> None:
    """A small square in each marked block (its position tells marks apart when they share one)."""
    size = {"top-left": 2, "bottom-right": max(3, scale // 2), "centre": max(4, scale - 2)}[corner]
    offset = {"top-left": 0, "bottom-right": scale - size - 1, "centre": (scale - size) // 2}[corner]
    offset = max(offset, 0)
    for row, col in zip(*np.nonzero(mask)):
        top, left = row * scale + offset, col * scale + offset
        pixels[top:top + size, left:left + size] = colour


def png_data_url(pixels: np.ndarray) -> str:
    """An RGB array as a ``data:image/png;base64,...`` URL."""
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


MAP_PIXELS = 400
"""About how wide the map is drawn, whatever the number of blocks."""


def block_scale(width: int) -> int:
    """Pixels per block so that the map is about `MAP_PIXELS` wide (at least 3)."""
    return max(3, round(MAP_PIXELS / width))


def map_html(city: LiveCity, layer: str = "crime", scale: int | None = None) -> str:
    """The map as an ``<img>`` element with its alt text and a legend."""
    scale = scale or block_scale(city.model.city.width)
    url = png_data_url(city_image(city, layer, scale))
    height, width = city.model.city.grid_shape
    legend = "".join(
        f'<span style="margin-right:10px;white-space:nowrap"><span style="display:inline-block;'
        f'width:10px;height:10px;background:{colour};margin-right:3px"></span>{label}</span>'
        for colour, label in LEGEND)
    ramp = RAMPS[layer]
    gradient = ", ".join(f"rgb({int(r)},{int(g)},{int(b)})" for r, g, b in ramp)
    return (
        f'<div class="crimesim-map" data-day="{city.day}" data-layer="{layer}">'
        f'<img src="{url}" width="{width * scale}" height="{height * scale}" '
        f'alt="City map of {width} x {height} blocks shaded by {layer}, day {city.day}" '
        f'style="image-rendering:pixelated;max-width:100%;height:auto;border:1px solid #999"/>'
        f'<div style="font-size:12px;margin-top:4px">low <span style="display:inline-block;width:120px;'
        f'height:10px;background:linear-gradient(to right, {gradient})"></span> high'
        f'&nbsp;&nbsp;{legend}</div></div>')
