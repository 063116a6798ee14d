"""Thick lines and filled boxes in screen pixels on the GPU, all in one draw call.

    lines = ChartLines(window.ctx)
    lines.set([Polyline(xs_px, ys_px, (86, 160, 230, 255), 2.0), ...],  # when the data changes
              boxes=[Box(left, bottom, width, height, (38, 43, 52, 255))])
    lines.draw(window.get_size())                                        # every frame

Each segment of each polyline becomes a quad (two triangles) built with numpy and written
into one vertex buffer after the boxes (which it then covers); a frame costs one render call
however many points there are. A software renderer pays a few milliseconds for every call,
whatever its size, so the charts' backgrounds travel in the same buffer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from arcade.context import ArcadeContext
from arcade.gl import BufferDescription, Geometry

from agora.client import palette

_VERTEX = """
#version 330
uniform vec2 u_size;
in vec2 in_pos;
in vec4 in_color;
out vec4 v_color;
void main() {
    gl_Position = vec4(in_pos / u_size * 2.0 - 1.0, 0.0, 1.0);
    v_color = in_color;
}
"""

_FRAGMENT = """
#version 330
in vec4 v_color;
out vec4 out_color;
void main() {
    out_color = v_color;
}
"""

FLOATS_PER_VERTEX = 6  # x, y, r, g, b, a


@dataclass(frozen=True)
class Polyline:
    x: np.ndarray  # float[n], screen pixels
    y: np.ndarray
    color: palette.RGBA
    width_px: float = 2.0


@dataclass(frozen=True)
class Box:
    left: float
    bottom: float
    width: float
    height: float
    color: palette.RGBA


def _box_vertices(box: Box) -> np.ndarray:
    l, b, r, t = box.left, box.bottom, box.left + box.width, box.bottom + box.height
    corners = np.array([(l, b), (r, b), (l, t), (l, t), (r, b), (r, t)], dtype=np.float64)
    return np.hstack([corners, np.broadcast_to(np.array(box.color, dtype=np.float64) / 255.0, (6, 4))])


def vertices(lines: list[Polyline], boxes: list[Box] | None = None) -> np.ndarray:
    """float32[6 * (boxes + segments), 6]: two triangles a box, then a segment, each vertex
    x, y, r, g, b, a (0-1)."""
    parts = [_box_vertices(box) for box in boxes or []]
    for line in lines:
        x, y = np.asarray(line.x, dtype=np.float64), np.asarray(line.y, dtype=np.float64)
        if x.size < 2:
            continue
        dx, dy = np.diff(x), np.diff(y)
        length = np.hypot(dx, dy)
        keep = length > 1e-9
        if not keep.any():
            continue
        # Half the width across each segment, and half along it past both ends so that the
        # joints between segments close.
        half = line.width_px / 2.0
        ux, uy = dx[keep] / length[keep] * half, dy[keep] / length[keep] * half
        x0, y0 = x[:-1][keep] - ux, y[:-1][keep] - uy
        x1, y1 = x[1:][keep] + ux, y[1:][keep] + uy
        nx, ny = -uy, ux
        corners = np.stack([
            np.stack([x0 + nx, y0 + ny], -1), np.stack([x0 - nx, y0 - ny], -1), np.stack([x1 + nx, y1 + ny], -1),
            np.stack([x1 + nx, y1 + ny], -1), np.stack([x0 - nx, y0 - ny], -1), np.stack([x1 - nx, y1 - ny], -1),
        ], axis=1).reshape(-1, 2)
        rgba = np.broadcast_to(np.array(line.color, dtype=np.float64) / 255.0, (corners.shape[0], 4))
        parts.append(np.hstack([corners, rgba]))
    if not parts:
        return np.zeros((0, FLOATS_PER_VERTEX), dtype=np.float32)
    return np.vstack(parts).astype(np.float32)


class ChartLines:
    def __init__(self, ctx: ArcadeContext) -> None:
        self.ctx = ctx
        self._program = ctx.program(vertex_shader=_VERTEX, fragment_shader=_FRAGMENT)
        self._capacity = 4096  # vertices the buffer holds; it doubles when outgrown
        self._buffer = ctx.buffer(reserve=self._capacity * FLOATS_PER_VERTEX * 4, usage="dynamic")
        self._geometry = self._make_geometry()
        self.count = 0  # vertices to draw

    def _make_geometry(self) -> Geometry:
        return self.ctx.geometry([BufferDescription(self._buffer, "2f 4f", ["in_pos", "in_color"])],
                                 mode=self.ctx.TRIANGLES)

    def set(self, lines: list[Polyline], boxes: list[Box] | None = None) -> None:
        data = vertices(lines, boxes)
        if data.shape[0] > self._capacity:
            while self._capacity < data.shape[0]:
                self._capacity *= 2
            self._buffer.orphan(size=self._capacity * FLOATS_PER_VERTEX * 4)
            self._geometry = self._make_geometry()
        if data.shape[0]:
            self._buffer.write(np.ascontiguousarray(data).tobytes())
        self.count = int(data.shape[0])

    def draw(self, size: tuple[int, int]) -> None:
        if not self.count:
            return
        self._program["u_size"] = (float(size[0]), float(size[1]))
        self.ctx.enable(self.ctx.BLEND)
        self._geometry.render(self._program, vertices=self.count)
