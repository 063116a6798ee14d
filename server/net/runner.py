"""The one asyncio task that owns a session: it takes messages from connection handlers,
ticks on time, runs the phase timer, logs accepted orders before anyone hears of them, and
broadcasts. After every tick it saves the tick reached and, every SNAPSHOT_EVERY_TICKS, a
snapshot (store/snapshots.py), both before the tick is broadcast; `drain()` stops it at a
tick boundary and tells the clients why their connection closes.

Every message is checked against the sender's role, the facilitator's moderation and the
phase (session/game.py, session/roles.py) before it is logged. World edits apply at the
next tick; game commands at once, each followed by a Game message to every client (built
per player: drafts are private). While the facilitator has paused the session, the phase
timer stands still and the simulation does not tick.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Callable, TypeVar

import msgspec

from agora.server import protocol as p
from agora.server.net.catalogue import catalogue
from agora.server.net.clients import Client, Frames
from agora.server.net.game_messages import game_message, vote_result_message
from agora.server.net.history import IndicatorHistory
from agora.server.net.layers import LayerFeed, LayerState
from agora.server.net.messages import delta_message, preview_message, snapshot_message
from agora.server.net.previews import PreviewService
from agora.server.session.previews import DraftError, PreviewSettings
from agora.server.session.errors import CommandError
from agora.server.session.players import Player, Role
from agora.server.session.game import TIMER, Game
from agora.server.session.pricing import price
from agora.server.session.session import Applied, Order, Session
from agora.server.store.eventlog import EventLog
from agora.server.store.snapshots import SNAPSHOT_EVERY_TICKS, Snapshot, take

log = logging.getLogger("agora.net")
T = TypeVar("T")
MAX_DRAFT = 50  # interventions in one draft
# What a client reads, and the websocket's close code (1012: service restart), when the
# server stops cleanly.
STOPPING = p.Error("server_stopping", "The server is stopping; the session is saved. "
                   "Reconnect with your token when it is back.")
CLOSE_RESTART = 1012


class SessionRunner:
    def __init__(self, session: Session, eventlog: EventLog, tick_seconds: float,
                 previews: PreviewService | None = None, snapshot_every: int = SNAPSHOT_EVERY_TICKS) -> None:
        self.session = session
        self.snapshot_every = snapshot_every
        self.previews = previews
        self._preview_hour = PreviewSettings.bundled().hour
        self._tasks: set[asyncio.Task[None]] = set()
        self.eventlog = eventlog
        self.tick_seconds = tick_seconds
        # None wakes the task to stop (drain); (client, None): the client left; a callable
        # is work for the task from elsewhere on the loop (an HTTP request, see call()).
        self.inbox: asyncio.Queue[tuple[Client, p.ClientMessage | None] | Callable[[], None] | None] = asyncio.Queue()
        self.clients: set[Client] = set()
        self.paused = False  # the server's own hold on ticks (the facilitator's is the game clock's)
        self._timer_retry_at = 0.0  # a phase change the log refused is tried again from then
        self._sent_flow = session.sim.link_flow_veh_h().copy()
        self.layers = LayerFeed()
        self.layers.commit(self.layers.prepare(session.sim.board))
        self.history = IndicatorHistory()
        self.history.add(session.tick, self.indicators())
        self._task: asyncio.Task[None] | None = None
        self._draining = False
        self._catalogue = catalogue(session.rules)  # the rule set is fixed for the session

    # -- called by connection handlers: enqueue only -----------------------------------

    def submit(self, client: Client, message: p.ClientMessage) -> None:
        self.inbox.put_nowait((client, message))

    def leave(self, client: Client) -> None:
        self.inbox.put_nowait((client, None))

    def call(self, work: Callable[[], T]) -> asyncio.Future[T]:
        """Run `work` on the session's task, between ticks and messages; its result or error
        comes back in the future."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()

        def run() -> None:
            try:
                result = work()
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
                return
            if not future.done():
                future.set_result(result)

        self.inbox.put_nowait(run)
        return future

    def end(self) -> Order:
        """End the session as its facilitator (EndSession; for the server's admin)."""
        facilitator = next((pl for pl in self.session.roster if pl.role == Role.FACILITATOR), TIMER)
        return self._perform(facilitator, p.EndSession())

    def knows_token(self, token: str) -> bool:
        try:
            self.session.rejoin(token)
            return True
        except CommandError:
            return False

    # -- the task --------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"session-{self.session.id}")

    async def drain(self) -> None:
        """Stop cleanly: finish the tick under way, save the tick reached, tell every client
        that the server is stopping and close their connections (1012), then stop."""
        self._draining = True
        self.inbox.put_nowait(None)
        if self._task is not None:
            try:
                await asyncio.shield(self._task)  # run() returns once the tick under way is done
            except Exception:
                log.exception("session %s stopped with an error", self.session.id)
        self._save_progress()
        for client in list(self.clients):
            client.send(STOPPING)
            client.close_after_flush(CLOSE_RESTART)
        senders = [client.sender for client in self.clients]
        if senders:
            await asyncio.wait(senders, timeout=2.0)
        await self.stop()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        for client in list(self.clients):
            await client.stop()

    @property
    def ticking(self) -> bool:
        return not self.paused and not self.session.game.clock.paused

    def tick_period(self) -> float:
        """Real seconds between ticks at the facilitator's speed."""
        return self.tick_seconds / self.session.game.clock.speed

    def _phase_left(self) -> float:
        """Real seconds until the running phase's minutes are up (inf if none is running)."""
        clock = self.session.game.clock
        if clock.phase is None or clock.paused:
            return math.inf
        return clock.remaining_s / clock.speed

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        next_tick = last + self.tick_period()
        while not self._draining:
            wake = min(next_tick, max(last + self._phase_left(), self._timer_retry_at))
            try:
                item = await asyncio.wait_for(self.inbox.get(), max(0.0, wake - loop.time()))
                if item is None:
                    continue
                if callable(item):
                    item()
                else:
                    self._handle(*item)
            except TimeoutError:
                pass
            now = loop.time()
            self._run_timer(now - last, now)
            last = now
            if now >= next_tick:
                if self.ticking:
                    await self._tick()
                # A tick that ran long is not made up for: the next one waits a full period.
                next_tick = max(next_tick + self.tick_period(), loop.time())

    def _run_timer(self, seconds: float, now: float) -> None:
        """Move the phase timer by `seconds` of real time at the facilitator's speed; when the
        phase's minutes are up, the timer (a system player) logs and makes the phase change."""
        clock = self.session.game.clock
        clock.tick(seconds * clock.speed)
        if not clock.expired or now < self._timer_retry_at:
            return
        try:
            self._perform(TIMER, p.AdvancePhase())
        except CommandError as exc:
            log.error("the timer could not end the phase (%s); trying again in a second", exc.message)
            self._timer_retry_at = now + 1.0

    async def _tick(self) -> None:
        # The simulation runs off the event loop so sockets keep flowing while it computes;
        # the numba kernels release the GIL (nogil=True) for that to hold.
        applied, layers, snapshot = await asyncio.to_thread(self._advance)
        self.layers.commit(layers)
        # Before anyone hears of the tick: a restart comes back at least this far.
        self._save_progress()
        if snapshot is not None:
            try:
                self.eventlog.add_snapshot(self.session.id, snapshot, self.snapshot_every)
            except Exception:  # a snapshot is a cache; the log is the truth
                log.exception("could not keep the snapshot of tick %d", snapshot.tick)
        tick = self.session.tick
        indicators = self.indicators()
        self.history.add(tick, indicators)
        for done in applied:
            event = p.Event(tick, done.order.player_name, p.tag_of(done.order.command), done.change.links)
            self.broadcast(Frames(event))
        flow = self.session.sim.link_flow_veh_h()
        if any(not isinstance(done.order.command, (p.CloseLink, p.ReopenLink)) for done in applied):
            # Edits beyond closures change what clients draw (lanes, lines, new roads):
            # this tick reaches everyone as the world afresh instead of a delta.
            self.broadcast(Frames(p.Resync(self.snapshot(indicators), self.history.message())))
        else:
            delta = delta_message(tick, self._sent_flow, flow, self.session.closed, indicators,
                                  self.layers.changed_layers())
            self.broadcast(Frames(delta))
        self._sent_flow = flow.copy()

    def _advance(self) -> tuple[list[Applied], LayerState, Snapshot | None]:
        applied = self.session.advance()
        snapshot = None
        if self.session.tick % self.snapshot_every == 0:
            try:
                snapshot = take(self.session)
            except Exception:
                log.exception("could not take the snapshot of tick %d", self.session.tick)
        return applied, self.layers.prepare(self.session.sim.board), snapshot

    def _save_progress(self) -> None:
        try:
            self.eventlog.save_progress(self.session)
        except Exception:  # the next tick tries again; a restart then resumes a little earlier
            log.exception("could not save the progress of session %s", self.session.id)

    def broadcast(self, frames: Frames) -> None:
        for client in list(self.clients):
            if not client.send(frames):
                self.resync(client)

    def resync(self, client: Client) -> None:
        log.info("%s fell behind; sending a fresh snapshot instead of queued deltas", client.name)
        client.replace_outbox(p.Resync(self.snapshot(), self.history.message()))
        if client.player is not None:
            client.send(self.game_view(client))

    def broadcast_game(self, but: Client | None = None) -> None:
        """Everyone's view of the game afresh, each their own (drafts are private)."""
        for client in list(self.clients):
            if client is not but and not client.send(self.game_view(client)):
                self.resync(client)

    # -- messages ----------------------------------------------------------------------

    def _handle(self, client: Client, message: p.ClientMessage | None) -> None:
        if message is None:
            self.clients.discard(client)
            return
        try:
            if isinstance(message, p.Hello):
                self._hello(client, message)
            elif client.player is None:
                raise CommandError("not_joined", "Say hello first: send a hello message with the join code and your name.")
            elif isinstance(message, p.PreviewDraft):
                self._preview(client, message)
            elif isinstance(message, (p.Seek, p.Branch)):
                raise CommandError("not_a_replay", "Seek and branch are for replays of recorded sessions "
                                   "(agora replay DB --view), not for a live one.")
            elif isinstance(message, p.GameCommand):
                self._perform(client.player, message, client)
            else:
                self._command(client, message)
        except CommandError as exc:
            client.send(p.Error(exc.code, exc.message))
            if exc.code in ("bad_code", "bad_token", "removed", "session_full"):
                client.close_after_flush()

    def _hello(self, client: Client, hello: p.Hello) -> None:
        if client.player is not None:
            raise CommandError("already_joined", f"You are already in this session as {client.player.name}.")
        if hello.token:
            player = self.session.rejoin(hello.token)
            if player.id in self.session.game.moderation.removed:
                raise CommandError("removed", "The facilitator has removed you from this session; your token no longer joins it.")
        else:
            player = self.session.join(hello.code, hello.name)
            self.eventlog.add_player(self.session.id, player, self.session.last_seq)
        client.player = player
        self.clients.add(client)
        client.send(p.Welcome(int(player.id), player.name, player.token, player.role.value,
                              p.PROTOCOL_VERSION, self.snapshot(), self.game_view(client), self._catalogue,
                              history=self.history.message()))
        if not hello.token:
            self.broadcast_game(but=client)  # the others' player lists have a new name

    def _preview(self, client: Client, draft: p.PreviewDraft) -> None:
        assert client.player is not None
        refusal = None
        game = self.session.game
        if client.player.role == Role.OBSERVER:
            refusal = p.Error("not_allowed", "Observers can look at everything but cannot ask for previews.")
        elif not self.session.live_edits or client.player.id in game.moderation.removed:
            # A sandbox (live edits) previews at any time; a game only in the phases that open it.
            try:
                game.moderation.check(client.player, "preview", game.clock.phase)
            except CommandError as exc:
                refusal = p.Error(exc.code, exc.message)
        elif self.previews is None:
            refusal = p.Error("previews_unavailable", "This server runs without previews; ask the facilitator.")
        elif not 1 <= len(draft.interventions) <= MAX_DRAFT:
            refusal = p.Error("bad_draft", f"A draft needs 1 to {MAX_DRAFT} interventions, not {len(draft.interventions)}.")
        costs: tuple[int, ...] | None = None
        if refusal is None:
            try:
                costs = price(game.book, self.session.published, draft.interventions)
            except CommandError as exc:
                # A sandbox simulates what its players may do directly, catalogue or not;
                # a game previews only what could be proposed.
                if not self.session.live_edits:
                    refusal = p.Error(exc.code, exc.message)
        if refusal is not None:
            client.send(msgspec.structs.replace(refusal, request=draft.request))
            return
        task = asyncio.create_task(self._answer_preview(client, draft, costs))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer_preview(self, client: Client, draft: p.PreviewDraft, costs: tuple[int, ...] | None) -> None:
        assert self.previews is not None
        world, version = self.session.published, self.session.world_version
        try:
            result, cached = await self.previews.preview((self.session.id, version), world, draft.interventions)
        except DraftError as exc:
            client.send(p.Error(exc.code, exc.message, request=draft.request))
            return
        except Exception:
            log.exception("preview %s of %s failed", draft.request, client.name)
            client.send(p.Error("preview_failed", "The preview could not be computed; the session goes on. "
                                "Try again, or tell the facilitator.", request=draft.request))
            return
        message = await asyncio.to_thread(preview_message, draft.request, version, cached, self._preview_hour, result,
                                          self.session.rules)
        if costs is not None:
            message = msgspec.structs.replace(message, cost_eur=sum(costs), costs_eur=list(costs))
        client.send(message)

    def _command(self, client: Client, command: p.ClientMessage) -> None:
        assert client.player is not None
        assert not isinstance(command, (p.Hello, p.PreviewDraft, p.GameCommand, p.Seek, p.Branch))
        order = self.session.check(client.player, command)
        self._log(order)
        self.session.schedule(order)
        client.send(p.Accepted(p.tag_of(command), order.seq, order.tick))

    def _perform(self, player: Player, command: p.GameCommand, sender: Client | None = None) -> Order:
        """A game command: performed on a copy, logged, kept, acknowledged, and the room told."""
        staged = self.session.stage(player, command)
        self._log(staged.order, staged.game)
        outcome = self.session.commit(staged)
        if sender is not None:
            sender.send(p.Accepted(p.tag_of(command), staged.order.seq, staged.order.tick))
        if outcome.result is not None:
            self.broadcast(Frames(vote_result_message(outcome.result, self.session.tick)))
        if isinstance(command, p.Remove):
            self._show_out(command.player)
        if isinstance(command, p.EndSession):
            # At once: ticks stop now, and no later tick would save that the session ended.
            self._save_progress()
            self.broadcast(Frames(p.Event(self.session.tick, player.name, "end_session", [])))
        self.broadcast_game()
        return staged.order

    def _show_out(self, player_id: int) -> None:
        """A removed player's connections are told why and closed; their token no longer
        lets them back in (see _hello)."""
        for client in [c for c in self.clients if c.player is not None and c.player.id == player_id]:
            client.send(p.Error("removed", "The facilitator has removed you from this session."))
            client.close_after_flush()
            self.clients.discard(client)

    def _log(self, order: Order, game: Game | None = None) -> None:
        try:
            self.eventlog.append(self.session.id, order, None if game is None else game.book)
        except Exception as exc:  # the log is the truth: no log, no order
            log.exception("could not log order %s", order)
            raise CommandError("log_unavailable", "The server could not record your command; nothing was changed. Try again.") from exc

    # -- views -------------------------------------------------------------------------

    def indicators(self) -> p.Indicators:
        sim = self.session.sim
        return p.Indicators(**sim.indicators(), clock_hour=float(sim.board["clock_hour"]),
                            mode_share=sim.mode_share(), impacts=sim.impacts())

    def snapshot(self, indicators: p.Indicators | None = None) -> p.Snapshot:
        s = self.session
        return snapshot_message(s.id, s.world, s.tick, s.sim.link_flow_veh_h(), indicators or self.indicators(),
                                self.layers.snapshot_layers())

    def game_view(self, client: Client) -> p.Game:
        assert client.player is not None
        s = self.session
        return game_message(s.game, s.roster, client.player, s.tick)

    def health(self) -> dict[str, object]:
        s = self.session
        return {"id": s.id, "world": s.world.meta.name, "tick": s.tick, "players": len(s.roster),
                "connected": len(self.clients), "paused": not self.ticking, "rules": s.rules.name,
                "phase": s.game.clock.view().name or s.game.clock.state.value}

