"""Replay connections: a planner's client scrubbing a recorded session over the websocket.

    -> {"type": "hello", "code": "", "name": "planner", "token": "<facilitator or admin token>", "replay": "3f9c2a1d"}
    <- {"type": "welcome", "role": "observer", "snapshot": {... tick 1 ...}, "game": {...}}
    <- {"type": "timeline", "first_tick": 1, "last_tick": 812, "clock_hours": [...], "events": [...]}
    -> {"type": "seek", "tick": 40}
    <- {"type": "resync", "snapshot": {... tick 40 ...}}
    <- {"type": "game", "tick": 40, ...}                  # the game as an observer saw it then
    -> {"type": "preview", "request": 1, "interventions": [...]}   # on the town at tick 40
    <- {"type": "preview", "request": 1, ...}
    -> {"type": "branch", "tick": 40}
    <- {"type": "branched", "session_id": "...", "join_code": "...", "facilitator_token": "...", ...}

The session is rebuilt off the event loop (replay_states.py), one seek at a time per
connection; seeks that arrive meanwhile collapse into the latest. Nothing a replay does
changes the recorded session: every other command is refused.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from pathlib import Path
from typing import Any

from agora.server import protocol as p
from agora.server.net.clients import Client
from agora.server.net.game_messages import game_message
from agora.server.net.layers import LayerFeed
from agora.server.net.messages import preview_message, snapshot_message
from agora.server.net.previews import PreviewService
from agora.server.net.replay_states import ReplayStates
from agora.server.net.replay_timeline import FIRST_TICK, timeline_message
from agora.server.session.players import Player, PlayerId, Role
from agora.server.session.previews import DraftError, PreviewSettings, preview
from agora.server.session.session import ReplayError, Session
from agora.server.store.branches import Branched, branch
from agora.server.store.eventlog import EventLog
from agora.server.store.replays import Recorded
from agora.server.world.world import World, WorldError

log = logging.getLogger("agora.net")

MAX_DRAFT = 50
PLANNER = Player(PlayerId(0), "planner", "", Role.OBSERVER)  # sees what any observer saw
READ_ONLY = ("replay_only", "This is a replay of a recorded session: it shows what happened and changes nothing. "
             "Press B to start a new session from this moment instead.")


class ReplayService:
    """What replay connections share: their own connection to the session database (the
    live sessions keep theirs) and the server's admin token."""

    def __init__(self, db: Path | None, admin_token: str | None, previews: PreviewService | None = None) -> None:
        self.eventlog = EventLog(db) if db is not None else None
        self.admin_token = admin_token
        self.previews = previews
        self.lock = threading.Lock()

    def open(self, client: Client, hello: p.Hello) -> ReplayConnection:
        """A replay connection for a hello with `replay` set; it answers the hello itself."""
        connection = ReplayConnection(self, client)
        connection.start(hello)
        return connection

    def load(self, session_id: str, token: str) -> Recorded:
        """The recorded session, if the token may replay it; raises Refused."""
        if self.eventlog is None:
            raise Refused("no_recordings", "This server keeps no session database, so there is nothing to replay.")
        try:
            with self.lock:
                recorded = Recorded.load(self.eventlog, session_id)
        except LookupError:
            raise Refused("no_such_session", f"The database holds no session {session_id!r}; "
                          "check the id (agora replay DB lists them).") from None
        except (WorldError, ValueError) as exc:
            raise Refused("cannot_replay", f"Session {session_id} cannot be replayed: {exc}") from None
        allowed = [t for t in (recorded.facilitator_token, self.admin_token) if t]
        if not any(secrets.compare_digest(token.encode(), t.encode()) for t in allowed):
            raise Refused("not_allowed", f"Replaying session {session_id} takes its facilitator's token "
                          "or the server's admin token; this token is neither.")
        return recorded

    def close(self) -> None:
        if self.eventlog is not None:
            self.eventlog.close()


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ReplayConnection:
    def __init__(self, service: ReplayService, client: Client) -> None:
        self.service = service
        self.client = client
        self.recorded: Recorded | None = None
        self.states: ReplayStates | None = None
        self.tick = 0  # the tick last shown
        self.world: World | None = None  # the town at that tick, for previews
        self._wanted: int | None = None
        self._seeking: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._preview_hour = PreviewSettings.bundled().hour

    def _spawn(self, coroutine: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def start(self, hello: p.Hello) -> None:
        self._spawn(self._open(hello))

    async def _open(self, hello: p.Hello) -> None:
        assert hello.replay is not None
        try:
            recorded = await asyncio.to_thread(self.service.load, hello.replay, hello.token or "")
        except Refused as exc:
            self.client.send(p.Error(exc.code, exc.message))
            self.client.close_after_flush()
            return
        assert self.service.eventlog is not None
        self.states = ReplayStates(self.service.eventlog, recorded, self.service.lock)
        try:
            snapshot, game = await asyncio.to_thread(self._show, FIRST_TICK)
        except ReplayError as exc:
            self.client.send(p.Error("cannot_replay", f"Session {recorded.id} does not replay: {exc}"))
            self.client.close_after_flush()
            return
        self.recorded = recorded
        self.client.send(p.Welcome(int(PLANNER.id), PLANNER.name, "", "observer", p.PROTOCOL_VERSION, snapshot, game))
        self.client.send(timeline_message(recorded, can_branch=True))

    # -- messages ----------------------------------------------------------------------

    def submit(self, message: p.ClientMessage) -> None:
        """A message after the hello (called on the event loop; never blocks)."""
        if self.recorded is None:
            self.client.send(p.Error("not_ready", "The recording is still loading; wait for the timeline."))
        elif isinstance(message, p.Seek):
            self._seek(message.tick)
        elif isinstance(message, p.PreviewDraft):
            self._spawn(self._preview(message))
        elif isinstance(message, p.Branch):
            self._spawn(self._branch(message.tick))
        elif isinstance(message, p.Hello):
            self.client.send(p.Error("already_joined", "This connection is replaying a session already."))
        else:
            self.client.send(p.Error(*READ_ONLY))

    def _check_tick(self, tick: int) -> p.Error | None:
        assert self.recorded is not None
        last = max(self.recorded.reached_tick, FIRST_TICK)
        if not FIRST_TICK <= tick <= last:
            return p.Error("no_such_tick", f"The recording runs from tick {FIRST_TICK} to tick {last}; "
                           f"tick {tick} is not in it.")
        return None

    def _seek(self, tick: int) -> None:
        error = self._check_tick(tick)
        if error is not None:
            self.client.send(error)
            return
        self._wanted = tick
        if self._seeking is None or self._seeking.done():
            self._seeking = self._spawn(self._seek_loop())

    async def _seek_loop(self) -> None:
        while self._wanted is not None:
            tick, self._wanted = self._wanted, None
            try:
                snapshot, game = await asyncio.to_thread(self._show, tick)
            except ReplayError as exc:
                self.client.send(p.Error("cannot_replay", f"The log does not replay to tick {tick}: {exc}"))
                return
            self.client.send(p.Resync(snapshot))
            self.client.send(game)

    def _show(self, tick: int) -> tuple[p.Snapshot, p.Game]:
        """In a worker thread: the session at `tick` as messages."""
        assert self.states is not None
        session = self.states.at(tick)
        self.tick = session.tick
        self.world = session.world.copy()
        return _snapshot(session), game_message(session.game, session.roster, PLANNER, session.tick)

    async def _preview(self, draft: p.PreviewDraft) -> None:
        if not 1 <= len(draft.interventions) <= MAX_DRAFT:
            self.client.send(p.Error("bad_draft", f"A draft needs 1 to {MAX_DRAFT} interventions, "
                                     f"not {len(draft.interventions)}.", request=draft.request))
            return
        if self._seeking is not None and not self._seeking.done():
            await asyncio.shield(self._seeking)  # the preview is of the moment asked last
        world, tick, recorded = self.world, self.tick, self.recorded
        assert world is not None and recorded is not None
        try:
            previews = self.service.previews
            if previews is not None:
                result, cached = await previews.preview(("replay", recorded.id, tick), world, draft.interventions)
            else:
                result, cached = await asyncio.to_thread(preview, world, draft.interventions), False
        except DraftError as exc:
            self.client.send(p.Error(exc.code, exc.message, request=draft.request))
            return
        except Exception:
            log.exception("replay preview %s of session %s failed", draft.request, recorded.id)
            self.client.send(p.Error("preview_failed", "The preview could not be computed. Try again.",
                                     request=draft.request))
            return
        message = await asyncio.to_thread(preview_message, draft.request, tick, cached, self._preview_hour, result,
                                          recorded.rules)
        self.client.send(message)

    async def _branch(self, tick: int) -> None:
        error = self._check_tick(tick)
        if error is not None:
            self.client.send(error)
            return
        assert self.recorded is not None and self.service.eventlog is not None
        session_id, eventlog = self.recorded.id, self.service.eventlog

        def make() -> Branched:
            with self.service.lock:
                return branch(eventlog, session_id, tick)

        try:
            made = await asyncio.to_thread(make)
        except (LookupError, ValueError, ReplayError) as exc:
            self.client.send(p.Error("cannot_branch", f"No new session could start from tick {tick}: {exc}"))
            return
        self.client.send(p.Branched(made.session_id, made.join_code, made.observer_code, made.facilitator_token,
                                    made.from_session, made.from_tick))

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass


def _snapshot(session: Session) -> p.Snapshot:
    sim = session.sim
    indicators = p.Indicators(**sim.indicators(), clock_hour=float(sim.board["clock_hour"]),
                              mode_share=sim.mode_share(), impacts=sim.impacts())
    feed = LayerFeed()
    feed.commit(feed.prepare(sim.board))
    return snapshot_message(session.id, session.world, session.tick, sim.link_flow_veh_h(), indicators,
                            feed.snapshot_layers())
