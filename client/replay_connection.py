"""The link to a replay server: a Connection whose hello asks to replay a recorded session.

    conn = ReplayConnection("ws://127.0.0.1:8000", session="3f9c2a1d", token="<facilitator or admin token>")
    conn.start()
    conn.messages.get()          # ConnectionOpened, then Welcome, Timeline, Resync, Game, ...
    conn.send(Seek(tick=40))
"""

from __future__ import annotations

from agora.client.connection import Connection
from agora.server import protocol as p


class ReplayConnection(Connection):
    def __init__(self, server: str, session: str, token: str) -> None:
        super().__init__(server, code="", name="planner", token=token)
        self.session = session
        self.hello = p.Hello(code="", name="planner", token=token, replay=session)
