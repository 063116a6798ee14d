"""Driving a window frame by frame in tests, and reading its pixels."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import arcade
import pytest
from PIL import Image

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


# pyglet queues events dispatched outside its event loop until the next
# dispatch_events(), so the handlers for update and draw are called directly, and input
# helpers flush the queue before returning.


def _frame(window: arcade.Window) -> None:
    window.switch_to()
    window.dispatch_events()
    window.on_update(1 / 60)
    window.on_draw()


def pump(window: arcade.Window, frames: int = 2) -> None:
    """Run whole frames: input events, the message queue, a draw, a buffer swap."""
    for _ in range(frames):
        _frame(window)
        window.flip()


def grab(window: arcade.Window) -> Image.Image:
    """Draw a frame and return what it shows (RGB, top row first, as PIL has it)."""
    _frame(window)
    image = arcade.get_image(components=3)
    window.flip()
    return image


def pixel(image: Image.Image, x: float, y: float) -> tuple[int, int, int]:
    """The colour at window coordinates (x right, y up from the bottom-left corner)."""
    return image.getpixel((int(round(x)), image.height - 1 - int(round(y))))  # type: ignore[return-value]


def save(image: Image.Image, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    image.save(path)
    return path


def send_events(window: arcade.Window, *events: tuple[object, ...]) -> None:
    """Dispatch input events (name, *args) as pyglet would, and handle them now."""
    for event in events:
        if window.closed:
            return
        window.dispatch_event(*event)
        window.dispatch_pending_events()


def click(window: arcade.Window, x: float, y: float, modifiers: int = 0) -> None:
    x, y = int(round(x)), int(round(y))
    send_events(
        window,
        ("on_mouse_press", x, y, arcade.MOUSE_BUTTON_LEFT, modifiers),
        ("on_mouse_release", x, y, arcade.MOUSE_BUTTON_LEFT, modifiers),
    )


def press(window: arcade.Window, symbol: int, modifiers: int = 0) -> None:
    send_events(window, ("on_key_press", symbol, modifiers), ("on_key_release", symbol, modifiers))


def type_text(window: arcade.Window, text: str) -> None:
    """Typing, as pyglet reports it to a focused text field."""
    send_events(window, *[("on_text", ch) for ch in text])


def wait_for(window: arcade.Window, condition: Callable[[], bool], seconds: float, what: str) -> float:
    """Pump whole frames until the condition holds; the seconds it took. On a time-out the
    test fails saying what the window shows (its status and notices, or a lobby's error)."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > seconds:
            pytest.fail(f"{what} did not happen within {seconds} s; {_shows(window)}")
        pump(window, 1)
        time.sleep(0.01)
    return time.monotonic() - began


def _shows(window: object) -> str:
    parts = []
    if hasattr(window, "status"):
        parts.append(f"status: {window.status}")
    if hasattr(window, "notices"):
        parts.append(f"notices: {[n.text for n in window.notices.active(time.monotonic())]}")
    if hasattr(window, "error"):
        parts.append(f"the lobby says: {window.error!r}")
    return "; ".join(parts)
