"""The draft, the wording of a preview and the delta palette, without a window."""

from __future__ import annotations

import numpy as np
import towns

from agora.client import overlays, palette
from agora.client.city import City
from agora.client.drafts import Draft
from agora.client.indicators import Verdict, changes, describe, personas
from agora.server import protocol as p


def test_clicks_pick_roads_and_shift_clicks_add_or_take_them_out() -> None:
    draft = Draft()
    draft.pick(4, add=False)
    draft.pick(9, add=True)
    draft.pick(12, add=True)
    assert draft.links == [4, 9, 12]
    draft.pick(9, add=True)
    assert draft.links == [4, 12]
    draft.pick(None, add=True)  # a Shift+click beside the roads changes nothing
    assert draft.links == [4, 12]
    draft.pick(7, add=False)
    assert draft.links == [7]
    draft.pick(None, add=False)
    assert draft.links == []


def test_closures_close_each_street_once_and_leave_out_paths_and_closed_roads() -> None:
    world = towns.small_world()
    city = City(towns.welcome(world, towns.flows_at(world, 0.3)).snapshot)
    street, back = towns.link_between(world, 1, 5), towns.link_between(world, 5, 1)
    one_way = towns.link_between(world, 9, 10)
    path = towns.link_between(world, 10, 11)
    closed = towns.link_between(world, 2, 6)
    city.closed[closed] = True
    draft = Draft()
    for link in (street, back, one_way, path, closed):
        draft.pick(link, add=True)
    commands, skipped = draft.closures(city)
    assert commands == [p.CloseLink(link=street), p.CloseLink(link=one_way)]
    assert skipped == [f"road {path} is a foot and bike path", f"road {closed} is closed already"]


def test_only_the_newest_request_is_answered() -> None:
    world = towns.small_world()
    draft = Draft()
    first = draft.ask([p.CloseLink(link=3)])
    second = draft.ask([p.CloseLink(link=5)])
    assert (first.request, second.request, draft.pending) == (1, 2, 2)
    assert not draft.answer(towns.preview(world, 1, (3,), {}))  # overtaken: dropped
    assert not draft.refused(p.Error("bad_draft", "no", request=1))
    assert draft.answer(towns.preview(world, 2, (5,), {}))
    assert draft.showing and draft.previewed == [p.CloseLink(link=5)] and draft.pending is None
    draft.ask([p.CloseLink(link=7)])
    assert draft.refused(p.Error("wrong_phase", "Previews open in the explore phase.", request=3))
    assert draft.pending is None and draft.showing  # the earlier preview stays until Esc
    draft.leave()
    assert not draft.showing


def test_a_preview_reads_as_better_and_worse_with_units() -> None:
    moved, same = changes(towns.preview(towns.small_world(), 1, (3,), {}))
    by_label = {c.label: c for c in moved}
    trip = by_label["Mean car trip"]
    assert (trip.before, trip.after, trip.delta, trip.verdict) == ("12.3", "12.9 min", "+0.6 min", Verdict.WORSE)
    car = by_label["Trips by car"]
    assert (car.before, car.after, car.delta, car.verdict) == ("58.0", "55.0%", "-3.0 pp", Verdict.BETTER)
    noise = by_label["People over 53 dB Lden"]
    assert (noise.before, noise.after, noise.delta, noise.verdict) == ("2,300", "2,100", "-200", Verdict.BETTER)
    assert by_label["NO2 where people live"].after == "15.8 µg/m³"
    # The order is the room's (getting about first); the gap and the needs one by one are not shown.
    assert [c.name for c in moved][:3] == ["mean_trip_min", "vehicle_hours", "vehicle_km"]
    assert not {"relative_gap", "access_walk_grocery"} & {c.name for c in moved + same}
    assert {c.label for c in same} >= {"Car trips", "Habitat quality", "Trips on foot"}
    # A name this client does not know still shows, with no verdict.
    assert describe("lichen_cover_ha", 1.0, 2.0).verdict is Verdict.CHANGED


def test_personas_are_ordered_from_most_helped_to_most_hurt_in_words() -> None:
    scores = personas(towns.preview(towns.small_world(), 1, (3,), {}))
    assert [(s.title, s.words) for s in scores] == [
        ("Resident", "helps a lot"), ("Ecologist", "helps a little"), ("Cyclist", "hardly affected"),
        ("Commuter", "hurts a lot")]


def test_the_delta_palette_reads_better_and_worse_whichever_way_the_layer_runs() -> None:
    change = np.array([-6.0, -4.0, -2.0, -0.5, 0.0, 0.5, 2.0, 4.0, 6.0])
    # Noise: quieter is better (blue, the high classes).
    assert overlays.delta_classes(change, "noise_lden_dba_delta").tolist() == [6, 5, 4, 3, 3, 3, 2, 1, 0]
    # Habitat quality: more is better.
    quality = np.array([-0.2, -0.1, -0.02, -0.005, 0.0, 0.005, 0.02, 0.1, 0.2])
    assert overlays.delta_classes(quality, "habitat_quality_delta").tolist() == [0, 1, 2, 3, 3, 3, 4, 5, 6]
    assert palette.flow_change_class(np.array([400.0, 50.0, 0.0, -150.0])).tolist() == [0, 2, 3, 5]
