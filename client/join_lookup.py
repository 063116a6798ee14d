"""Asking a server about a join code before joining: GET /join/{code} (server/net/joins.py).

    found = look_up("ws://127.0.0.1:8000", "K7QF2M")   # blocks up to `timeout`: call it off the window
    found.info.title, [p.title for p in found.info.personas]     # when found.ok
    found.code, found.message                                    # when not: why, for people

Codes: "bad_address" (not a server address), "unreachable" (nothing answers there),
"bad_code" (no session has the code), "session_full" (no player seat is free), "no_lobby"
(a server from before GET /join: join anyway, the websocket says what is wrong).
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import msgspec

from agora.client.connection import is_loopback, websocket_url
from agora.server import protocol as p

TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Lookup:
    info: p.JoinInfo | None
    code: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.info is not None and not self.code


def full_sentence(info: p.JoinInfo) -> str:
    # As the server words it (session.py), for the lobby to say before trying.
    return (f"This session is full: all its player seats are taken ({info.players} of {info.max_players}). "
            "Ask the facilitator, or join with the observers' code to watch.")


def join_url(server: str, code: str) -> str:
    """The HTTP address of GET /join/{code} on the server behind a websocket address."""
    parts = urlsplit(websocket_url(server))
    scheme = "https" if parts.scheme == "wss" else "http"
    base = parts.path[: -len("/ws")] if parts.path.endswith("/ws") else parts.path.rstrip("/")
    return urlunsplit((scheme, parts.netloc, f"{base}/join/{quote(code.strip(), safe='')}", "", ""))


def look_up(server: str, code: str, timeout: float = TIMEOUT_S) -> Lookup:
    try:
        url = join_url(server, code)
    except ValueError as exc:
        return Lookup(None, "bad_address", str(exc))
    # A proxy from the environment would only get in the way of a local server.
    opener = urllib.request.build_opener(*([urllib.request.ProxyHandler({})] if is_loopback(url) else []))
    where = websocket_url(server)
    try:
        with opener.open(url, timeout=timeout) as answer:
            info = msgspec.json.decode(answer.read(), type=p.JoinInfo)
    except urllib.error.HTTPError as exc:
        return _refused(exc)
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return Lookup(None, "unreachable", f"Cannot reach the server at {where}: {_why(reason, timeout)}. "
                      "Check the address, or ask the facilitator whether the server is running.")
    except (msgspec.DecodeError, msgspec.ValidationError):
        return Lookup(None, "no_lobby", "")
    if info.full:
        return Lookup(info, "session_full", full_sentence(info))
    return Lookup(info)


def _refused(exc: urllib.error.HTTPError) -> Lookup:
    try:
        body = json.loads(exc.read())
    except (ValueError, OSError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), str) and isinstance(body.get("message"), str):
        return Lookup(None, body["code"], body["message"])
    return Lookup(None, "no_lobby", "")  # no GET /join on this server (an older version)


def _why(reason: object, timeout: float) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "nothing is listening there"
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"no answer within {timeout:.0f} s"
    if isinstance(reason, socket.gaierror):
        return "no computer has that name"
    return str(reason) or type(reason).__name__
