"""The client's trend without a window: what a History brings, what Deltas add, the bound,
the series with gaps, the simulated clock of a tick, and the marks of adoptions."""

from __future__ import annotations

import msgspec
import numpy as np
import towns

from agora.client.trends import Marker, Trends, markers
from agora.server import protocol as p


def indicators(tick: int, co2: float = 600.0) -> p.Indicators:
    return p.Indicators(vehicle_hours=float(tick), vehicle_km=1.0, mean_trip_min=10.0, car_trips=1.0,
                        unserved_trips=0.0, relative_gap=0.0, clock_hour=7.0 + tick / 60.0, co2_kg_h=co2,
                        mode_share=[0.6, 0.1, 0.1, 0.2], impacts={"access_walk_all": 0.5, "species_population": 3.0})


def test_deltas_extend_the_history_up_to_the_bound_and_a_tick_told_again_replaces_the_rest() -> None:
    trends = Trends(keep=5)
    trends.take(p.History.of([p.reading(t, indicators(t)) for t in range(10, 13)]))
    for t in range(13, 17):
        trends.add(t, indicators(t))
    assert [t for t, _, _ in trends.readings] == [12, 13, 14, 15, 16]
    version = trends.version
    trends.add(14, indicators(14))  # a resumed server goes back a little
    assert [t for t, _, _ in trends.readings] == [12, 13, 14] and trends.version == version + 1
    # Only the headline indicators, in reading order.
    assert trends.names() == ["vehicle_hours", "co2_kg_h", "mode_share_car", "mean_trip_min", "access_walk_all"]


def test_a_series_skips_the_ticks_without_its_value() -> None:
    trends = Trends()
    trends.add(1, indicators(1, co2=0.0))  # no emissions module yet: no CO2 reading
    trends.add(2, indicators(2))
    trends.add(3, indicators(3))
    ticks, values = trends.series("co2_kg_h")
    assert ticks.tolist() == [2, 3] and values.tolist() == [600.0, 600.0]
    assert trends.series("vehicle_hours")[1].tolist() == [1.0, 2.0, 3.0]
    # The wire keeps the gap: NaN in the column, no value after decoding.
    history = msgspec.msgpack.decode(p.msgpack_encoder.encode(p.History.of(trends.readings)), type=p.History)
    assert np.isnan(history.values["co2_kg_h"].to_numpy()[0])
    assert "co2_kg_h" not in history.readings()[0][2]


def test_the_clock_of_a_tick_comes_from_the_readings_and_their_pace() -> None:
    trends = Trends()
    assert trends.clock_at(5) is None
    trends.take(p.History.of([(t, 23.5 + t / 60.0, {"vehicle_hours": 1.0}) for t in range(0, 20)]))
    assert trends.clock_at(0) == "23:30"
    assert trends.clock_at(19) == "23:49"
    assert trends.clock_at(45) == "00:15"  # past the last reading, at a minute a tick, over midnight
    assert trends.clock_at(-10) == "23:20"


def test_adoptions_and_rollbacks_become_marks_in_tick_order() -> None:
    q = towns.proposal(2, "Bus lane", 5_000, status="rolled_back")
    q = msgspec.structs.replace(q, history=[p.StatusInfo(10, "submitted", "cy"), p.StatusInfo(40, "adopted", "fac"),
                                            p.StatusInfo(70, "rolled_back", "fac")])
    r = msgspec.structs.replace(towns.proposal(1, "Quiet lane", 1_000, status="adopted"),
                                history=[p.StatusInfo(20, "adopted", "fac")])
    assert markers(towns.game(proposals=[q, r])) == [Marker(20, "adopted", 1), Marker(40, "adopted", 2),
                                                     Marker(70, "rolled_back", 2)]
    assert markers(None) == []
