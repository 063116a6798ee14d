"""The Chat tab and the announcement banner under X, fed by a fake connection: lines with
author, time and text, the latest announcement pinned; an unread count on the tab's header
while another tab shows; T, typing and Enter send a Chat, Esc keeps the text; a refusal shows
as a notice and keeps the line; a new announcement shows as a banner over the map for 20 s."""

from __future__ import annotations

import time

import arcade
import msgspec
import pytest
import towns
from frames import click, grab, pixel, press, pump, save, send_events, type_text

from agora.client import banner, palette
from agora.client.notices import Kind
from agora.server import protocol as p


def close_to(rgb: tuple[int, int, int], want: tuple[int, ...], tol: int = 16) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, want[:3]))


EARLIER = [
    p.ChatLine(1, "bob", "Morning all. Is the ring road always this busy?", 100),
    p.ChatLine(2, "facilitator", "Welcome! We explore for three minutes, then propose.", 101, announcement=True),
    p.ChatLine(3, "cy", "The school run is the worst bit.", 104),
]


def game_with(chat: list[p.ChatLine]) -> p.Game:
    return msgspec.structs.replace(towns.game(), chat=chat)


@pytest.fixture
def joined(play_window, fake_link):  # type: ignore[no-untyped-def]
    world = towns.small_world()
    welcome = towns.welcome(world, towns.flows_at(world, 0.3), tick=110, game=game_with(EARLIER))
    history = p.History.of([(t, 7.0 + (t - 100) / 60.0, {"vehicle_hours": 1000.0}) for t in range(100, 111)])
    fake_link.messages.put(msgspec.structs.replace(welcome, history=history))
    pump(play_window)
    return play_window


def header_text(window, key: str) -> str:  # type: ignore[no-untyped-def]
    tabs = window.tabs
    return str(tabs._labels[[t.key for t in tabs.tabs].index(key)].text)


def chat_texts(window) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.text for pool in window.chat._pools for t in pool.used]


def test_lines_show_with_author_and_time_the_announcement_pinned_and_new_ones_counted(joined, fake_link) -> None:  # type: ignore[no-untyped-def]
    window = joined
    # The lines there on joining are not news.
    assert window.tabs.active == "board" and window.chat.badge() == ""
    assert header_text(window, "chat") == "Chat"
    fake_link.messages.put(game_with([*EARLIER, p.ChatLine(4, "bob", "Could we close Mill Lane?", 109)]))
    pump(window)
    assert window.chat.badge() == "1" and header_text(window, "chat") == "Chat (1)"
    fake_link.messages.put(game_with([*EARLIER, p.ChatLine(4, "bob", "Could we close Mill Lane?", 109),
                                      p.ChatLine(5, "ada", "My own line is no news to me.", 110)]))
    pump(window)
    assert window.chat.badge() == "1"

    click(window, *window.tabs.header_at("chat"))
    image = grab(window)
    save(image, "client_chat.png")
    assert window.tabs.active == "chat" and window.chat.badge() == "" and header_text(window, "chat") == "Chat"
    assert [line.seq for line in window.chat.shown] == [1, 2, 3, 4, 5]
    texts = chat_texts(window)
    for want in ("ANNOUNCEMENT  \u00b7  facilitator  \u00b7  07:01", "Welcome! We explore for three minutes, then propose.",
                 "bob  \u00b7  07:09", "Could we close Mill Lane?", "facilitator  \u00b7  announcement  \u00b7  07:01",
                 "T  write a line to the room"):
        assert any(want in t for t in texts), f"{want!r} is not on the panel: {texts}"
    # The pinned announcement's box, at the panel's top, in its own colour.
    side = window.hud.side_area(1280, 800)
    top = side.bottom + side.height - 30 - 14
    assert close_to(pixel(image, side.left + 100, top - 4), (70, 58, 25))


def test_t_opens_the_field_typing_and_enter_send_a_chat_and_esc_keeps_the_text(joined, fake_link) -> None:  # type: ignore[no-untyped-def]
    window = joined
    # As pyglet reports a key that types: the press, then its text in the same round.
    send_events(window, ("on_key_press", arcade.key.T, 0), ("on_text", "t"), ("on_key_release", arcade.key.T, 0))
    assert window.chat.typing and window.tabs.active == "chat"
    type_text(window, "Let us try a bus lane")
    press(window, arcade.key.C)  # a map key: typing now, so it closes no road
    image = grab(window)
    save(image, "client_chat_typing.png")
    assert window.chat.field.text == "Let us try a bus lane"
    press(window, arcade.key.ENTER)
    assert fake_link.sent == [p.Chat(text="Let us try a bus lane")]
    assert not window.chat.typing
    fake_link.messages.put(p.Accepted("chat", 9, 110))
    pump(window)
    assert not window.notices.active(time.monotonic()), "the line shows in the chat: no notice needed"

    press(window, arcade.key.T)
    type_text(window, "half a thought")
    press(window, arcade.key.ESCAPE)
    assert not window.chat.typing and len(fake_link.sent) == 1 and not window.closed
    press(window, arcade.key.T)
    assert window.chat.field.text == "half a thought"
    press(window, arcade.key.ESCAPE)


def test_a_refusal_shows_as_a_notice_and_the_line_is_kept_to_send_again(joined, fake_link) -> None:  # type: ignore[no-untyped-def]
    window = joined
    press(window, arcade.key.T)
    press(window, arcade.key.ENTER)
    assert fake_link.sent == [p.Chat(text="")]
    fake_link.messages.put(p.Error("empty_chat", "The message is empty; write something first."))
    pump(window)
    notices = [n.text for n in window.notices.active(time.monotonic())]
    assert notices == ["Your chat line was not sent: The message is empty; write something first."]

    fake_link.messages.put(msgspec.structs.replace(game_with(EARLIER), players=[
        p.PlayerInfo(1, "ada", "player", muted=True), p.PlayerInfo(2, "bob", "player")]))
    pump(window)
    press(window, arcade.key.T)
    type_text(window, "Why was I muted?")
    press(window, arcade.key.ENTER)
    fake_link.messages.put(p.Error("muted", "The facilitator has muted you: you cannot chat until they unmute you."))
    image = grab(window)
    save(image, "client_chat_refused.png")
    assert any("muted you" in n.text for n in window.notices.active(time.monotonic()))
    texts = chat_texts(window)
    assert "The facilitator has muted you: you cannot chat until they unmute you." in texts
    assert "You are muted: you can read the chat, not write." in texts
    press(window, arcade.key.T)
    assert window.chat.field.text == "Why was I muted?"
    press(window, arcade.key.ESCAPE)

    # An observer is told at once, and nothing goes to the server.
    fake_link.messages.put(msgspec.structs.replace(game_with(EARLIER), players=[
        p.PlayerInfo(1, "ada", "observer"), p.PlayerInfo(2, "bob", "player")]))
    pump(window)
    sent = len(fake_link.sent)
    press(window, arcade.key.T)
    pump(window)
    assert not window.chat.typing and len(fake_link.sent) == sent
    texts = chat_texts(window)
    assert "Observers read the chat; only players and the facilitator write in it." in texts
    assert "You observe: you can read the chat, not write." in texts


def test_a_new_announcement_shows_as_a_banner_over_the_map_for_twenty_seconds(joined, fake_link) -> None:  # type: ignore[no-untyped-def]
    window = joined
    pump(window)
    assert window.banner.box is None  # the one there on joining is pinned in the chat, not a banner
    line = p.ChatLine(4, "facilitator", "Five minutes left to propose. Please submit your drafts now.", 112,
                      announcement=True)
    fake_link.messages.put(game_with([*EARLIER, line]))
    window.notices.add("A notice goes below the banner.", Kind.INFO, time.monotonic())
    image = grab(window)
    save(image, "client_banner.png")
    assert window.banner.showing(time.monotonic()) and window.banner.box is not None
    left, bottom, width, height = window.banner.box
    area = window.hud.map_area(1280, 800)
    assert bottom + height == pytest.approx(area.bottom + area.height - banner.MARGIN_PX)
    assert close_to(pixel(image, left + width - 20, bottom + height / 2), banner.BACKGROUND)
    assert close_to(pixel(image, left + 2, bottom + height / 2), palette.WARNING_TEXT)
    assert window.chat.badge() == "1"
    notice = window.hud._notices[0]
    assert notice.text == "A notice goes below the banner." and notice.y + notice.content_height < bottom
    # Gone after 20 s.
    assert not window.banner.showing(time.monotonic() + banner.SHOW_S + 0.1)
    # A click on it dismisses it and picks no road beneath.
    click(window, left + width / 2, bottom + height / 2)
    assert window.banner.box is None and window.selected is None
    pump(window)
    assert not window.banner.showing(time.monotonic())
