"""How often the window draws: every frame while something happens, a few times a second
when nothing does.

A workshop laptop shows the same town for minutes at a time between ticks. Drawing it 60
times a second anyway costs a core under software OpenGL (the panels' text alone is a few
milliseconds a frame), and a fan and a battery on any machine. So the window draws at full
rate for a moment after each message from the server and each key, click or mouse move,
and at IDLE_FPS otherwise, which still keeps the phase's countdown (whole seconds), the
banner's bar and the tooltip's delay on time.

    pacing = Pacing()
    pacing.wake(now)                  # a message or an input arrived
    window.set_draw_rate(pacing.rate(now))
"""

from __future__ import annotations

BUSY_FPS = 60.0
IDLE_FPS = 10.0
BUSY_FOR_S = 1.5  # full rate this long after the last message or input
INPUT_EVENTS = ("on_key_press", "on_key_release", "on_text", "on_mouse_motion", "on_mouse_press",
                "on_mouse_release", "on_mouse_drag", "on_mouse_scroll", "on_resize", "on_mouse_enter")


class Pacing:
    def __init__(self) -> None:
        self._busy_until = 0.0

    def wake(self, now: float) -> None:
        self._busy_until = max(self._busy_until, now + BUSY_FOR_S)

    def busy(self, now: float) -> bool:
        return now < self._busy_until

    def rate(self, now: float) -> float:
        """Seconds between draws."""
        return 1.0 / (BUSY_FPS if self.busy(now) else IDLE_FPS)
