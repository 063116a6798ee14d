"""The replay window against a real replay server on a recorded workshop: the timeline strip
shows the recording's events, a click on it seeks and the map follows (a street closed at
tick 30 is open at 20 and closed at 40), keys step and jump, two moments and two proposals'
previews split the map side by side, and B branches."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import arcade
import numpy as np
import pytest
from frames import click, grab, pixel, press, pump, save, wait_for

from agora.client import palette
from agora.client.replay_connection import ReplayConnection
from agora.client.replay_timeline import KINDS, TRACK_Y, strip_area
from agora.server import protocol as p
from agora.server.net.replay_server import ReplayServer
from agora.server.session.rulesets import bundled
from agora.server.session.session import Session
from agora.server.store.eventlog import EventLog
from agora.server.world.world import World, resolve_world
from tests.store.recording import Recorder, quiet_streets


@dataclass(frozen=True)
class Recording:
    db: Path
    street: int  # closed by ada at tick 30
    events: int
    proposed: tuple[int, int]  # the street proposal 1 closes, and proposal 2's


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """60 ticks of the demo rules on the default town: two proposals, a street closed at
    tick 30, a vote."""
    db = tmp_path_factory.mktemp("replay_window") / "agora.db"
    log = EventLog(db)
    world = World.load(resolve_world("default"))
    streets = quiet_streets(world)
    rec = Recorder(log, Session("r1", world, code="ABCDEF", rules=bundled("demo"), live_edits=True), every=20)
    fac, ada, bob = rec.facilitator, rec.join("ada"), rec.join("bob")
    rec.ticks(5)
    rec.game(fac, p.SetPhase(phase="propose"))
    rec.ticks(5)
    rec.game(ada, p.Propose(title="Quiet street", interventions=[p.CloseLink(link=streets[5])]))
    rec.game(bob, p.Propose(title="School street", interventions=[p.CloseLink(link=streets[9])]))
    rec.ticks(19)
    rec.edit(ada, p.CloseLink(link=streets[0]))  # applies at tick 30
    rec.ticks(15)
    rec.game(fac, p.SetPhase(phase="vote"))
    rec.game(ada, p.Vote(approve=[1]))
    rec.ticks(60 - rec.session.tick)
    assert rec.session.closed[streets[0]]
    log.close()
    return Recording(db, streets[0], 6, (streets[5], streets[9]))


@pytest.fixture(scope="module")
def server(recording: Recording) -> Iterator[ReplayServer]:
    with ReplayServer(recording.db) as live:
        yield live


@pytest.fixture
def window(server: ReplayServer, x_display: str) -> Iterator[object]:
    from agora.client.replay_window import ReplayWindow

    connection = ReplayConnection(server.ws_url, session="r1", token=server.admin_token)
    win = ReplayWindow(connection, session="r1", width=1280, height=800)
    connection.start()
    try:
        wait_for(win, lambda: win.city is not None and win.timeline is not None and win.game.game is not None,
                 60, "the recording")
        yield win
    finally:
        connection.close()
        if not win.closed:
            win.close()


def at_tick(window, tick: int) -> Callable[[], bool]:  # type: ignore[no-untyped-def]
    return lambda: window.city is not None and window.city.tick == tick and window.asked is None


def closed_looking(image, view, viewport, link: int,  # type: ignore[no-untyped-def]
                   colours: tuple[palette.RGBA, ...] = (palette.CLOSED_COLOR, palette.CLOSED_DASH_COLOR)) -> int:
    """How many of 9 points along a link's drawn band show a closed road's charcoal or white dash."""
    city = view.city
    x0, y0 = viewport.to_screen(float(city.ax[link]), float(city.ay[link]))
    x1, y1 = viewport.to_screen(float(city.bx[link]), float(city.by[link]))
    ax, ay = view.link_anchor_px(link, viewport)
    mx, my = viewport.to_screen(*city.midpoint(link))
    count = 0
    for f in np.linspace(0.2, 0.8, 9):
        x, y = x0 + (x1 - x0) * f + (ax - mx), y0 + (y1 - y0) * f + (ay - my)
        rgb = pixel(image, x, y)
        near = [max(abs(a - b) for a, b in zip(rgb, c[:3])) for c in colours]
        count += min(near) <= 24
    return count


def zoom_on(window, link: int) -> None:  # type: ignore[no-untyped-def]
    viewport = window.map_viewport
    viewport.center_m = window.city.midpoint(link)
    viewport.px_per_m = viewport.fit_scale() * 4.0
    viewport.moved_by_user = True


def test_the_timeline_shows_the_events_and_a_click_seeks(window, recording: Recording) -> None:  # type: ignore[no-untyped-def]
    line = window.timeline
    assert (line.first, line.last, len(line.events)) == (1, 60, recording.events)
    assert window.city.tick == 1 and not window.city.closed[recording.street]
    image = grab(window)
    save(image, "client_replay_timeline.png")
    area = strip_area(window.hud.map_area(*window.get_size()))
    # Every tick with events has its mark on the track, in its events' kinds' colours (the
    # phase and the vote at tick 44 share theirs).
    marks = window.strip.drawn_marks
    assert [(round(x), kind.name) for x, _, kind in marks] == [
        (round(line.x_of(t, area)), k) for t, k in
        ((5, "phase"), (10, "proposal"), (30, "town edit"), (44, "phase"), (44, "vote"))]
    for x, y, kind in marks:
        assert pixel(image, x, y) == kind.color[:3], kind.name
    kinds = {kind.name for _, _, kind in marks}
    assert {k.name for k in KINDS} >= kinds

    click(window, line.x_of(40, area), area.bottom + TRACK_Y)
    assert window.playhead == 40
    wait_for(window, at_tick(window, 40), 60, "the seek to tick 40")
    assert window.city.closed[recording.street]
    zoom_on(window, recording.street)
    image = grab(window)
    assert closed_looking(image, window.map_view, window.map_viewport, recording.street) >= 5
    save(image, "client_replay_tick40.png")
    # The board as it was then: both proposals, and the vote not cast yet.
    assert [q.versions[-1].title for q in window.game.proposals()] == ["Quiet street", "School street"]
    assert window.game.game.phase.name == "propose"

    # Dragging the playhead: the map follows to where it is let go.
    x, y = line.x_of(40, area), area.bottom + TRACK_Y
    window.on_mouse_press(x, y, arcade.MOUSE_BUTTON_LEFT, 0)
    for tick in (35, 28, 20):
        window.on_mouse_drag(line.x_of(tick, area), y, 0, 0, arcade.MOUSE_BUTTON_LEFT, 0)
        pump(window, 1)
    window.on_mouse_release(line.x_of(20, area), y, arcade.MOUSE_BUTTON_LEFT, 0)
    assert window.playhead == 20
    wait_for(window, at_tick(window, 20), 60, "the playhead dragged back to tick 20")
    assert not window.city.closed[recording.street]
    image = grab(window)
    assert closed_looking(image, window.map_view, window.map_viewport, recording.street) <= 1
    assert window.status is None


def test_keys_step_jump_and_play(window, recording: Recording) -> None:  # type: ignore[no-untyped-def]
    press(window, arcade.key.END)
    wait_for(window, at_tick(window, 60), 60, "the last tick")
    assert window.game.game.phase.name == "vote"
    press(window, arcade.key.LEFT, arcade.key.MOD_SHIFT)
    wait_for(window, at_tick(window, 44), 60, "the previous event (the vote, after tick 44)")
    assert "ada cast a ballot" in window.timeline.described(44)
    press(window, arcade.key.LEFT, arcade.key.MOD_SHIFT)
    wait_for(window, at_tick(window, 30), 60, "the closure at tick 30")
    assert window.city.closed[recording.street]
    press(window, arcade.key.LEFT)
    wait_for(window, at_tick(window, 29), 60, "a step back")
    assert not window.city.closed[recording.street]
    press(window, arcade.key.SPACE)
    assert window.playing
    wait_for(window, lambda: window.city.tick >= 32, 60, "playing on")
    press(window, arcade.key.SPACE)
    assert not window.playing
    press(window, arcade.key.HOME)
    wait_for(window, at_tick(window, 1), 60, "the first tick")
    # A replay changes nothing: C is not sent.
    sent_before = window.link.hello
    press(window, arcade.key.C)
    assert any("changes nothing" in n.text for n in window.notices.active(time.monotonic()))
    assert window.link.hello is sent_before


def test_two_moments_side_by_side(window, recording: Recording) -> None:  # type: ignore[no-untyped-def]
    area = strip_area(window.hud.map_area(*window.get_size()))
    line = window.timeline
    click(window, line.x_of(20, area), area.bottom + TRACK_Y)
    wait_for(window, at_tick(window, 20), 60, "tick 20")
    zoom_on(window, recording.street)
    press(window, arcade.key.BRACKETLEFT)
    click(window, line.x_of(40, area), area.bottom + TRACK_Y)
    wait_for(window, at_tick(window, 40), 60, "tick 40")
    press(window, arcade.key.BRACKETRIGHT)
    comparison = window.comparison
    assert comparison is not None and (comparison.a.tick, comparison.b.tick) == (20, 40)
    image = grab(window)
    save(image, "client_replay_compare.png")
    map_area = window.hud.map_area(*window.get_size())
    left, right = comparison.halves(map_area)
    a_view, b_view = comparison.viewport, comparison.right_viewport(right)
    assert a_view.px_per_m == b_view.px_per_m and a_view.center_m == b_view.center_m
    # The same street, in each half at the same place: open at tick 20, closed at 40.
    assert closed_looking(image, comparison.a.view, a_view, recording.street) <= 1
    assert closed_looking(image, comparison.b.view, b_view, recording.street) >= 5
    assert comparison.texts[0].startswith("A: Tick 20 at ") and any(t.startswith("B: Tick 40 at ") for t in comparison.texts)
    assert any(t.endswith("vs A") for t in comparison.texts)
    # Panning moves both halves together; Esc leaves the comparison.
    before = a_view.center_m
    window.on_mouse_press(300, 400, arcade.MOUSE_BUTTON_LEFT, 0)
    window.on_mouse_drag(340, 400, 40, 0, arcade.MOUSE_BUTTON_LEFT, 0)
    window.on_mouse_release(340, 400, arcade.MOUSE_BUTTON_LEFT, 0)
    assert a_view.center_m[0] < before[0] and comparison.right_viewport(right).center_m == a_view.center_m
    press(window, arcade.key.ESCAPE)
    assert window.comparison is None and not window.closed


def test_two_proposals_previews_side_by_side_and_a_branch(window, recording: Recording) -> None:  # type: ignore[no-untyped-def]
    area = strip_area(window.hud.map_area(*window.get_size()))
    click(window, window.timeline.x_of(40, area), area.bottom + TRACK_Y)
    wait_for(window, at_tick(window, 40), 60, "tick 40")
    window.game.select(1)
    press(window, arcade.key.O)
    wait_for(window, lambda: window.draft.showing, 300, "proposal 1's preview")
    assert window.draft.previewed == window.game.proposal(1).versions[-1].interventions
    press(window, arcade.key.BRACKETLEFT)
    press(window, arcade.key.DOWN)
    assert window.game.selected == 2
    press(window, arcade.key.O)
    wait_for(window, lambda: window.draft.showing and window.draft.preview.request == 2, 300, "proposal 2's preview")
    press(window, arcade.key.BRACKETRIGHT)
    comparison = window.comparison
    assert comparison is not None
    clock = window.timeline.clock(40)
    assert comparison.a.title == f"Proposal 1 'Quiet street' at tick 40 ({clock})"
    assert comparison.b.title == f"Proposal 2 'School street' at tick 40 ({clock})"
    save(grab(window), "client_replay_compare_proposals.png")
    # Each half shows its own proposal's street closed (white dashes over the change of
    # traffic, as a preview draws a closure), and the other's open.
    right = comparison.halves(window.hud.map_area(*window.get_size()))[1]
    for street, a_closed in zip(recording.proposed, (True, False)):
        viewport = comparison.viewport
        viewport.center_m = window.city.midpoint(street)
        viewport.px_per_m = viewport.fit_scale() * 4.0
        image = grab(window)
        dash = (palette.CLOSED_DASH_COLOR,)
        a_count = closed_looking(image, comparison.a.view, viewport, street, dash)
        b_count = closed_looking(image, comparison.b.view, comparison.right_viewport(right), street, dash)
        assert (a_count >= 3, b_count >= 3) == (a_closed, not a_closed), (street, a_count, b_count)
        assert min(a_count, b_count) == 0, (street, a_count, b_count)
    # The board still answers clicks while the map is split.
    pump(window, 1)
    assert window.game.selected == 2
    row = next(r for r in window.board.rows if r.proposal == 1)
    click(window, row.left + row.width / 2, row.bottom + row.height / 2)
    assert window.game.selected == 1 and window.comparison is comparison
    press(window, arcade.key.ESCAPE)
    assert window.comparison is None

    # A real branch, written into the recording's database by the store.
    press(window, arcade.key.B)
    wait_for(window, lambda: window.branched is not None, 60, "the branch")
    made = window.branched
    assert made.from_session == "r1" and made.from_tick == 40
    head, detail, _ = window.status
    assert "tick 40" in head and made.join_code in detail and made.facilitator_token in detail
    save(grab(window), "client_replay_branched.png")
    press(window, arcade.key.ESCAPE)
    assert window.status is None and not window.closed


def test_agora_replay_view_opens_the_window_on_the_recording(recording: Recording, x_display: str,
                                                            tmp_path: Path) -> None:
    """End to end: the one command a planner types, in a process of its own, on the display."""
    from PIL import Image

    # At the other size a workshop projects at, the whole screen.
    command = [sys.executable, "-m", "agora.server.cli", "replay", str(recording.db), "--session", "r1", "--view",
               "--width", "1920", "--height", "1080"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "DISPLAY": x_display})
    shot = tmp_path / "screen.png"
    try:
        deadline = time.monotonic() + 120
        phase = palette_kind("phase")
        while True:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no timeline on the screen within 120 s"
            time.sleep(1.0)
            subprocess.run(["import", "-window", "root", "-display", x_display, str(shot)], check=True,
                           capture_output=True, timeout=30)
            image = Image.open(shot).convert("RGB")
            colours = {c for _, c in image.getcolors(maxcolors=1 << 20) or []}
            # The timeline's marks are drawn once the recording is open.
            if phase in colours:
                break
        save(image, "client_replay_view_e2e.png")
        assert palette.BAR[:3] in colours and palette_kind("proposal") in colours
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert "Replaying session r1" in out, (out, err)


def palette_kind(name: str) -> tuple[int, int, int]:
    return next(k.color[:3] for k in KINDS if k.name == name)
