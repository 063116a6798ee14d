"""Where the map sits in the window: world metres to screen pixels and back, zoom and pan.

Screen pixels count from the bottom-left corner of the window, y up, as arcade's do;
world metres have y pointing north, so no axis flips.
"""

from __future__ import annotations

from dataclasses import dataclass

from agora.client.city import Extent

MIN_ZOOM = 0.5  # relative to the zoom that fits the whole map
MAX_ZOOM = 40.0


@dataclass(frozen=True)
class Area:
    """A rectangle of the window in pixels."""

    left: float
    bottom: float
    width: float
    height: float

    @property
    def center(self) -> tuple[float, float]:
        return self.left + self.width / 2, self.bottom + self.height / 2


class Viewport:
    """A uniform scale (pixels per metre) and the world point shown at the map area's centre."""

    def __init__(self, window_size: tuple[int, int], area: Area, extent: Extent) -> None:
        self.window_size = window_size
        self.area = area
        self.extent = extent
        self.center_m = (0.0, 0.0)
        self.px_per_m = 1.0
        self.moved_by_user = False
        self.fit()

    def fit_scale(self) -> float:
        margin = 0.96
        e = self.extent
        sx = self.area.width / e.width if e.width > 0 else 1.0
        sy = self.area.height / e.height if e.height > 0 else 1.0
        return max(min(sx, sy) * margin, 1e-9)

    def fit(self) -> None:
        """Show the whole extent, centred, keeping the aspect."""
        e = self.extent
        self.center_m = (e.left + e.width / 2, e.bottom + e.height / 2)
        self.px_per_m = self.fit_scale()
        self.moved_by_user = False

    def resize(self, window_size: tuple[int, int], area: Area) -> None:
        """Follow a window resize: refit unless the user chose a view, then keep it."""
        self.window_size = window_size
        self.area = area
        if not self.moved_by_user:
            self.fit()

    @property
    def zoom(self) -> float:
        """The scale relative to the fitted one (1.0 when the whole map fits)."""
        return self.px_per_m / self.fit_scale()

    # -- conversions -----------------------------------------------------------------

    def to_screen(self, x_m: float, y_m: float) -> tuple[float, float]:
        acx, acy = self.area.center
        return (
            acx + (x_m - self.center_m[0]) * self.px_per_m,
            acy + (y_m - self.center_m[1]) * self.px_per_m,
        )

    def to_world(self, x_px: float, y_px: float) -> tuple[float, float]:
        acx, acy = self.area.center
        return (
            self.center_m[0] + (x_px - acx) / self.px_per_m,
            self.center_m[1] + (y_px - acy) / self.px_per_m,
        )

    def clip_transform(
        self, margin_px: tuple[float, float] = (0.0, 0.0)
    ) -> tuple[tuple[float, float], tuple[float, float]]:
        """(scale, offset) so that clip = world_m * scale + offset, for the shaders; with a
        margin, for a picture larger than the window by that many pixels on every side."""
        mx, my = margin_px
        w, h = self.window_size[0] + 2 * mx, self.window_size[1] + 2 * my
        acx, acy = self.area.center
        s = self.px_per_m
        scale = (2.0 * s / w, 2.0 * s / h)
        offset = (
            2.0 * (acx + mx - self.center_m[0] * s) / w - 1.0,
            2.0 * (acy + my - self.center_m[1] * s) / h - 1.0,
        )
        return scale, offset

    # -- moving ----------------------------------------------------------------------

    def zoom_at(self, x_px: float, y_px: float, factor: float) -> None:
        """Zoom by factor keeping the world point under (x_px, y_px) where it is."""
        fit = self.fit_scale()
        target = min(max(self.px_per_m * factor, fit * MIN_ZOOM), fit * MAX_ZOOM)
        wx, wy = self.to_world(x_px, y_px)
        self.px_per_m = target
        acx, acy = self.area.center
        self.center_m = (wx - (x_px - acx) / target, wy - (y_px - acy) / target)
        self.moved_by_user = True

    def pan(self, dx_px: float, dy_px: float) -> None:
        """Move the map with the mouse: the map follows the pointer."""
        self.center_m = (
            self.center_m[0] - dx_px / self.px_per_m,
            self.center_m[1] - dy_px / self.px_per_m,
        )
        self.moved_by_user = True
