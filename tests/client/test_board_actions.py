"""The proposal board's actions under X, fed by a fake connection: O previews the open
proposal on the map and its row keeps what the preview said; K comments, R replies to the
comment picked, W withdraws one's own (after asking), A amends one's own through the draft,
S submits a draft; refusals show; the open proposal shows its history and scrolls."""

from __future__ import annotations

import arcade
import msgspec
import pytest
import towns
from frames import click, grab, pixel, press, pump, save, send_events, type_text

from agora.client import palette
from agora.server import protocol as p

SHIFT = arcade.key.MOD_SHIFT


def close_to(rgb: tuple[int, int, int], want: tuple[int, ...], tol: int = 12) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, want[:3]))


def texts(window) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.text for pool in window.board._pools for t in pool.used]


def has(window, *wanted: str) -> None:  # type: ignore[no-untyped-def]
    shown = texts(window)
    for want in wanted:
        assert any(want in t for t in shown), f"{want!r} is not on the panel: {shown}"


def notices(window) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.text for n in window.notices.active(0.0)]


def mine(q: p.ProposalInfo, **changes: object) -> p.ProposalInfo:
    """The proposal as its author (player 1, the window's player) sees it."""
    history = [p.StatusInfo(s.tick, s.status, "ada") for s in q.history]
    return msgspec.structs.replace(q, author_id=1, author="ada", history=history, **changes)


def board(*extra: p.ProposalInfo) -> list[p.ProposalInfo]:
    return [*towns.three_proposals(), *extra]


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    return towns.small_world()


@pytest.fixture
def joined(play_window, fake_link, world):  # type: ignore[no-untyped-def]
    own = mine(towns.proposal(4, "Quiet school street", 10_000, links=(towns.link_between(world, 1, 5),),
                              rationale="A safer walk to school."))
    draft = mine(towns.proposal(5, "Car-free market square", 30_000, status="draft"))
    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3),
                                         game=towns.game(proposals=board(own, draft))))
    pump(play_window)
    return play_window


def open_row(window, pid: int) -> None:  # type: ignore[no-untyped-def]
    window.game.select(pid)
    pump(window)


def test_o_previews_the_open_proposal_and_its_row_keeps_the_headline(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    open_row(joined, 2)
    has(joined, "not previewed yet  ·  O to preview", "O  Preview")
    press(joined, arcade.key.O)
    # Its current version's interventions, as a draft's preview is asked for.
    assert fake_link.sent == [p.PreviewDraft(request=1, interventions=[p.CloseLink(link=4), p.CloseLink(link=5)])]
    pump(joined)
    panel = joined.preview_panel.texts()
    assert "Preview of proposal #2" in panel and "Bike lanes on the high street" in panel
    assert any(t.startswith("Simulating the town with and without it") for t in panel)

    busier = towns.link_between(world, 4, 5)
    fake_link.messages.put(towns.preview(world, 1, (4, 5), {4: -600.0, 5: -600.0, busier: 450.0}))
    image = grab(joined)
    save(image, "client_board_proposal_preview.png")
    assert joined.draft.showing and joined.draft.previewed == [p.CloseLink(link=4), p.CloseLink(link=5)]
    panel = joined.preview_panel.texts()
    assert "Bike lanes on the high street" in panel and "WORSE (3)" in panel
    assert "L  map layer  ·  Esc  back to the board" in panel
    assert close_to(pixel(image, *joined.map_view.link_anchor_px(busier, joined.map_viewport)),
                    palette.FLOW_CHANGE_COLORS[0], 20)
    bars = {name: box for name, _, box in joined.preview_panel.bars}
    l, b, w, h = bars["resident"]
    assert close_to(pixel(image, l + w / 2, b + h / 2), palette.BETTER_TEXT)
    # Enter proposes nothing here: it is someone else's proposal.
    press(joined, arcade.key.ENTER)
    assert not joined.dialog.open and len(fake_link.sent) == 1
    assert "This is the preview of proposal #2: Esc goes back to the board." in notices(joined)

    press(joined, arcade.key.ESCAPE)
    assert not joined.draft.showing and not joined.closed
    image = grab(joined)
    save(image, "client_board_headline.png")
    has(joined, "+66 veh·h in cars", "-13 kg/h CO2", "-200 people >53 dB",
        "helps resident +0.80  ·  hurts commuter -0.60")
    co2 = next(t for t in joined.board.small.used if t.text == "-13 kg/h CO2")
    assert tuple(co2.color[:3]) == palette.BETTER_TEXT[:3]
    hours = next(t for t in joined.board.small.used if t.text == "+66 veh·h in cars")
    assert tuple(hours.color[:3]) == palette.WORSE_TEXT[:3]
    # The others still offer their preview.
    assert texts(joined).count("not previewed yet  ·  O to preview") == len(joined.board.rows) - 1 >= 2

    # Its button asks again (the server answers a repeat from its cache).
    open_row(joined, 1)
    button = next(b for b in joined.board.open.buttons if b.key == "O")
    click(joined, button.left + button.width / 2, button.bottom + button.height / 2)
    assert fake_link.sent[-1] == p.PreviewDraft(request=2, interventions=[p.CloseLink(link=3)])
    assert joined.board_actions.preview_words()["subtitle"] == "Quiet Mill Lane"


def test_a_proposal_amended_to_other_interventions_loses_its_headline(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    open_row(joined, 2)
    press(joined, arcade.key.O)
    fake_link.messages.put(towns.preview(world, 1, (4, 5), {4: -600.0}))
    pump(joined)
    press(joined, arcade.key.ESCAPE)
    assert joined.board.previews.headline(joined.game.proposal(2)) is not None
    # A new version with the same interventions (a new title) keeps it; other interventions do not.
    retitled = towns.proposal(2, "Bike lanes on the high street", 84_000, author="cy", links=(4, 5), versions=2)
    fake_link.messages.put(towns.game(proposals=[retitled]))
    pump(joined)
    has(joined, "-13 kg/h CO2")
    amended = towns.proposal(2, "Bike lanes on the high street", 84_000, author="cy", links=(4,), versions=3)
    fake_link.messages.put(towns.game(proposals=[amended]))
    pump(joined)
    has(joined, "not previewed yet  ·  O to preview")
    assert joined.board.previews.headline(amended) is None


def wheel_to(window, cid: int) -> None:  # type: ignore[no-untyped-def]
    """Turn the wheel over the open proposal until a comment is wholly in view."""
    view = window.board.open
    for _ in range(50):
        if cid in in_view(view):
            return
        x, y = view.view.left + 20, view.view.bottom + 20
        send_events(window, ("on_mouse_scroll", int(x), int(y), 0.0, -1.0))
        pump(window, 1)
    pytest.fail(f"comment {cid} never came into view")


def test_k_comments_and_r_replies_to_the_comment_picked(joined, fake_link) -> None:  # type: ignore[no-untyped-def]
    open_row(joined, 1)
    press(joined, arcade.key.R)
    assert not joined.board_actions.dialog.open
    assert "Click a comment in the thread first (or Shift+↑ ↓), then press R to reply." in notices(joined)

    press(joined, arcade.key.K)
    dialog = joined.board_actions.dialog
    assert dialog.open and dialog.heading.text == "Comment on proposal #1" and dialog.fields[0].active
    type_text(joined, "Where would the bus stop go?")
    press(joined, arcade.key.Q)  # typing, not quitting
    image = grab(joined)
    save(image, "client_board_comment_dialog.png")
    box = dialog.box.rect
    assert close_to(pixel(image, box.left + 1, box.center_y), palette.ACCENT, 30)
    press(joined, arcade.key.ENTER)
    assert not dialog.open and not joined.closed
    assert fake_link.sent == [p.Comment(proposal=1, text="Where would the bus stop go?", parent=None)]

    # Pick cy's comment by clicking it (scrolled into view), then reply.
    pump(joined)
    wheel_to(joined, 1)
    cy = next(b for b in joined.board.open.comments if b.key == 1)
    click(joined, cy.left + 40, cy.bottom + cy.height / 2)
    assert joined.game.picked_comment().author == "cy"
    image = grab(joined)
    save(image, "client_board_comment_picked.png")
    assert close_to(pixel(image, cy.left + 6 - 5, cy.bottom + cy.height / 2), palette.ACCENT)
    has(joined, "R  Reply")
    press(joined, arcade.key.R)
    assert dialog.heading.text == "Reply to cy" and dialog.context.text == "\u201cWhere do the cars go instead?\u201d"
    type_text(joined, "Onto the arterial.")
    press(joined, arcade.key.ENTER)
    assert fake_link.sent[-1] == p.Comment(proposal=1, text="Onto the arterial.", parent=1)

    # Shift+Down picks the next comment in the thread (bob's reply), Shift+Up goes back.
    press(joined, arcade.key.DOWN, SHIFT)
    assert joined.game.picked_comment().author == "bob" and joined.game.selected == 1
    press(joined, arcade.key.R)
    assert dialog.heading.text == "Reply to bob"
    press(joined, arcade.key.ESCAPE)
    assert not dialog.open and len(fake_link.sent) == 2 and not joined.closed


def test_a_refused_comment_shows_and_its_text_comes_back(joined, fake_link) -> None:  # type: ignore[no-untyped-def]
    open_row(joined, 1)
    press(joined, arcade.key.K)
    type_text(joined, "x" * 30)
    press(joined, arcade.key.ENTER)
    fake_link.messages.put(p.Error(code="muted", message="The facilitator has muted you; you can still vote."))
    pump(joined)
    assert "Refused (muted): The facilitator has muted you; you can still vote." in notices(joined)
    press(joined, arcade.key.K)
    assert joined.board_actions.dialog.texts() == ["x" * 30]  # nothing typed is lost
    press(joined, arcade.key.ENTER)
    fake_link.messages.put(p.Accepted(command="comment", seq=8, applies_at_tick=40))
    pump(joined)
    assert "Your comment is posted." in notices(joined)
    press(joined, arcade.key.K)
    assert joined.board_actions.dialog.texts() == [""]
    press(joined, arcade.key.ESCAPE)
    # A draft takes no comments yet: the board says so and sends nothing.
    open_row(joined, 5)
    press(joined, arcade.key.K)
    assert not joined.board_actions.dialog.open and len(fake_link.sent) == 2
    assert "Proposal #5 is a draft: comments open once it is submitted (S)." in notices(joined)


def test_w_asks_then_withdraws_ones_own_proposal_and_its_history_shows(joined, fake_link) -> None:  # type: ignore[no-untyped-def]
    open_row(joined, 2)
    press(joined, arcade.key.W)
    assert not joined.board_actions.dialog.open and fake_link.sent == []
    assert "Only cy, who wrote proposal #2, can withdraw it." in notices(joined)

    open_row(joined, 4)
    has(joined, "A  Amend", "W  Withdraw")
    press(joined, arcade.key.W)
    dialog = joined.board_actions.dialog
    assert dialog.open and dialog.heading.text == "Withdraw proposal #4?"
    press(joined, arcade.key.ESCAPE)  # changed their mind
    assert not dialog.open and fake_link.sent == [] and not joined.closed
    press(joined, arcade.key.W)
    type_text(joined, "The school moved.")
    save(grab(joined), "client_board_withdraw_dialog.png")
    press(joined, arcade.key.ENTER)
    assert fake_link.sent == [p.Withdraw(proposal=4, reason="The school moved.")]

    q = joined.game.proposal(4)
    withdrawn = msgspec.structs.replace(q, status="withdrawn", history=[
        *q.history, p.StatusInfo(41, "withdrawn", "ada", "The school moved.")])
    fake_link.messages.put(p.Accepted(command="withdraw", seq=9, applies_at_tick=41))
    fake_link.messages.put(towns.game(proposals=board(withdrawn)))
    pump(joined, 3)
    assert "Your proposal is withdrawn." in notices(joined)
    has(joined, "HISTORY", "tick 10  ·  submitted by ada", "tick 41  ·  withdrawn by ada: \u201cThe school moved.\u201d")
    assert [b.key for b in joined.board.open.buttons] == ["O", "K"]  # nothing left to amend or withdraw
    press(joined, arcade.key.A)
    assert "Proposal #4 is withdrawn: it can no longer be amended." in notices(joined)


def test_a_amends_ones_own_proposal_through_the_draft(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    street = towns.link_between(world, 1, 5)
    other = towns.link_between(world, 2, 6)
    open_row(joined, 4)
    press(joined, arcade.key.A)
    assert joined.draft.links == [street] and joined.board_actions.amending is not None
    press(joined, arcade.key.ENTER)  # not previewed yet
    assert not joined.board_actions.dialog.open and fake_link.sent == []
    click(joined, *joined.map_view.link_anchor_px(other, joined.map_viewport), SHIFT)
    press(joined, arcade.key.P)
    assert fake_link.sent == [p.PreviewDraft(request=1, interventions=[p.CloseLink(link=street), p.CloseLink(link=other)])]
    fake_link.messages.put(towns.preview(world, 1, (street, other), {street: -500.0, other: -400.0}))
    pump(joined)
    assert "New version of proposal #4" in joined.preview_panel.texts()
    press(joined, arcade.key.ENTER)
    dialog = joined.board_actions.dialog
    assert dialog.open and not joined.dialog.open
    assert dialog.texts() == ["Quiet school street", "A safer walk to school."]
    save(grab(joined), "client_board_amend_dialog.png")
    press(joined, arcade.key.TAB)
    type_text(joined, " And the park.")
    press(joined, arcade.key.ENTER)
    assert fake_link.sent[-1] == p.Amend(proposal=4, title="Quiet school street",
                                         interventions=[p.CloseLink(link=street), p.CloseLink(link=other)],
                                         rationale="A safer walk to school. And the park.")
    assert joined.draft.showing  # until the server takes it
    fake_link.messages.put(p.Accepted(command="amend", seq=10, applies_at_tick=41))
    pump(joined)
    assert not joined.draft.showing and joined.draft.links == [] and joined.board_actions.amending is None
    assert "Your proposal has a new version." in notices(joined)
    # Its new version was previewed before it was sent: the row shows what that preview said.
    q = joined.game.proposal(4)
    v2 = msgspec.structs.replace(q.versions[0], number=2, tick=41, rationale="A safer walk to school. And the park.",
                                 interventions=[p.CloseLink(link=street), p.CloseLink(link=other)])
    fake_link.messages.put(towns.game(proposals=board(msgspec.structs.replace(q, versions=[*q.versions, v2]))))
    pump(joined)
    assert joined.board.previews.headline(joined.game.proposal(4)) is not None
    has(joined, "+66 veh·h in cars", "version 2")


def test_a_amendment_refused_keeps_the_preview_and_esc_stops_amending(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    street = towns.link_between(world, 1, 5)
    open_row(joined, 4)
    press(joined, arcade.key.A)
    press(joined, arcade.key.P)
    fake_link.messages.put(towns.preview(world, 1, (street,), {street: -500.0}))
    pump(joined)
    press(joined, arcade.key.ENTER)
    press(joined, arcade.key.ENTER)
    assert isinstance(fake_link.sent[-1], p.Amend)
    fake_link.messages.put(p.Error(code="has_votes", message="Votes have been cast on #4; it cannot change under them."))
    pump(joined)
    assert "Refused (has_votes): Votes have been cast on #4; it cannot change under them." in notices(joined)
    assert joined.draft.showing and joined.board_actions.amending is not None
    for _ in range(2):
        press(joined, arcade.key.ESCAPE)  # the preview, then the roads picked
    assert joined.board_actions.amending is not None
    press(joined, arcade.key.ESCAPE)
    assert joined.board_actions.amending is None and not joined.closed
    assert "Stopped amending: proposal #4 stays as it was." in notices(joined)
    press(joined, arcade.key.ENTER)  # back to proposing as usual: nothing previewed
    assert not joined.dialog.open and not joined.board_actions.dialog.open


def test_s_submits_ones_own_draft(joined, fake_link) -> None:  # type: ignore[no-untyped-def]
    open_row(joined, 3)  # "My draft" is by another ada (player 2)
    press(joined, arcade.key.S)
    assert fake_link.sent == []
    open_row(joined, 5)
    has(joined, "S  Submit", "draft (only you see it)")
    button = next(b for b in joined.board.open.buttons if b.key == "S")
    click(joined, button.left + 5, button.bottom + 5)
    assert fake_link.sent == [p.Submit(proposal=5)]
    open_row(joined, 4)
    press(joined, arcade.key.S)
    assert fake_link.sent == [p.Submit(proposal=5)]
    assert "Proposal #4 is submitted already." in notices(joined)


def long_thread(n: int) -> p.ProposalInfo:
    comments = tuple((f"player{i}", f"Comment number {i}: " + "the buses would need a new stop here. " * 2, 1 - i % 2)
                     for i in range(1, n + 1))
    return towns.proposal(1, "Quiet Mill Lane", 10_000, author="bob", versions=3, comments=comments,
                          rationale="Children walk to school along Mill Lane; through traffic makes it unsafe.")


def in_view(view) -> set[int]:  # type: ignore[no-untyped-def]
    """The comments wholly inside the scrolling part, as last drawn."""
    top = view.view.bottom + view.view.height
    return {int(b.key) for b in view.comments if b.bottom >= view.view.bottom and b.bottom + b.height <= top}


def test_a_long_thread_scrolls_under_the_wheel_at_1280_by_800(play_window, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3),
                                         game=towns.game(proposals=[long_thread(30), *towns.three_proposals()[1:]])))
    pump(play_window)
    view = play_window.board.open
    image = grab(play_window)
    save(image, "client_board_thread_top.png")
    assert view.overflow > 200  # the thread runs far below the panel
    assert 30 not in in_view(view)
    x = view.view.left + view.view.width / 2
    y = view.view.bottom + view.view.height / 2
    zoom = play_window.map_viewport.zoom
    for _ in range(200):
        send_events(play_window, ("on_mouse_scroll", int(x), int(y), 0.0, -1.0))
        pump(play_window, 1)
    assert play_window.map_viewport.zoom == zoom  # the wheel over the panel does not zoom the map
    assert view.overflow <= 0 < view.offset  # at the end, not past it
    assert 30 in in_view(view) and 1 not in in_view(view)
    image = grab(play_window)
    save(image, "client_board_thread_end.png")
    # Nothing of the thread spills over the buttons above it.
    top = view.view.bottom + view.view.height
    button = view.buttons[0]
    assert close_to(pixel(image, button.left + button.width - 3, button.bottom + 3), palette.ROW_SELECTED, 20)
    assert close_to(pixel(image, view.view.left + view.view.width - 2, top + 2), palette.BAR, 20)
    # A click on a comment scrolled into view picks it.
    last = next(b for b in view.comments if b.key == 30)
    click(play_window, last.left + 60, last.bottom + last.height / 2)
    assert play_window.game.picked_comment().id == 30
    for _ in range(200):
        send_events(play_window, ("on_mouse_scroll", int(x), int(y), 0.0, 1.0))
    assert view.offset == 0
    pump(play_window)
    for _ in range(4):
        send_events(play_window, ("on_mouse_scroll", int(x), int(y), 0.0, -1.0))
        pump(play_window, 1)
    assert 1 in in_view(view) and 30 not in in_view(view)


def test_the_board_reads_at_1920_by_1080(play_window, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    play_window.set_size(1920, 1080)
    pump(play_window, 3)
    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3),
                                         game=towns.game(proposals=[long_thread(6), *towns.three_proposals()[1:]])))
    pump(play_window)
    play_window.game.select(2)
    press(play_window, arcade.key.O)
    fake_link.messages.put(towns.preview(world, 1, (4, 5), {4: -600.0}))
    pump(play_window)
    press(play_window, arcade.key.ESCAPE)
    play_window.game.select(1)
    image = grab(play_window)
    save(image, "client_board_1920_actions.png")
    has(play_window, "+66 veh·h in cars", "HISTORY", "COMMENTS (6)", "Comment number 1")
    assert not [t for t in texts(play_window) if t.endswith("…")]  # nothing cut short at this width


def test_a_refused_proposal_preview_says_why_and_the_board_comes_back(joined, fake_link) -> None:  # type: ignore[no-untyped-def]
    open_row(joined, 1)
    press(joined, arcade.key.O)
    assert joined.draft.pending == 1
    fake_link.messages.put(p.Error(code="phase_closed", message="Previews are closed in the vote phase.", request=1))
    pump(joined)
    assert "No preview: Previews are closed in the vote phase." in notices(joined)
    assert joined.draft.pending is None and not joined.draft.showing
    has(joined, "PROPOSAL #1", "not previewed yet  ·  O to preview")


def test_amending_keeps_the_interventions_that_are_not_closures(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    street = towns.link_between(world, 1, 5)
    slower = p.SetSpeedLimit(links=[0, 1], speed_kmh=20.0)
    q = joined.game.proposal(4)
    version = msgspec.structs.replace(q.versions[0], interventions=[p.CloseLink(link=street), slower],
                                      costs_eur=[10_000, 5_000], cost_eur=15_000)
    fake_link.messages.put(towns.game(proposals=board(msgspec.structs.replace(q, versions=[version]))))
    pump(joined)
    open_row(joined, 4)
    press(joined, arcade.key.A)
    assert joined.draft.links == [street]
    assert "Its 1 other intervention stay as they are." not in notices(joined)
    assert "Its 1 other intervention stays as it is." in notices(joined)
    press(joined, arcade.key.ESCAPE)  # let go of the road: only the speed limit is left
    press(joined, arcade.key.P)
    assert fake_link.sent == [p.PreviewDraft(request=1, interventions=[slower])]
