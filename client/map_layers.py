"""What the map paints and what its legends say: the server's grid layers (L cycles them)
over the roads' traffic; or, while a preview shows, the draft's change of one layer (L
cycles those) over each road's change of traffic, with the draft's roads drawn closed.

    layers = MapLayers()
    layers.take_preview(preview, city)     # decode the "<layer>_delta" layers, pick one
    layers.paint(map_view, city, draft)    # after anything that changes what is shown
"""

from __future__ import annotations

import numpy as np

from agora.client import overlays, palette
from agora.client.city import City
from agora.client.drafts import Draft
from agora.client.legends import Bar, delta_bar, flow_change_bar, layer_bar
from agora.client.map_view import MapView
from agora.server import protocol as p


class MapLayers:
    def __init__(self) -> None:
        self.overlay: str | None = None  # the server's layer painted, outside previews
        self.delta: str | None = None  # the preview's delta layer painted ("noise_lden_dba_delta")
        self.deltas: dict[str, tuple[p.Layer, np.ndarray]] = {}  # name -> (layer, change float32[H, W])

    # -- choosing ----------------------------------------------------------------------

    def take_preview(self, preview: p.Preview, city: City) -> None:
        """Decode a preview's delta layers and show the first that changes notably, in
        the order of overlays.DELTA_ORDER (a layer of another size than the grid is skipped)."""
        self.deltas = {}
        for layer in preview.layers:
            if (layer.height, layer.width) != city.land_use.shape or layer.encoding != "planar":
                continue
            self.deltas[layer.name] = (layer, layer.values(layer.quantised()))
        names = self.delta_names()
        notable = [n for n in names if np.any(np.abs(self.deltas[n][1]) >= overlays.delta_scale_of(n).steps[0])]
        if self.delta not in names:
            first = notable or names
            self.delta = first[0] if first else None

    def delta_names(self) -> list[str]:
        order = [base + overlays.DELTA_SUFFIX for base in overlays.DELTA_ORDER]
        known = [n for n in order if n in self.deltas]
        return known + sorted(n for n in self.deltas if n not in order)

    def next(self, city: City, previewing: bool) -> None:
        """L: the next layer (in a preview, the next delta layer); after the last, none."""
        if previewing:
            names: list[str | None] = [None, *self.delta_names()]
            self.delta = names[(names.index(self.delta) + 1) % len(names)] if self.delta in names else None
        else:
            names = [None, *city.layer_q]
            self.overlay = names[(names.index(self.overlay) + 1) % len(names)] if self.overlay in names else None

    # -- painting ----------------------------------------------------------------------

    def paint(self, view: MapView, city: City, draft: Draft) -> None:
        """Roads and grid as the mode says (cheap enough to call on every change of mode)."""
        self.paint_roads(view, city, draft)
        self.paint_grid(view, city, draft)

    def paint_roads(self, view: MapView, city: City, draft: Draft) -> None:
        preview = draft.preview
        if preview is None:
            view.refresh_links()
            return
        links = preview.link.to_numpy().astype(np.int64)
        change = preview.flow_delta_veh_h.to_numpy().astype(np.float64)
        keep = (links >= 0) & (links < city.n_links)
        view.refresh_links(palette.flow_change_rgba(city, links[keep], change[keep]), self.closed_in(city, draft))

    def paint_grid(self, view: MapView, city: City, draft: Draft) -> None:
        if draft.preview is not None:
            if self.delta is not None and self.delta in self.deltas:
                view.show_delta(self.delta, self.deltas[self.delta][1])
            else:
                view.show_overlay(None)
            return
        view.show_overlay(self.overlay)
        self.overlay = view.overlay

    @staticmethod
    def closed_in(city: City, draft: Draft) -> np.ndarray:
        """bool[L]: the roads closed now and those the previewed draft closes (twins too)."""
        closed = city.closed.copy()
        for command in draft.previewed:
            if isinstance(command, p.CloseLink) and 0 <= command.link < city.n_links:
                closed[command.link] = True
                twin = int(city.twin[command.link])
                if twin >= 0:
                    closed[twin] = True
        return closed

    # -- legends -----------------------------------------------------------------------

    def roads_legend(self, draft: Draft) -> Bar | None:
        """The roads' legend, if not the traffic classes."""
        return flow_change_bar() if draft.preview is not None else None

    def grid_legend(self, city: City, draft: Draft) -> Bar | None:
        if draft.preview is not None:
            if self.delta is None or self.delta not in self.deltas:
                return None
            layer = self.deltas[self.delta][0]
            return delta_bar(self.delta, delta_title(layer, city), layer.unit)
        if self.overlay is None or self.overlay not in city.layer_info:
            return None
        info = city.layer_info[self.overlay]
        return layer_bar(self.overlay, info.label, info.unit)


def delta_title(layer: p.Layer, city: City) -> str:
    """"Change in road noise, Lden": from the label of the layer it is the change of, when the
    city holds that layer (the server's own title lowercases acronyms: "nO2")."""
    base = city.layer_info.get(layer.name.removesuffix(overlays.DELTA_SUFFIX))
    if base is None:
        return layer.label
    label = base.label
    first = label.split(" ", 1)[0]
    keep = len(first) > 1 and (first[1].isupper() or first[1].isdigit())
    return f"Change in {label if keep else label[0].lower() + label[1:]}"
