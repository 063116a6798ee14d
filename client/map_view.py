"""The map on the GPU: land use as one texture, roads as one instanced vertex buffer.

Sizes grow with the city (a 512x512 grid, 20,000 links), so nothing here makes one
object per cell or per link: the land-use texture is written once from numpy, each
link is one instance of a six-vertex quad whose geometry never changes, and a delta
rewrites only the per-link colour and style buffers. The vertex shader widens each
link in screen pixels (so roads keep their width at any zoom) and shifts it to the
right of its direction of travel, so both directions of a two-way street show.
"""

from __future__ import annotations

import numpy as np
from arcade.context import ArcadeContext
from arcade.gl import BufferDescription, Framebuffer

from agora.client import overlays, palette
from agora.client.city import City
from agora.client.viewport import Viewport

# Pixels between the centre line of a two-way street and each direction's band.
TWIN_GAP_PX = 0.75
CASING_PX = 1.0
SELECTION_HALO_PX = 3.5
DASH_PX = 7.0

_LAND_VERTEX = """
#version 330
uniform vec2 u_scale;
uniform vec2 u_offset;
in vec2 in_pos;
in vec2 in_uv;
out vec2 v_uv;
void main() {
    gl_Position = vec4(in_pos * u_scale + u_offset, 0.0, 1.0);
    v_uv = in_uv;
}
"""

_LAND_FRAGMENT = """
#version 330
uniform sampler2D u_land;
in vec2 v_uv;
out vec4 out_color;
void main() {
    out_color = texture(u_land, v_uv);
}
"""

# One instance per link. in_corner.x runs along the link (0 at its start, 1 at its end),
# in_corner.y across it (0 at the band's inner edge, 1 at its outer edge).
_ROAD_VERTEX = """
#version 330
uniform vec2 u_scale;
uniform vec2 u_offset;
uniform vec2 u_clip_per_px;
uniform float u_width_scale;
uniform float u_grow_px;
uniform int u_only;
in vec2 in_corner;
in vec2 in_a;
in vec2 in_b;
in float in_width_px;
in float in_shift_px;
in vec4 in_color;
in float in_dashed;
in float in_picked;
out vec4 v_color;
out float v_along_px;
flat out float v_dashed;
void main() {
    // u_only: -1 every link, -2 the picked ones, else that one link.
    if ((u_only >= 0 && gl_InstanceID != u_only) || (u_only == -2 && in_picked < 0.5)) {
        gl_Position = vec4(2.0, 2.0, 0.0, 1.0);
        return;
    }
    vec2 a_px = (in_a * u_scale + u_offset) / u_clip_per_px;
    vec2 b_px = (in_b * u_scale + u_offset) / u_clip_per_px;
    vec2 d = b_px - a_px;
    float len = length(d);
    vec2 dir = len > 1e-6 ? d / len : vec2(1.0, 0.0);
    vec2 right = vec2(dir.y, -dir.x);
    float inner = in_shift_px * u_width_scale - u_grow_px;
    float outer = (in_shift_px + in_width_px) * u_width_scale + u_grow_px;
    float along = mix(-u_grow_px, len + u_grow_px, in_corner.x);
    vec2 p = a_px + dir * along + right * mix(inner, outer, in_corner.y);
    gl_Position = vec4(p * u_clip_per_px, 0.0, 1.0);
    v_color = in_color;
    v_along_px = along;
    v_dashed = in_dashed;
}
"""

_ROAD_FRAGMENT = """
#version 330
uniform int u_solid;
uniform vec4 u_solid_color;
uniform vec4 u_dash_color;
uniform float u_dash_px;
in vec4 v_color;
in float v_along_px;
flat in float v_dashed;
out vec4 out_color;
void main() {
    if (u_solid == 1) {
        out_color = u_solid_color;
    } else if (v_dashed > 0.5 && mod(v_along_px, 2.0 * u_dash_px) < u_dash_px) {
        out_color = u_dash_color;
    } else {
        out_color = v_color;
    }
}
"""


def _normalized(rgba: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    return (rgba[0] / 255, rgba[1] / 255, rgba[2] / 255, rgba[3] / 255)


class MapView:
    """GPU resources for one city; draw() paints it through a Viewport."""

    def __init__(self, ctx: ArcadeContext, city: City) -> None:
        self.ctx = ctx
        self.city = city
        self._selected: int | None = None
        self._picked = np.zeros(max(city.n_links, 1), dtype=np.float32)
        self._dashed = np.zeros(city.n_links, dtype=np.float32)
        # Bumped by every change to what the map shows; the cached picture is redrawn
        # only when it or the view moved on.
        self._version = 0
        self._drawn: tuple[object, ...] | None = None
        self._msaa_fbo: Framebuffer | None = None
        self._plain_fbo: Framebuffer | None = None
        self._samples = min(4, int(ctx.info.MAX_SAMPLES))

        self._land_program = ctx.program(vertex_shader=_LAND_VERTEX, fragment_shader=_LAND_FRAGMENT)
        self._road_program = ctx.program(vertex_shader=_ROAD_VERTEX, fragment_shader=_ROAD_FRAGMENT)

        land = np.ascontiguousarray(palette.land_use_rgba(city))
        self._land_rgba = land
        self.overlay: str | None = None
        height, width = land.shape[:2]
        self._land_texture = ctx.texture(
            (width, height), components=4, data=land.tobytes(), filter=(ctx.NEAREST, ctx.NEAREST)
        )
        e = city.grid_extent()
        quad = np.array(
            [
                [e.left, e.bottom, 0, 0], [e.right, e.bottom, 1, 0], [e.right, e.top, 1, 1],
                [e.left, e.bottom, 0, 0], [e.right, e.top, 1, 1], [e.left, e.top, 0, 1],
            ],
            dtype=np.float32,
        )
        self._land_quad = ctx.geometry(
            [BufferDescription(ctx.buffer(data=quad.tobytes()), "2f 2f", ["in_pos", "in_uv"])],
            mode=ctx.TRIANGLES,
        )
        screen = np.array(
            [[-1, -1, 0, 0], [1, -1, 1, 0], [1, 1, 1, 1], [-1, -1, 0, 0], [1, 1, 1, 1], [-1, 1, 0, 1]],
            dtype=np.float32,
        )
        self._screen_quad = ctx.geometry(
            [BufferDescription(ctx.buffer(data=screen.tobytes()), "2f 2f", ["in_pos", "in_uv"])],
            mode=ctx.TRIANGLES,
        )

        self.width_px = palette.link_width_px(city)
        # A one-way link is centred on its nodes; each direction of a two-way street
        # takes the right-hand side of the shared centre line.
        self.shift_px = np.where(city.twin >= 0, TWIN_GAP_PX, -self.width_px / 2).astype(np.float32)
        links = np.empty((city.n_links, 6), dtype=np.float32)
        links[:, 0], links[:, 1] = city.ax, city.ay
        links[:, 2], links[:, 3] = city.bx, city.by
        links[:, 4], links[:, 5] = self.width_px, self.shift_px
        corners = np.array([[0, 0], [1, 0], [1, 1], [0, 0], [1, 1], [0, 1]], dtype=np.float32)
        n = max(city.n_links, 1)
        self._color_buffer = ctx.buffer(reserve=4 * n, usage="dynamic")
        self._style_buffer = ctx.buffer(reserve=8 * n, usage="dynamic")
        self._roads = ctx.geometry(
            [
                BufferDescription(ctx.buffer(data=corners.tobytes()), "2f", ["in_corner"]),
                BufferDescription(
                    ctx.buffer(data=links.tobytes() if city.n_links else bytes(24)),
                    "2f 2f 1f 1f",
                    ["in_a", "in_b", "in_width_px", "in_shift_px"],
                    instanced=True,
                ),
                BufferDescription(self._color_buffer, "4f1", ["in_color"], normalized=["in_color"], instanced=True),
                BufferDescription(self._style_buffer, "1f 1f", ["in_dashed", "in_picked"], instanced=True),
            ],
            mode=ctx.TRIANGLES,
        )
        self.refresh_links()

    @property
    def selected(self) -> int | None:
        return self._selected

    @selected.setter
    def selected(self, link: int | None) -> None:
        if link != self._selected:
            self._selected = link
            self._version += 1

    @property
    def picked(self) -> list[int]:
        return [int(i) for i in np.flatnonzero(self._picked[: self.city.n_links])]

    @picked.setter
    def picked(self, links: list[int]) -> None:
        """The roads of the player's draft, each drawn with a halo."""
        flags = np.zeros_like(self._picked)
        ids = np.asarray([i for i in links if 0 <= i < self.city.n_links], dtype=np.int64)
        flags[ids] = 1.0
        if not np.array_equal(flags, self._picked):
            self._picked = flags
            self._write_styles()
            self._version += 1

    def show_delta(self, name: str, change: np.ndarray) -> None:
        """Paint a preview's change of a layer (float32[H, W], after - before) over the land
        use, better and worse in a diverging palette."""
        self.overlay = name
        self._land_texture.write(np.ascontiguousarray(overlays.delta_rgba(change, name, self._land_rgba)).tobytes())
        self._version += 1

    def show_overlay(self, name: str | None) -> None:
        """Paint a grid layer over the land use (None: land use alone); call it again when
        the layer changes."""
        self.overlay = name if name is None or name in self.city.layer_q else None
        if self.overlay is None:
            rgba = self._land_rgba
        else:
            rgba = overlays.overlay_rgba(self.city.layer_values(self.overlay), self.overlay, self._land_rgba)
        self._land_texture.write(np.ascontiguousarray(rgba).tobytes())
        self._version += 1

    def refresh_links(self, rgba: np.ndarray | None = None, dashed: np.ndarray | None = None) -> None:
        """Rewrite the per-link colours and styles: from the city's traffic (after a delta),
        or as given (uint8[L, 4] fills, bool[L] drawn closed), as a preview shows them."""
        self._version += 1
        if self.city.n_links == 0:
            return
        fills = palette.link_rgba(self.city) if rgba is None else rgba
        self._dashed = (self.city.closed if dashed is None else dashed).astype(np.float32)
        self._color_buffer.write(np.ascontiguousarray(fills, dtype=np.uint8).tobytes())
        self._write_styles()

    def _write_styles(self) -> None:
        if self.city.n_links == 0:
            return
        styles = np.stack([self._dashed, self._picked[: self.city.n_links]], axis=1).astype(np.float32)
        self._style_buffer.write(np.ascontiguousarray(styles).tobytes())

    # -- geometry in pixels ------------------------------------------------------------

    @staticmethod
    def width_scale(viewport: Viewport) -> float:
        """Roads thicken a little as one zooms in, up to three times."""
        return float(min(max(viewport.zoom, 1.0) ** 0.5, 3.0))

    def band_center_offset_px(self, viewport: Viewport) -> np.ndarray:
        """float32[L]: how far right of its centre line each link's band is centred."""
        return (self.shift_px + self.width_px / 2) * self.width_scale(viewport)

    def link_anchor_px(self, link: int, viewport: Viewport) -> tuple[float, float]:
        """Screen point in the middle of a link's drawn band (where a click selects it)."""
        c = self.city
        x, y = viewport.to_screen(*c.midpoint(link))
        dx, dy = c.bx[link] - c.ax[link], c.by[link] - c.ay[link]
        norm = float(np.hypot(dx, dy)) or 1.0
        off = float(self.band_center_offset_px(viewport)[link])
        return x + dy / norm * off, y - dx / norm * off

    def pick(self, x_px: float, y_px: float, viewport: Viewport, tolerance_px: float = 6.0) -> int | None:
        """The link drawn under (or within tolerance_px of) a screen point."""
        x_m, y_m = viewport.to_world(x_px, y_px)
        offset_m = self.band_center_offset_px(viewport) / viewport.px_per_m
        half_width = float(self.width_px.max(initial=0.0)) * self.width_scale(viewport) / 2
        return self.city.nearest_link(
            x_m, y_m, (half_width + tolerance_px) / viewport.px_per_m, right_offset_m=offset_m
        )

    # -- drawing ---------------------------------------------------------------------

    def draw(self, viewport: Viewport, framebuffer_size: tuple[int, int]) -> None:
        """Paint the map over the whole window, re-rendering it only if something changed.

        At 20,000 links a software renderer needs tens of milliseconds for the roads, so
        the finished map is kept in an offscreen texture and each frame only copies it.
        """
        key = (self._version, viewport.clip_transform(), viewport.window_size, framebuffer_size)
        if key != self._drawn or self._plain_fbo is None:
            self._render_offscreen(viewport, framebuffer_size)
            self._drawn = key
        assert self._plain_fbo is not None
        self._land_program["u_scale"] = (1.0, 1.0)
        self._land_program["u_offset"] = (0.0, 0.0)
        self._plain_fbo.color_attachments[0].use(0)
        self._land_program["u_land"] = 0
        self._screen_quad.render(self._land_program)

    def _render_offscreen(self, viewport: Viewport, size: tuple[int, int]) -> None:
        if self._plain_fbo is None or self._plain_fbo.size != size:
            ctx = self.ctx
            self._plain_fbo = ctx.framebuffer(color_attachments=[ctx.texture(size, components=4)])
            # Multisampling keeps the road edges smooth, as on the window's own buffer.
            self._msaa_fbo = (
                ctx.framebuffer(color_attachments=[ctx.texture(size, components=4, samples=self._samples)])
                if self._samples > 1
                else None
            )
        target = self._msaa_fbo or self._plain_fbo
        with target.activate():
            target.clear(color=palette.BACKGROUND)
            self._render(viewport)
        if self._msaa_fbo is not None:
            active = self.ctx.active_framebuffer
            self.ctx.copy_framebuffer(self._msaa_fbo, self._plain_fbo, depth=False)
            # The copy leaves GL's read and draw bindings on the two offscreen buffers
            # behind arcade's back: bind the window's again, or drawing and reading the
            # screen would go to the wrong place.
            active.use(force=True)

    def _render(self, viewport: Viewport) -> None:
        scale, offset = viewport.clip_transform()
        self._land_program["u_scale"] = scale
        self._land_program["u_offset"] = offset
        self._land_texture.use(0)
        self._land_program["u_land"] = 0
        self._land_quad.render(self._land_program)
        if self.city.n_links == 0:
            return

        w, h = viewport.window_size
        prog = self._road_program
        prog["u_scale"] = scale
        prog["u_offset"] = offset
        prog["u_clip_per_px"] = (2.0 / w, 2.0 / h)
        prog["u_width_scale"] = self.width_scale(viewport)
        prog["u_dash_color"] = _normalized(palette.CLOSED_DASH_COLOR)
        prog["u_dash_px"] = DASH_PX
        n = self.city.n_links

        # Dark casing under every road first, then the fills, then the selection on top.
        prog["u_only"] = -1
        prog["u_solid"] = 1
        prog["u_solid_color"] = _normalized(palette.CASING_COLOR)
        prog["u_grow_px"] = CASING_PX
        self._roads.render(prog, instances=n)

        prog["u_solid"] = 0
        prog["u_grow_px"] = 0.0
        self._roads.render(prog, instances=n)

        if self._picked.any():
            prog["u_only"] = -2
            prog["u_solid"] = 1
            prog["u_solid_color"] = _normalized(palette.SELECTION_COLOR)
            prog["u_grow_px"] = SELECTION_HALO_PX
            self._roads.render(prog, instances=n)
            prog["u_solid"] = 0
            prog["u_grow_px"] = 0.0
            self._roads.render(prog, instances=n)
