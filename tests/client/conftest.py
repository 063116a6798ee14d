"""Fixtures for the client: an X display (Xvfb started here when DISPLAY is unset) and
a play window fed by a fake connection."""

from __future__ import annotations

import os
import queue
import select
import shutil
import subprocess
import time
from typing import Iterator

import pytest


XVFB_SCREEN = "1920x1080x24"
XVFB_START_S = 20.0


@pytest.fixture(scope="session")
def x_display() -> Iterator[str]:
    """The X display the windows open on: $DISPLAY if set, else a fresh Xvfb on a free number."""
    existing = os.environ.get("DISPLAY")
    if existing:
        yield existing
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail(
            "DISPLAY is unset and Xvfb is not installed, so the client's window tests cannot run: "
            "install it (Debian: apt-get install xvfb xauth libgl1-mesa-dri libglx-mesa0) or set DISPLAY",
            pytrace=False,
        )
    # -displayfd makes Xvfb choose a free display number and write it to the pipe once it
    # accepts connections, which avoids both guessing numbers and polling for the socket.
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", XVFB_SCREEN, "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_fd)
    number = b""
    deadline = time.monotonic() + XVFB_START_S
    while not number.endswith(b"\n"):
        ready, _, _ = select.select([read_fd], [], [], max(deadline - time.monotonic(), 0))
        chunk = os.read(read_fd, 16) if ready else b""
        if not chunk:
            proc.kill()
            err = proc.communicate()[1].decode(errors="replace")
            pytest.fail(f"Xvfb did not start within {XVFB_START_S:.0f} s: {err.strip()}", pytrace=False)
        number += chunk
    os.close(read_fd)
    display = f":{int(number)}"
    os.environ["DISPLAY"] = display
    try:
        yield display
    finally:
        del os.environ["DISPLAY"]
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()


class FakeLink:
    """Stands in for a Connection: the test puts server messages in, and reads commands out."""

    url = "ws://127.0.0.1:8000/ws"

    def __init__(self) -> None:
        self.messages: queue.Queue[object] = queue.Queue()
        self.sent: list[object] = []
        self.connected = True

    def send(self, command: object) -> bool:
        if not self.connected:
            return False
        self.sent.append(command)
        return True


@pytest.fixture
def fake_link() -> FakeLink:
    return FakeLink()


@pytest.fixture
def play_window(x_display: str, fake_link: FakeLink) -> Iterator[object]:
    from agora.client.window import PlayWindow

    window = PlayWindow(fake_link, name="ada", code="TESTME", width=1280, height=800)  # type: ignore[arg-type]
    try:
        yield window
    finally:
        if not window.closed:
            window.close()
