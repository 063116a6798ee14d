"""The client's map on the large world: frames per second while panning and zooming, and
the time a tick's update takes from its bytes to a map ready to draw.

    python tests/bench/run.py client

Targets (issue 6), at 1280x800 under Xvfb with the software renderer (Mesa llvmpipe):
30 fps or more while panning, and a tick's update applied in 5 ms or less. The window is a
real PlayWindow fed by a queue as the connection would feed it: a Welcome for the 512 x 512,
19,880-link world with its road noise map shown, then Deltas as msgpack bytes. Noise comes
from the server's own modules (fleet, emissions, noise, noise_map) on made-up traffic; the
Delta moves 3,000 links' flows by up to a fifth and carries the noise map's change.

A frame is timed from its start to the end of glFinish (so the GPU's work counts) and the
buffer swap; the table gives the median and the 5th percentile of frames per second (the
slow end), the slowest frame, and the GL renderer the run got. The machine's load average
is printed too: a software renderer shares the CPU with everything else running.
"""

from __future__ import annotations

import os
import queue
import select
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from large_world import environment_board, large_world  # noqa: E402

PAN_FRAMES = 150
ZOOM_FRAMES = 60
UPDATES = 15
MOVED_LINKS = 3000
NOISE_MODULES = ("fleet", "emissions", "noise", "noise_map")


class _Link:
    url = "bench"

    def __init__(self) -> None:
        self.messages: queue.Queue[object] = queue.Queue()

    def send(self, command: object) -> bool:
        return True


def _xvfb() -> Iterator[None]:
    """A display for the window: $DISPLAY if set, else an Xvfb of our own (stopped after)."""
    if os.environ.get("DISPLAY"):
        yield
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise SystemExit("DISPLAY is unset and Xvfb is not installed (apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen([xvfb, "-displayfd", str(write_fd), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    number = b""
    while not number.endswith(b"\n"):
        ready, _, _ = select.select([read_fd], [], [], 20.0)
        chunk = os.read(read_fd, 16) if ready else b""
        if not chunk:
            proc.kill()
            raise SystemExit("Xvfb did not start")
        number += chunk
    os.close(read_fd)
    os.environ["DISPLAY"] = f":{int(number)}"
    try:
        yield
    finally:
        del os.environ["DISPLAY"]
        proc.terminate()
        proc.wait(timeout=10)


def _noise(world, board):  # type: ignore[no-untyped-def]
    from agora.server.world.simulation import MODULES, model_parameters

    params = model_parameters()
    for name in NOISE_MODULES:
        MODULES[name](dict(params.get(name, {}))).step(board)
    return np.asarray(board["grid_noise_lden_dba"], dtype=np.float32).copy()


def _messages():  # type: ignore[no-untyped-def]
    """The Welcome and a list of Delta frames (msgpack bytes), as the server would send them."""
    import msgspec

    from agora.server import protocol as p
    from agora.server.net import messages
    from agora.server.net.layers import LayerFeed

    world = large_world()
    board = environment_board(world)
    feed = LayerFeed()
    feed.commit(feed.prepare({"grid_noise_lden_dba": _noise(world, board)}))
    flow = np.asarray(board["link_flow_veh_h"], dtype=np.float32).copy()
    ind = p.Indicators(vehicle_hours=1.0, vehicle_km=1.0, mean_trip_min=1.0, car_trips=1.0, unserved_trips=0.0,
                       relative_gap=0.0)
    snap = messages.snapshot_message("bench", world, 1, flow, ind, feed.snapshot_layers())
    welcome = p.Welcome(player_id=1, name="bench", token="t", role="player", protocol=p.PROTOCOL_VERSION,
                        snapshot=snap)
    rng = np.random.default_rng(6)
    frames: list[bytes] = []
    layer_kib: list[float] = []
    for tick in range(2, 2 + UPDATES):
        before = flow.copy()
        moved = rng.choice(world.network.n_links, MOVED_LINKS, replace=False)
        flow[moved] *= rng.uniform(0.8, 1.2, MOVED_LINKS).astype(np.float32)
        board["link_flow_veh_h"] = flow.astype(np.float64)
        feed.commit(feed.prepare({"grid_noise_lden_dba": _noise(world, board)}))
        layers = feed.changed_layers()
        layer_kib.append(sum(len(layer.data) for layer in layers) / 1024)
        delta = messages.delta_message(tick, before, flow, world.network.closed, ind, layers)
        frames.append(msgspec.msgpack.encode(delta))
    return world, welcome, frames, layer_kib


# CPU seconds (this process, the renderer's threads included) of each timed frame: on a
# shared machine the wall time also holds the waits for other processes, the CPU time not.
_cpu: list[float] = []


def _frame_s(window, finish) -> float:  # type: ignore[no-untyped-def]
    cpu = time.process_time()
    start = time.perf_counter()
    window.dispatch_events()
    window.on_update(1 / 60)
    window.on_draw()
    finish()
    window.flip()
    _cpu.append(time.process_time() - cpu)
    return time.perf_counter() - start


def _rest(window, finish) -> None:  # type: ignore[no-untyped-def]
    """Frames with nothing moving, for a little longer than the map waits to draw its margin."""
    from agora.client.map_view import IDLE_S

    start = time.monotonic()
    while time.monotonic() - start < IDLE_S + 0.2:
        _frame_s(window, finish)


def _fps_row(case: str, seconds: list[float], renderer: str) -> dict[str, object]:
    fps = sorted(1.0 / s for s in seconds)
    p5 = fps[max(int(len(fps) * 0.05) - 1, 0)]
    cpu = statistics.median(_cpu[-len(seconds):]) * 1000.0
    return {"benchmark": "client map", "case": case, "median_ms": statistics.median(seconds) * 1000.0,
            "runs": len(seconds),
            "detail": f"{statistics.median(fps):.1f} fps median, {p5:.1f} fps 5th pct, slowest frame "
                      f"{max(seconds) * 1000:.0f} ms, CPU {cpu:.1f} ms a frame; target >= 30 fps; {renderer}"}


def run() -> list[dict[str, object]]:
    os.environ["LIBGL_ALWAYS_SOFTWARE"] = "1"
    gen = _xvfb()
    next(gen)
    try:
        return _run()
    finally:
        next(gen, None)


def _run() -> list[dict[str, object]]:
    from pyglet import gl

    from agora.server import protocol as p
    from agora.client.window import PlayWindow

    world, welcome, frames, layer_kib = _messages()
    link = _Link()
    window = PlayWindow(link, name="bench", code="BENCH", width=1280, height=800)  # type: ignore[arg-type]
    try:
        renderer = f"GL renderer {window.ctx.info.RENDERER!r}"
        link.messages.put(welcome)
        window.drain()
        while window.overlay != "noise_lden_dba":
            window.next_layer()
        finish = gl.glFinish
        for _ in range(5):
            _frame_s(window, finish)
        rows: list[dict[str, object]] = []
        assert window.map_viewport is not None
        view = window.map_viewport
        size = f"{world.grid.shape[1]}x{world.grid.shape[0]} cells, {world.network.n_links} links"

        # A steady drag, as on_mouse_drag moves the map: 5 px right and 2 px up a frame,
        # with the whole map in view, then zoomed in twice; each after the view has rested
        # a moment, as a person looks before dragging (the map then draws its margin).
        for zoom, case in ((1.0, "whole map in view"), (2.0, "zoomed in 2x")):
            view.fit()
            view.zoom_at(640, 400, zoom)
            _rest(window, finish)
            pans = []
            for _ in range(PAN_FRAMES):
                view.pan(5.0, 2.0)
                pans.append(_frame_s(window, finish))
            rows.append(_fps_row(f"panning, {case}, noise layer, 1280x800 ({size})", pans, renderer))

        view.fit()
        zooms = []
        for i in range(ZOOM_FRAMES):
            view.zoom_at(500, 420, 1.05 if (i // 20) % 2 == 0 else 1 / 1.05)
            zooms.append(_frame_s(window, finish))
        rows.append(_fps_row("zooming, noise layer, 1280x800", zooms, renderer))

        _rest(window, finish)
        still = [_frame_s(window, finish) for _ in range(30)]
        rows.append(_fps_row("still map (nothing changes)", still, renderer))

        # A tick's update: from the Delta's bytes to the buffers and texture written.
        updates, draws, cpus = [], [], []
        for frame in frames:
            cpu = time.process_time()
            start = time.perf_counter()
            delta = p.server_msgpack_decoder.decode(frame)
            window.handle(delta)
            finish()
            updates.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
            draws.append(_frame_s(window, finish))
        moved = f"{MOVED_LINKS} flows moved + noise map change ({statistics.median(layer_kib):.0f} KiB)"
        rows.append({"benchmark": "client map", "case": "tick update applied (decode, buffers, texture)",
                     "median_ms": statistics.median(updates) * 1000.0, "runs": len(updates),
                     "detail": f"{moved}; max {max(updates) * 1000:.1f} ms, CPU {statistics.median(cpus) * 1000:.1f} ms; "
                               "target <= 5 ms"})
        rows.append({"benchmark": "client map", "case": "first frame after an update",
                     "median_ms": statistics.median(draws) * 1000.0, "runs": len(draws),
                     "detail": f"the map redrawn with the new colours, CPU "
                               f"{statistics.median(_cpu[-len(draws):]) * 1000:.1f} ms; load average "
                               f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"})
        return rows
    finally:
        window.close()


if __name__ == "__main__":
    for row in run():
        print(row)
