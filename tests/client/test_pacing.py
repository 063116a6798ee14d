"""The window draws at full rate only while something happens: a message from the server,
a key, a click or a mouse move; otherwise ten frames a second."""

from __future__ import annotations

import towns
from frames import pump, send_events

from agora.client import pacing
from agora.client.pacing import Pacing


def test_pacing_is_busy_for_a_while_after_a_wake_then_idle() -> None:
    p = Pacing()
    assert p.rate(100.0) == 1 / pacing.IDLE_FPS
    p.wake(100.0)
    assert p.rate(100.0 + pacing.BUSY_FOR_S / 2) == 1 / pacing.BUSY_FPS
    assert p.rate(100.0 + pacing.BUSY_FOR_S + 0.01) == 1 / pacing.IDLE_FPS
    # A message (a tick every second) wakes it only for a moment.
    p.wake(200.0, pacing.AFTER_MESSAGE_S)
    assert p.busy(200.0 + pacing.AFTER_MESSAGE_S / 2) and not p.busy(200.0 + pacing.AFTER_MESSAGE_S + 0.01)


def test_the_window_slows_down_when_nothing_happens_and_wakes_on_input_and_messages(play_window, fake_link) -> None:  # type: ignore[no-untyped-def]
    world = towns.small_world()
    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3)))
    pump(play_window)
    assert play_window._draw_every == 1 / pacing.BUSY_FPS  # the welcome just came

    play_window.pacing._busy_until = 0.0  # as if the last event were long ago
    play_window.on_update(1 / 60)
    assert play_window._draw_every == 1 / pacing.IDLE_FPS

    send_events(play_window, ("on_mouse_motion", 300, 300, 2, 1))
    play_window.on_update(1 / 60)
    assert play_window._draw_every == 1 / pacing.BUSY_FPS

    play_window.pacing._busy_until = 0.0
    play_window.on_update(1 / 60)
    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.5)))
    play_window.on_update(1 / 60)
    assert play_window._draw_every == 1 / pacing.BUSY_FPS
