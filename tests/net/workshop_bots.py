"""Scripted participants of a workshop on a live server, for the end-to-end tests.

    bot = Bot.enter(stack, server, code=server.code, name="bot01")   # a websocket of its own
    minutes = Minutes()
    minutes.accepted(bot, p.Propose(title="Quiet street", interventions=[...]))
    assert refused(bot, p.Vote(approve=[1])) == "already_voted"
    minutes.rows    # seq -> (player, command): what the session log must hold

A Bot is the test Player of test_websocket.py (msgpack, flows kept delta by delta) that
also keeps the latest Game, snapshot and indicators it was sent. Each bot is driven by one
thread at a time; several bots may be driven by several threads at once.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import numpy as np
from websockets.sync.client import ClientConnection, connect

from agora.server import protocol as p
from tests.conftest import LiveServer
from tests.net.test_websocket import Player


class Bot(Player):
    def __init__(self, ws: ClientConnection) -> None:
        super().__init__(ws)
        self.id = 0
        self.name = ""
        self.role = ""
        self.game: p.Game | None = None
        self.snapshot: p.Snapshot | None = None  # the latest whole world (Welcome or Resync)
        self.indicators: p.Indicators | None = None  # of the latest tick heard of

    @classmethod
    def enter(cls, stack: contextlib.ExitStack, server: LiveServer, *, code: str = "", name: str = "",
              token: str | None = None) -> Bot:
        """Connect, say hello and read the Welcome."""
        # No limits on frame size or queue: a bot that is not being read keeps every message.
        ws = stack.enter_context(connect(server.ws_url + "/ws", max_size=None, max_queue=None, ping_interval=None))
        bot = cls(ws)
        bot.send(p.Hello(code=code, name=name, token=token))
        welcome = bot.receive()
        assert isinstance(welcome, p.Welcome), welcome
        return bot

    def receive(self, timeout: float = 10.0) -> p.ServerMessage:
        message = super().receive(timeout)
        match message:
            case p.Welcome(snapshot=snap, game=game):
                self.id, self.name, self.role, self.game = message.player_id, message.name, message.role, game
                self._whole(snap)
            case p.Resync(snapshot=snap):
                self._whole(snap)
            case p.Delta(indicators=indicators):
                self.indicators = indicators
            case p.Game():
                self.game = message
        return message

    def _whole(self, snap: p.Snapshot) -> None:
        self.snapshot, self.indicators = snap, snap.indicators
        self.closed = [int(link) for link in np.flatnonzero(snap.closed.to_numpy())]


def answer(bot: Bot, timeout: float = 20.0) -> p.Accepted | p.Error:
    """The server's answer to the bot's last command (a bot with a preview pending must not
    send commands: the preview's refusal would read as the command's)."""
    message = bot.wait_for(lambda m: isinstance(m, (p.Accepted, p.Error)), timeout)
    assert isinstance(message, (p.Accepted, p.Error))
    return message


def refused(bot: Bot, message: p.ClientMessage) -> str:
    """Send a command that must be refused; its error code."""
    bot.send(message)
    reply = answer(bot)
    assert isinstance(reply, p.Error), f"{bot.name}: expected {p.tag_of(message)} to be refused, got {reply}"
    assert reply.message
    return reply.code


def game(bot: Bot, want: Callable[[p.Game], bool], timeout: float = 20.0) -> p.Game:
    """The first Game message (the one in hand included) that satisfies `want`."""
    if bot.game is not None and want(bot.game):
        return bot.game
    message = bot.wait_for(lambda m: isinstance(m, p.Game) and want(m), timeout)
    assert isinstance(message, p.Game)
    return message


def phase(name: str) -> Callable[[p.Game], bool]:
    return lambda g: g.phase.name == name


def preview(bot: Bot, request: int, timeout: float = 120.0) -> p.Preview | p.Error:
    """The answer to the bot's preview `request` (previews take seconds: a worker simulates)."""
    message = bot.wait_for(lambda m: isinstance(m, (p.Preview, p.Error)) and m.request == request, timeout)
    assert isinstance(message, (p.Preview, p.Error))
    return message


class Minutes:
    """Every command the server accepted, by the seq it acknowledged: the session log read
    back from its file must hold exactly these, in this order."""

    def __init__(self) -> None:
        self.rows: dict[int, tuple[str, p.ClientMessage]] = {}
        self._lock = threading.Lock()

    def accepted(self, bot: Bot, message: p.ClientMessage) -> p.Accepted:
        bot.send(message)
        reply = answer(bot)
        assert isinstance(reply, p.Accepted), f"{bot.name}: {p.tag_of(message)} refused: {reply}"
        assert reply.command == p.tag_of(message)
        with self._lock:
            assert reply.seq not in self.rows, f"seq {reply.seq} acknowledged twice"
            self.rows[reply.seq] = (bot.name, message)
        return reply

    def in_order(self) -> list[tuple[int, str, p.ClientMessage]]:
        return [(seq, *self.rows[seq]) for seq in sorted(self.rows)]
