"""Proposing under X: Enter on a preview opens the dialog (arcade.gui text fields), the
title and why are typed, Enter proposes, Esc goes back; the board then opens the proposal."""

from __future__ import annotations

import shutil
import subprocess
import time

import arcade
import pytest
import towns
from frames import click, grab, pixel, press, pump, save, type_text

from agora.client import palette
from agora.server import protocol as p


def close_to(rgb: tuple[int, int, int], want: tuple[int, ...], tol: int = 12) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, want[:3]))


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    return towns.small_world()


@pytest.fixture
def street(world) -> int:  # type: ignore[no-untyped-def]
    return towns.link_between(world, 1, 5)


@pytest.fixture
def previewed(play_window, fake_link, world, street):  # type: ignore[no-untyped-def]
    """A player in the propose phase looking at the preview of closing one street."""
    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3),
                                         game=towns.game(proposals=towns.three_proposals())))
    pump(play_window)
    click(play_window, *play_window.map_view.link_anchor_px(street, play_window.map_viewport))
    press(play_window, arcade.key.P)
    fake_link.messages.put(towns.preview(world, 1, (street,), {street: -500.0}))
    pump(play_window)
    assert play_window.draft.showing
    return play_window


def test_enter_opens_the_dialog_and_enter_again_proposes_what_was_typed(previewed, fake_link, street) -> None:  # type: ignore[no-untyped-def]
    press(previewed, arcade.key.ENTER)
    assert previewed.dialog.open and previewed.dialog.title_field.active
    type_text(previewed, "Quiet school street")
    # Keys that mean something on the map are typing while the dialog is open.
    for key in (arcade.key.Q, arcade.key.P, arcade.key.L, arcade.key.SPACE):
        press(previewed, key)
    assert not previewed.closed and len(fake_link.sent) == 1
    press(previewed, arcade.key.TAB)
    type_text(previewed, "A safer walk to school.")
    image = grab(previewed)
    save(image, "client_propose_dialog.png")
    box = previewed.dialog.box.rect
    assert close_to(pixel(image, box.left + 1, box.center_y), palette.ACCENT, 30)  # the dialog's frame
    assert close_to(pixel(image, box.center_x, box.top - 8), palette.BAR, 20)  # and its ground
    press(previewed, arcade.key.ENTER)
    assert fake_link.sent[-1] == p.Propose(title="Quiet school street", interventions=[p.CloseLink(link=street)],
                                           rationale="A safer walk to school.")
    assert not previewed.dialog.open and previewed.proposing
    assert previewed.draft.showing  # until the server takes it

    # Taken: the preview and the roads picked go; the board opens the new proposal.
    fake_link.messages.put(p.Accepted(command="propose", seq=5, applies_at_tick=40))
    board = towns.three_proposals() + [towns.proposal(4, "Quiet school street", 10_000, author="ada",
                                                      links=(street,), rationale="A safer walk to school.")]
    board[-1] = p.ProposalInfo(**{**{f: getattr(board[-1], f) for f in board[-1].__struct_fields__}, "author_id": 1})
    fake_link.messages.put(towns.game(proposals=board))
    image = grab(previewed)
    save(image, "client_proposed.png")
    assert not previewed.draft.showing and previewed.draft.links == []
    assert previewed.game.selected == 4
    assert "Your proposal is on the board." in [n.text for n in previewed.notices.active(0.0)]
    texts = [t.text for pool in previewed.board._pools for t in pool.used]
    assert "PROPOSAL #4" in texts and "A safer walk to school." in texts


def test_an_empty_title_takes_the_default_and_a_refusal_keeps_the_preview(previewed, fake_link, street) -> None:  # type: ignore[no-untyped-def]
    press(previewed, arcade.key.ENTER)
    press(previewed, arcade.key.ENTER)
    assert fake_link.sent[-1] == p.Propose(title=f"Close road {street} to cars", interventions=[p.CloseLink(link=street)])
    fake_link.messages.put(p.Error("over_budget", "The proposal costs more than the budget has left."))
    pump(previewed)
    assert previewed.draft.showing and not previewed.proposing
    assert "over_budget" in previewed.notices.active(0.0)[0].text


def test_esc_goes_back_from_the_dialog_then_leaves_the_preview(previewed, fake_link) -> None:  # type: ignore[no-untyped-def]
    press(previewed, arcade.key.ENTER)
    type_text(previewed, "Never mind")
    press(previewed, arcade.key.ESCAPE)
    assert not previewed.dialog.open and previewed.draft.showing and len(fake_link.sent) == 1
    press(previewed, arcade.key.ENTER)
    assert previewed.dialog.title_text() == ""  # a fresh start
    press(previewed, arcade.key.ESCAPE)
    press(previewed, arcade.key.ESCAPE)
    assert not previewed.draft.showing and not previewed.closed


def test_the_propose_button_proposes_with_a_click(previewed, fake_link, street) -> None:  # type: ignore[no-untyped-def]
    press(previewed, arcade.key.ENTER)
    pump(previewed)  # lay the dialog out
    button = previewed.dialog.propose_button.rect
    click(previewed, button.center_x, button.center_y)
    assert isinstance(fake_link.sent[-1], p.Propose) and not previewed.dialog.open
    assert previewed.draft.links == [street]  # the click went to the button, not to the map


def test_outside_the_propose_phase_enter_says_so(previewed, fake_link) -> None:  # type: ignore[no-untyped-def]
    fake_link.messages.put(towns.game(towns.phase("vote"), proposals=towns.three_proposals()))
    pump(previewed)
    press(previewed, arcade.key.ENTER)
    assert not previewed.dialog.open
    assert previewed.notices.active(0.0)[0].text == "Proposals open in the propose phase."


def test_real_x_typing_reaches_the_title_field(previewed, fake_link, street) -> None:  # type: ignore[no-untyped-def]
    """Through the X server (xdotool), so that pyglet's own key and text events are used:
    q types a q and does not quit."""
    if shutil.which("xdotool") is None:
        pytest.fail("xdotool is not installed (Debian: apt-get install xdotool)", pytrace=False)
    previewed.activate()
    pump(previewed)
    subprocess.run(["xdotool", "key", "Return"], check=True)
    deadline = time.monotonic() + 5
    while not previewed.dialog.open and time.monotonic() < deadline:
        pump(previewed, 1)
    assert previewed.dialog.open
    subprocess.run(["xdotool", "type", "--delay", "20", "quiet lane"], check=True)
    while previewed.dialog.title_text() != "quiet lane" and time.monotonic() < deadline:
        pump(previewed, 1)
    assert previewed.dialog.title_text() == "quiet lane" and not previewed.closed
    subprocess.run(["xdotool", "key", "Return"], check=True)
    while previewed.dialog.open and time.monotonic() < deadline:
        pump(previewed, 1)
    assert fake_link.sent[-1] == p.Propose(title="quiet lane", interventions=[p.CloseLink(link=street)])
