"""How often the window draws: every frame while something happens, a few times a second
when nothing does.

A workshop laptop shows the same town for minutes at a time between ticks. Drawing it 60
times a second anyway costs a core under software OpenGL (the panels' text alone is a few
milliseconds a frame), and a fan and a battery on any machine. So the window draws at full
rate for a while after each key, click or mouse move (the player is doing something), for
a moment after a message from the server (a tick every second must not keep it at full
rate), and at IDLE_FPS otherwise, which still keeps the phase's countdown (whole
seconds), the banner's bar and the tooltip's delay on time.

    pacing = Pacing()
    pacing.wake(now)                              # an input
    pacing.wake(now, pacing.AFTER_MESSAGE_S)      # a message
    window.set_draw_rate(pacing.rate(now))
"""

from __future__ import annotations

BUSY_FPS = 60.0
IDLE_FPS = 10.0
BUSY_FOR_S = 1.5  # full rate this long after the last input
AFTER_MESSAGE_S = 0.25  # and this long after a message
INPUT_EVENTS = ("on_key_press", "on_key_release", "on_text", "on_mouse_motion", "on_mouse_press",
                "on_mouse_release", "on_mouse_drag", "on_mouse_scroll", "on_resize", "on_mouse_enter")


class Pacing:
    def __init__(self) -> None:
        self._busy_until = 0.0

    def wake(self, now: float, for_s: float = BUSY_FOR_S) -> None:
        self._busy_until = max(self._busy_until, now + for_s)

    def busy(self, now: float) -> bool:
        return now < self._busy_until

    def rate(self, now: float) -> float:
        """Seconds between draws."""
        return 1.0 / (BUSY_FPS if self.busy(now) else IDLE_FPS)
