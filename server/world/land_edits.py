"""Land-use interventions as world edits: parks, woods, housing, offices, schools, groceries.

    validate_land(world, BuildHousing(cells=[(40, 52)], residents_per_cell=20))
    apply_land(world, BuildHousing(cells=[(40, 52)], residents_per_cell=20))

A cell that changes use keeps nothing of its old one: a park has no residents or jobs, new
housing has its residents and no jobs. A school or a grocery opens in a built cell and
adds to it. Cells that belonged to no demand zone (fields, woods) join the zone of the
nearest zoned cell, so that new homes and jobs make trips. Water and roads are never
built on.
"""

from __future__ import annotations

import numpy as np

from agora.server import protocol as p
from agora.server.world.types import LandUse
from agora.server.world.world import World

MAX_CELLS = 256  # in one edit
LIMITS = {"residents_per_cell": (1, 200), "jobs_per_cell": (1, 1000), "places": (10, 3000), "retail_jobs": (1, 500),
          "trees_per_cell": (1, 100)}
_BUILT = (LandUse.HOUSING, LandUse.CENTRE, LandUse.INDUSTRY)
_NEVER = (LandUse.WATER, LandUse.ROAD)


def _error(code: str, message: str) -> Exception:
    from agora.server.world.edits import EditError  # edits.py dispatches here: import late

    return EditError(code, message)


def validate_land(world: World, command: p.LandCommand) -> None:
    g = world.grid
    height, width = g.shape
    cells = command.cells
    if not 1 <= len(cells) <= MAX_CELLS:
        raise _error("bad_cells", f"Give 1 to {MAX_CELLS} cells, not {len(cells)}.")
    if len(set(cells)) != len(cells):
        raise _error("bad_cells", "A cell is listed twice.")
    for row, col in cells:
        if not (0 <= row < height and 0 <= col < width):
            raise _error("off_the_map", f"Cell ({row}, {col}) is off the map: rows run 0-{height - 1}, columns 0-{width - 1}.")
        use = LandUse(int(g.land_use[row, col]))
        if use in _NEVER:
            raise _error("cannot_build_here", f"Cell ({row}, {col}) is {use.name.lower()}; nothing is built on {use.name.lower()}.")
        if isinstance(command, (p.AddSchool, p.AddGrocery)) and use not in _BUILT:
            raise _error("not_built_up", f"Cell ({row}, {col}) is {use.name.lower()}; a school or a grocery opens in a built cell.")
    for name, (low, high) in LIMITS.items():
        value = getattr(command, name, None)
        if value is not None and not low <= value <= high:
            raise _error("out_of_range", f"{name.replace('_', ' ')} must be {low} to {high}, not {value}.")


def apply_land(world: World, command: p.LandCommand) -> None:
    g = world.grid
    rows = np.array([c[0] for c in command.cells], dtype=np.int64)
    cols = np.array([c[1] for c in command.cells], dtype=np.int64)
    match command:
        case p.AddSchool(places=places):
            g.school_places[rows, cols] += places
        case p.AddGrocery(retail_jobs=jobs):
            g.shops[rows, cols] += jobs
            g.jobs[rows, cols] += jobs
        case _:
            new_use, residents, jobs = {
                p.MakePark: (LandUse.PARK, 0, 0),
                p.PlantTrees: (LandUse.WOODLAND, 0, 0),
                p.BuildHousing: (LandUse.HOUSING, getattr(command, "residents_per_cell", 0), 0),
                p.BuildOffices: (LandUse.CENTRE, 0, getattr(command, "jobs_per_cell", 0)),
            }[type(command)]
            g.land_use[rows, cols] = new_use
            g.residents[rows, cols] = residents
            g.jobs[rows, cols] = jobs
            for layer in (g.shops, g.school_places, g.health):
                layer[rows, cols] = 0.0
    _zone_new_cells(world, rows, cols)


def _zone_new_cells(world: World, rows: np.ndarray, cols: np.ndarray) -> None:
    """Give cells outside every zone the zone of the nearest zoned cell (ties: lowest row,
    then column), once they hold residents or jobs."""
    g = world.grid
    zr, zc = np.nonzero(g.zone >= 0)
    if zr.size == 0:
        return
    for row, col in zip(rows, cols):
        if g.zone[row, col] >= 0 or (g.residents[row, col] <= 0 and g.jobs[row, col] <= 0):
            continue
        nearest = int(np.argmin((zr - row) ** 2 + (zc - col) ** 2))
        g.zone[row, col] = g.zone[zr[nearest], zc[nearest]]
