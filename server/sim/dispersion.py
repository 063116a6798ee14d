"""Kernels of the air-quality grid: road emissions onto cells, and their transport.

The transport solves, on a regular grid of square cells of side dx,

    dC/dt + u . grad C = K lap C - lambda C + s

with a uniform wind u = (ux, uy), eddy diffusivity K, loss rate lambda and a volume source
s (concentration per second). It is a finite-volume scheme, so what leaves one cell through
a face enters its neighbour: the sum of C over a closed (periodic) box changes only by the
source and the loss, to round-off. Advection takes the upwind MUSCL face value with van
Leer's limiter (second order where the field is smooth, no new extrema at peaks): a
first-order upwind flux would add a numerical diffusivity |u| dx / 2, of the order of K
itself on a town's grid. Diffusion is the explicit 5-point flux. Both advance together by
forward Euler sub-steps, which keeps the steady state (what the map shows once an hour's
wind has blown through the town) independent of the step: a Lax-Wendroff-type flux would
add u^2 dt / 2 to K there. The limited scheme stays positive for
2 (|ux| + |uy|) dt/dx + 4 K dt/dx^2 + lambda dt <= 1, which `substeps` meets and which keeps
|u| dt/dx <= 1/2 and K dt/dx^2 <= 1/4.

Open boundaries: air comes in at the background (a zero increment, so the faces on the
upwind side carry nothing in and let the increment diffuse out), and leaves freely on the
downwind side (zero gradient: it takes what it carries, no diffusion across).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

GHOST = 2  # the limiter reads two cells upwind of a face


def substeps(duration_s: float, ux_m_s: float, uy_m_s: float, k_m2_s: float, loss_per_s: float,
             dx_m: float) -> tuple[int, float]:
    """The number of sub-steps and their length (s) to cover `duration_s` stably."""
    rate = 2.0 * (abs(ux_m_s) + abs(uy_m_s)) / dx_m + 4.0 * k_m2_s / (dx_m * dx_m) + loss_per_s
    n = max(1, math.ceil(duration_s * rate))
    return n, duration_s / n


@njit(cache=True, nogil=True)
def rasterise(ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray, mass: np.ndarray,
              origin_x_m: float, origin_y_m: float, cell_m: float, height: int, width: int) -> np.ndarray:
    """Spread each segment's mass along the cells it crosses, in proportion to its length in each.

    Segments from (ax, ay) to (bx, by), metres, float64[L]; mass float64[S, L] (any unit per
    segment, S species). Returns float64[S, height, width] in the same unit per cell; row 0
    is the south edge. Parts of a segment outside the grid go to the nearest edge cell, so
    every species' total over the cells is its total over the segments.
    """
    n_species = mass.shape[0]
    out = np.zeros((n_species, height, width))
    for k in range(ax.shape[0]):
        gx, gy = (ax[k] - origin_x_m) / cell_m, (ay[k] - origin_y_m) / cell_m
        dx, dy = (bx[k] - ax[k]) / cell_m, (by[k] - ay[k]) / cell_m
        c, r = math.floor(gx), math.floor(gy)
        # Amanatides & Woo's walk: t runs from 0 to 1 along the segment; the next vertical
        # and horizontal cell edges are crossed at t_x and t_y.
        step_c = 1 if dx > 0.0 else -1
        step_r = 1 if dy > 0.0 else -1
        t_x = ((c + (1 if dx > 0.0 else 0)) - gx) / dx if dx != 0.0 else math.inf
        t_y = ((r + (1 if dy > 0.0 else 0)) - gy) / dy if dy != 0.0 else math.inf
        dt_x = abs(1.0 / dx) if dx != 0.0 else math.inf
        dt_y = abs(1.0 / dy) if dy != 0.0 else math.inf
        t = 0.0
        while t < 1.0:
            t_next = min(t_x, t_y, 1.0)
            rr = min(max(r, 0), height - 1)
            cc = min(max(c, 0), width - 1)
            for s in range(n_species):
                out[s, rr, cc] += mass[s, k] * (t_next - t)
            t = t_next
            if t_x <= t_y:
                c += step_c
                t_x += dt_x
            else:
                r += step_r
                t_y += dt_y
    return out


@njit(cache=True, nogil=True, inline="always")
def _flux(a2: float, a1: float, b1: float, vel: float, k_dx: float) -> float:
    """Flux from a1 to b1 through their face, for vel >= 0 (a2 is upwind of a1): vel times
    the MUSCL face value a1 + phi(r) (b1 - a1) / 2 with van Leer's phi, r = (a1 - a2) /
    (b1 - a1), minus K dC/dx. phi(r) (b1 - a1) / 2 is written as ab / (a + b) for upwind and
    downwind steps of one sign (else 0) so that nothing divides by a zero step."""
    up, down = a1 - a2, b1 - a1
    half_slope = 0.5 * (up * abs(down) + abs(up) * down) / max(abs(up) + abs(down), 1e-300)
    return vel * (a1 + half_slope) - k_dx * down


@njit(cache=True, nogil=True)
def _faces_along(row: np.ndarray, out: np.ndarray, nx: int, vel: float, k_dx: float) -> None:
    """The nx + 1 west-east face fluxes of a padded row (out[c]: west face of cell c)."""
    if vel >= 0.0:
        for c in range(nx + 1):
            out[c] = _flux(row[c], row[c + 1], row[c + 2], vel, k_dx)
    else:
        for c in range(nx + 1):
            out[c] = -_flux(row[c + 3], row[c + 2], row[c + 1], -vel, k_dx)


@njit(cache=True, nogil=True)
def _faces_across(r0: np.ndarray, r1: np.ndarray, r2: np.ndarray, r3: np.ndarray, out: np.ndarray, nx: int,
                  vel: float, k_dx: float) -> None:
    """The nx south-north fluxes through the faces between padded rows r1 and r2."""
    g = GHOST
    if vel >= 0.0:
        for c in range(nx):
            out[c] = _flux(r0[c + g], r1[c + g], r2[c + g], vel, k_dx)
    else:
        for c in range(nx):
            out[c] = -_flux(r3[c + g], r2[c + g], r1[c + g], -vel, k_dx)


@njit(cache=True, nogil=True)
def _fill_ghosts(p: np.ndarray, ny: int, nx: int, ux: float, uy: float, periodic: bool) -> None:
    g = GHOST
    for s in range(p.shape[0]):
        for r in range(g, ny + g):
            for j in range(g):
                if periodic:
                    p[s, r, j] = p[s, r, nx + j]
                    p[s, r, nx + g + j] = p[s, r, g + j]
                else:
                    p[s, r, j] = 0.0 if ux > 0.0 else p[s, r, g]
                    p[s, r, nx + g + j] = 0.0 if ux < 0.0 else p[s, r, nx + g - 1]
        for j in range(g):
            for c in range(g, nx + g):
                if periodic:
                    p[s, j, c] = p[s, ny + j, c]
                    p[s, ny + g + j, c] = p[s, g + j, c]
                else:
                    p[s, j, c] = 0.0 if uy > 0.0 else p[s, g, c]
                    p[s, ny + g + j, c] = 0.0 if uy < 0.0 else p[s, ny + g - 1, c]


@njit(cache=True, nogil=True)
def _substep(p: np.ndarray, q: np.ndarray, source: np.ndarray, loss_per_s: np.ndarray, ux: float, uy: float,
             k_m2_s: float, dx_m: float, dt_s: float, west: np.ndarray, south: np.ndarray,
             north: np.ndarray) -> None:
    """One explicit step from the padded field p into the interior of q (same shape).

    Each face's flux is computed once, into a row buffer, and used by both its cells (the
    north faces of a row are the south faces of the row above), so what one cell loses its
    neighbour gains, bit for bit. The face loops run over contiguous rows, which the
    compiler vectorises.
    """
    g = GHOST
    n_species, ny, nx = source.shape
    k_dx = k_m2_s / dx_m
    dt_dx = dt_s / dx_m
    for s in range(n_species):
        ps, qs = p[s], q[s]
        keep = 1.0 - loss_per_s[s] * dt_s
        _faces_across(ps[0], ps[1], ps[2], ps[3], south, nx, uy, k_dx)
        for r in range(g, ny + g):
            _faces_along(ps[r], west, nx, ux, k_dx)
            _faces_across(ps[r - 1], ps[r], ps[r + 1], ps[r + 2], north, nx, uy, k_dx)
            here, there, added = ps[r], qs[r], source[s, r - g]
            for c in range(nx):
                there[c + g] = (keep * here[c + g] + dt_dx * (west[c] - west[c + 1] + south[c] - north[c])
                                + dt_s * added[c])
            south, north = north, south


@njit(cache=True, nogil=True)
def advance(conc: np.ndarray, source: np.ndarray, loss_per_s: np.ndarray, ux_m_s: float, uy_m_s: float,
            k_m2_s: float, dx_m: float, dt_s: float, n_steps: int, periodic: bool) -> np.ndarray:
    """The field after n_steps sub-steps of dt_s seconds.

    conc float64[S, ny, nx] (concentration, e.g. ug/m3; row 0 south, x east), source
    float64[S, ny, nx] (concentration per second), loss_per_s float64[S]; wind components
    towards east and north in m/s, K in m2/s, cell side dx in m. `periodic` wraps the
    edges (a closed box for testing); otherwise the boundaries are open (module docstring).
    The caller chooses dt_s within the stability limit (see `substeps`).
    """
    n_species, ny, nx = conc.shape
    g = GHOST
    p = np.zeros((n_species, ny + 2 * g, nx + 2 * g))
    q = np.zeros_like(p)
    west, south, north = np.zeros(nx + 1), np.zeros(nx), np.zeros(nx)
    p[:, g:ny + g, g:nx + g] = conc
    for _ in range(n_steps):
        _fill_ghosts(p, ny, nx, ux_m_s, uy_m_s, periodic)
        _substep(p, q, source, loss_per_s, ux_m_s, uy_m_s, k_m2_s, dx_m, dt_s, west, south, north)
        p, q = q, p
    return p[:, g:ny + g, g:nx + g].copy()
