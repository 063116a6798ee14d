"""A draft in words names its streets where the world has names."""

from __future__ import annotations

from agora.client.tools import ToolBox, default_title, describe, roads_text
from agora.server import protocol as p

NAMES = {3: "Bridge Road", 4: "Bridge Road", 9: "Mill Lane"}


def street(link: int) -> str:
    return NAMES.get(link, "")


def test_roads_are_named_by_their_street_when_they_share_one() -> None:
    assert roads_text([3], street) == "Bridge Road"
    assert roads_text([3, 4], street) == "Bridge Road (2 roads)"
    assert roads_text([3, 9], street) == "2 roads"
    assert roads_text([17], street) == "road 17"


def test_a_closure_draft_and_its_default_title_use_the_street_name() -> None:
    box = ToolBox()
    box.street_name = street
    assert describe([p.CloseLink(link=9)], box) == "Close Mill Lane to cars"
    assert default_title([p.CloseLink(link=3), p.CloseLink(link=4)], box) == "Close Bridge Road (2 roads) to cars"
    # Unnamed roads keep their numbers, as before names existed.
    assert describe([p.CloseLink(link=17)], box) == "Close road 17 to cars"
    assert describe([p.CloseLink(link=3), p.CloseLink(link=9)], box) == "Close 2 streets to cars: roads 3, 9"
