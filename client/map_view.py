"""The map on the GPU: land use as one texture, roads as one instanced vertex buffer.

Sizes grow with the city (a 512x512 grid, 20,000 links), so nothing here makes one
object per cell or per link: the land-use texture is written from numpy (a tick rewrites
only the rows its layer changed, by one table lookup a cell), each link is one instance of
a six-vertex quad whose geometry never changes, and a delta rewrites only the changed
links' span of the colour and style buffers. The vertex shader widens each link in screen
pixels (so roads keep their width at any zoom) and shifts it to the right of its direction
of travel, so both directions of a two-way street show.

A software renderer needs tens of milliseconds to draw 20,000 roads, so the finished map
is a picture kept on the GPU, larger than the window by a margin (drawn once the view
rests after a zoom, or when a drag starts): a pan copies it shifted by whole pixels, and
the roads are drawn again only when the server changes something, the zoom changes, or a
pan reaches the margin's edge.
"""

from __future__ import annotations

import time

import numpy as np
from arcade.context import ArcadeContext
from arcade.gl import BufferDescription, Framebuffer

from agora.client import map_shaders, overlays, palette
from agora.client.city import City
from agora.client.viewport import Viewport

# Pixels between the centre line of a two-way street and each direction's band.
TWIN_GAP_PX = 0.75
CASING_PX = 1.0
SELECTION_HALO_PX = 3.5
DASH_PX = 7.0
# How far the map can be dragged before its roads are drawn again, as a share of the
# window on each side (a larger picture takes longer to draw).
PAN_MARGIN = 0.25
# A picture drawn without a margin (while zooming) gets one once the view rests this long.
IDLE_S = 0.25

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
        self._picture: _Picture | None = None
        self._msaa_fbo: Framebuffer | None = None
        self._plain_fbo: Framebuffer | None = None
        self._samples = min(4, int(ctx.info.MAX_SAMPLES))

        self._land_program = ctx.program(vertex_shader=map_shaders.LAND_VERTEX, fragment_shader=map_shaders.LAND_FRAGMENT)
        self._road_program = ctx.program(vertex_shader=map_shaders.ROAD_VERTEX, fragment_shader=map_shaders.ROAD_FRAGMENT)
        self._picture_program = ctx.program(vertex_shader=map_shaders.PICTURE_VERTEX,
                                            fragment_shader=map_shaders.PICTURE_FRAGMENT)

        self._land_lut = palette.land_use_lut(city)
        land = np.ascontiguousarray(self._land_lut[city.land_use])
        self._land_rgba = land
        self.overlay: str | None = None
        # What the texture holds (packed RGBA a cell), and the layer's q it was painted
        # from, so that a tick repaints only the rows whose q changed.
        self._shown = land.view(np.uint32).reshape(land.shape[:2]).copy()
        self._shown_q: np.ndarray | None = None
        self._shown_key: tuple[str, float, float] | None = None
        self._luts: dict[tuple[str, float, float], np.ndarray] = {}
        self._lut_rows = city.land_use.astype(np.int32) << 8  # each cell's row in a layer's table
        self._fills = np.zeros((city.n_links, 4), dtype=np.uint8)
        self._traffic_shown = False  # the fills are the traffic's, so a delta can patch them
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
    def version(self) -> int:
        """Bumped by every change to what the map shows."""
        return self._version

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
            self._write_styles(0, self.city.n_links)
            self._version += 1

    def show_delta(self, name: str, change: np.ndarray) -> None:
        """Paint a preview's change of a layer (float32[H, W], after - before) over the land
        use, better and worse in a diverging palette."""
        self.overlay = name
        self._write_grid(np.ascontiguousarray(overlays.delta_rgba(change, name, self._land_rgba)).view(np.uint32))
        self._version += 1

    def show_overlay(self, name: str | None) -> None:
        """Paint a grid layer over the land use (None: land use alone); call it again when
        the layer changes."""
        self.overlay = name if name is None or name in self.city.layer_q else None
        if self.overlay is None:
            self._write_grid(self._land_rgba.view(np.uint32).reshape(self._shown.shape))
            self._version += 1
            return
        info, q = self.city.layer_info[self.overlay], self.city.layer_q[self.overlay]
        key = (self.overlay, info.offset, info.step)
        lut = self._luts.get(key)
        if lut is None:
            steps = info.values(np.arange(256, dtype=np.uint8))
            lut = self._luts[key] = overlays.overlay_lut(steps, self.overlay, self._land_lut)
        if self._shown_key == key and self._shown_q is not None:
            rows = np.flatnonzero((q != self._shown_q).any(axis=1))
            if rows.size == 0:
                return
            r0, r1 = int(rows[0]), int(rows[-1]) + 1
            self._shown[r0:r1] = lut[self._lut_rows[r0:r1] | q[r0:r1]]
            self._land_texture.write(self._shown[r0:r1].data, viewport=(0, r0, q.shape[1], r1 - r0))
        else:
            self._write_grid(lut[self._lut_rows | q])
        self._shown_q, self._shown_key = q.copy(), key
        self._version += 1

    def _write_grid(self, packed: np.ndarray) -> None:
        """The whole texture, as packed RGBA (uint32[H, W])."""
        self._shown = np.ascontiguousarray(packed.reshape(self._shown.shape))
        self._shown_q = self._shown_key = None
        self._land_texture.write(self._shown.data)

    def refresh_links(
        self, rgba: np.ndarray | None = None, dashed: np.ndarray | None = None, changed: np.ndarray | None = None
    ) -> None:
        """Rewrite the per-link colours and styles: from the city's traffic (after a delta,
        only the `changed` link ids when given), or as given (uint8[L, 4] fills, bool[L]
        drawn closed), as a preview shows them."""
        n = self.city.n_links
        if n == 0:
            self._version += 1
            return
        if rgba is None and dashed is None and changed is not None and self._traffic_shown:
            if changed.size == 0:
                return
            self._fills[changed] = palette.link_rgba(self.city, changed)
            self._dashed[changed] = self.city.closed[changed]
            lo, hi = int(changed.min()), int(changed.max()) + 1
        else:
            self._fills = np.ascontiguousarray(palette.link_rgba(self.city) if rgba is None else rgba, dtype=np.uint8)
            self._dashed = (self.city.closed if dashed is None else dashed).astype(np.float32)
            self._traffic_shown = rgba is None and dashed is None
            lo, hi = 0, n
        self._color_buffer.write(self._fills[lo:hi].tobytes(), offset=4 * lo)
        self._write_styles(lo, hi)
        self._version += 1

    def _write_styles(self, lo: int, hi: int) -> None:
        """The dashed and picked flags of links lo..hi-1 into the style buffer."""
        if self.city.n_links == 0:
            return
        styles = np.stack([self._dashed[lo:hi], self._picked[lo:hi]], axis=1).astype(np.float32)
        self._style_buffer.write(styles.tobytes(), offset=8 * lo)

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

    def draw(self, viewport: Viewport, framebuffer_size: tuple[int, int], now: float | None = None) -> None:
        """Paint the map over the whole window from the cached picture, drawing the picture
        again only if what it shows changed or the view left it."""
        now = time.monotonic() if now is None else now
        pic = self._picture
        scene = (viewport.px_per_m, viewport.window_size, framebuffer_size, viewport.area)
        shift: tuple[float, float] | None = None
        if pic is not None and pic.version == self._version and pic.scene == scene:
            shift = pic.shift_px(viewport)
            if shift is not None and pic.margin_px == (0, 0) and now - pic.drawn_at >= IDLE_S:
                shift = None  # idle: draw the margin now, so that the next drag starts smoothly
        if shift is None:
            # Dragging or idle (the scale and window as the picture's): draw with a margin
            # to pan over; otherwise the window's size, which draws fastest while zooming.
            panning = pic is not None and pic.scene == scene and (pic.version == self._version or pic.margin_px[0] > 0)
            w, h = viewport.window_size
            margin = (round(w * PAN_MARGIN), round(h * PAN_MARGIN)) if panning else (0, 0)
            pic = self._picture = _Picture(self._version, scene, viewport.center_m, margin, now)
            self._render_offscreen(viewport, framebuffer_size, margin)
            shift = (0.0, 0.0)
        assert self._plain_fbo is not None
        ratio = framebuffer_size[0] / max(viewport.window_size[0], 1)
        mx, my = self._max_margin(viewport)
        prog = self._picture_program
        prog["u_shift"] = (round((mx + shift[0]) * ratio), round((my + shift[1]) * ratio))
        self._plain_fbo.color_attachments[0].use(0)
        prog["u_picture"] = 0
        # Only the map's area: the bars and the side panel cover the rest, and a software
        # renderer pays for every pixel copied.
        window = self.ctx.active_framebuffer
        a = viewport.area
        window.scissor = (int(a.left), int(a.bottom), int(round(a.width)), int(round(a.height)))  # scaled by arcade
        self._screen_quad.render(prog)
        window.scissor = None

    @staticmethod
    def _max_margin(viewport: Viewport) -> tuple[int, int]:
        w, h = viewport.window_size
        return round(w * PAN_MARGIN), round(h * PAN_MARGIN)

    def _render_offscreen(self, viewport: Viewport, size: tuple[int, int], margin: tuple[int, int]) -> None:
        """Draw the map into the offscreen picture, which has room for the largest margin;
        a smaller margin draws only the middle of it."""
        ratio = size[0] / max(viewport.window_size[0], 1)
        mx, my = self._max_margin(viewport)
        full = (round(size[0] + 2 * mx * ratio), round(size[1] + 2 * my * ratio))
        if self._plain_fbo is None or self._plain_fbo.size != full:
            ctx = self.ctx
            self._plain_fbo = ctx.framebuffer(color_attachments=[ctx.texture(full, components=4)])
            # Multisampling keeps the road edges smooth.
            self._msaa_fbo = (
                ctx.framebuffer(color_attachments=[ctx.texture(full, components=4, samples=self._samples)])
                if self._samples > 1
                else None
            )
        target = self._msaa_fbo or self._plain_fbo
        inset = (round((mx - margin[0]) * ratio), round((my - margin[1]) * ratio))
        area = (inset[0], inset[1], full[0] - 2 * inset[0], full[1] - 2 * inset[1])
        # Only the map's area (and the margin to pan it over) is cleared, drawn and resolved:
        # the copy to the window never reads the rest, under the bars and the side panel.
        a = viewport.area
        seen = (round((a.left + mx - margin[0]) * ratio), round((a.bottom + my - margin[1]) * ratio),
                round((a.width + 2 * margin[0]) * ratio), round((a.height + 2 * margin[1]) * ratio))
        with target.activate():
            target.viewport = area
            target.clear(color=palette.BACKGROUND, viewport=seen)
            target.scissor = seen
            self._render(viewport, margin)
            target.scissor = None
            target.viewport = (0, 0, *full)
        if self._msaa_fbo is not None:
            active = self.ctx.active_framebuffer
            # A blit is clipped by the scissor box, which is the bound framebuffer's: bind
            # the picture's, with its box on the part drawn.
            with self._plain_fbo.activate() as plain:
                plain.scissor = seen
                self.ctx.copy_framebuffer(self._msaa_fbo, plain, depth=False)
                plain.scissor = None
            # The copy leaves GL's read and draw bindings on the two offscreen buffers
            # behind arcade's back: bind the window's again, or drawing and reading the
            # screen would go to the wrong place.
            active.use(force=True)

    def _render(self, viewport: Viewport, margin: tuple[int, int]) -> None:
        scale, offset = viewport.clip_transform(margin)
        self._land_program["u_scale"] = scale
        self._land_program["u_offset"] = offset
        self._land_texture.use(0)
        self._land_program["u_land"] = 0
        self._land_quad.render(self._land_program)
        if self.city.n_links == 0:
            return

        w, h = viewport.window_size[0] + 2 * margin[0], viewport.window_size[1] + 2 * margin[1]
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


class _Picture:
    """What the offscreen picture shows: the map's version, the scale and window sizes, the
    view's centre, the margin (pixels each side) drawn around the window, and when."""

    def __init__(self, version: int, scene: tuple[object, ...], center_m: tuple[float, float],
                 margin_px: tuple[int, int], drawn_at: float) -> None:
        self.version = version
        self.scene = scene
        self.center_m = center_m
        self.margin_px = margin_px
        self.drawn_at = drawn_at

    def shift_px(self, viewport: Viewport) -> tuple[float, float] | None:
        """How far the view moved from the picture's, in pixels; None if past the margin."""
        s = viewport.px_per_m
        dx = (viewport.center_m[0] - self.center_m[0]) * s
        dy = (viewport.center_m[1] - self.center_m[1]) * s
        mx, my = self.margin_px
        return (dx, dy) if abs(dx) <= mx and abs(dy) <= my else None
