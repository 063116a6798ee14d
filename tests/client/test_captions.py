from __future__ import annotations

import msgspec

import numpy as np
import towns

from agora.client import captions, palette
from agora.client.city import City
from agora.client.notices import Kind, Notices
from agora.server import protocol as p


def test_traffic_classes_bin_volume_capacity() -> None:
    vc = np.array([0.0, 0.59, 0.6, 0.84, 0.9, 1.0, 3.0])
    assert palette.traffic_class(vc).tolist() == [0, 0, 1, 1, 2, 3, 3]


def test_link_colours_mark_closed_links_and_paths() -> None:
    world = towns.small_world()
    city = City(towns.welcome(world, towns.flows_at(world, 1.2)).snapshot)
    closed = towns.link_between(world, 1, 2)
    city.closed[closed] = True
    rgba = palette.link_rgba(city)
    assert tuple(rgba[closed]) == palette.CLOSED_COLOR
    assert tuple(rgba[towns.link_between(world, 10, 11)]) == palette.PATH_COLOR
    assert tuple(rgba[towns.link_between(world, 4, 5)]) == palette.TRAFFIC_CLASSES[-1].color


def test_indicator_cards_and_link_summary() -> None:
    world = towns.small_world()
    city = City(towns.welcome(world, towns.flows_at(world, 0.9), tick=42).snapshot)
    assert captions.indicator_cards(city) == [
        ("Time", "08:00"),
        ("Vehicle-hours", "1,234 h"),
        ("Vehicle-km", "45,678 km"),
        ("Mean car trip", "12.3 min"),
        ("Tick", "42"),
    ]
    shared = City(msgspec.structs.replace(
        towns.welcome(world, towns.flows_at(world, 0.9), tick=42).snapshot,
        indicators=msgspec.structs.replace(city.indicators, clock_hour=7.5, mode_share=[0.574, 0.1, 0.11, 0.216],
                                           co2_kg_h=1234.4),
    ))
    cards = captions.indicator_cards(shared)
    assert cards[:2] == [("Time", "07:30"), ("Car share", "57%")]
    assert ("CO2", "1,234 kg/h") in cards
    link = towns.link_between(world, 4, 5)
    head, load, hint = captions.link_summary(city, link)
    assert head == f"Road {link}: arterial, 2 lanes, one direction of a two-way street"
    assert load == "Flow 1,620 of 1,800 veh/h capacity: v/c 0.90, near capacity."
    assert hint == "P  preview closing it  ·  Shift+click  more roads"
    city.closed[link] = True
    assert "C to reopen" in captions.link_summary(city, link)[2]


def test_feedback_sentences() -> None:
    assert captions.event_text(p.Event(tick=3, player="ada", command="close_link", links=[17, 18])) == (
        "ada closed road 17 (and 18, the other direction)"
    )
    assert captions.event_text(p.Event(tick=3, player="bo", command="reopen_link", links=[5])) == "bo reopened road 5"
    assert "tick 43" in captions.accepted_text(p.Accepted(command="close_link", seq=1, applies_at_tick=43))
    assert captions.error_text(p.Error(code="no_such_link", message="There is no link 9.")) == (
        "Refused (no_such_link): There is no link 9."
    )


def test_notices_expire_and_keep_the_newest_first() -> None:
    notices = Notices()
    notices.add("old", Kind.INFO, now=0.0)
    notices.add("bad", Kind.ERROR, now=1.0)
    assert [n.text for n in notices.active(now=2.0)] == ["bad", "old"]
    assert [n.text for n in notices.active(now=5.5)] == ["bad"]
    assert notices.active(now=7.5) == []
