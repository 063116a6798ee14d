"""How long a frame of the play window takes with the board showing a thread of 3, 30 and
200 comments (the open proposal scrolls; comments out of view are laid out, not drawn).

    python -m pytest -q -s tests/client/bench_board.py

Prints the median of 5 runs of the median of 20 frames (on_draw only, no buffer swap), in ms.
"""

from __future__ import annotations

import statistics
import time

import towns
from frames import pump
from test_board_actions import long_thread

THREADS = {"short thread": 3, "workshop thread": 30, "very long thread": 200}
RUNS, FRAMES = 5, 20


def test_frame_time_by_thread_length(play_window, fake_link) -> None:  # type: ignore[no-untyped-def]
    world = towns.small_world()
    rows = []
    for name, comments in THREADS.items():
        game = towns.game(proposals=[long_thread(comments), *towns.three_proposals()[1:]])
        fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3), game=game))
        pump(play_window, 3)
        medians = []
        for _ in range(RUNS):
            times = []
            for _ in range(FRAMES):
                start = time.perf_counter()
                play_window.on_draw()
                times.append(time.perf_counter() - start)
            medians.append(statistics.median(times))
        rows.append((name, comments, statistics.median(medians) * 1000))
    print(f"\n{'configuration':<18} {'comments':>8} {'frame ms':>9}")
    for name, comments, ms in rows:
        print(f"{name:<18} {comments:>8} {ms:>9.1f}")
