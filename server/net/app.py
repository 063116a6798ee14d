"""The starlette application: HTTP for health, schema and sessions, `/ws` for players.

    registry = SessionRegistry(eventlog, previews)
    app = create_app(registry, admin_token="...")   # runners start with the app, stop with it
    uvicorn.run(app, host="127.0.0.1", port=8000)

    POST /sessions {"world": "default"}   (Authorization: Bearer <admin token>)
      -> 201 {"session": "3f9c2a1d", "code": "K7QF2M", "observer_code": "...", "facilitator_token": "..."}
    GET /join/K7QF2M   (no token: what a lobby shows before joining, see protocol.JoinInfo)
      -> 200 {"title": "Velmstadt", "personas": [...], "full": false, ...}, or 404 {"code": "bad_code", ...}
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import Any, AsyncIterator, Mapping, Sequence

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from agora.server import __version__
from agora.server import protocol as p
from agora.server.net.clients import Client
from agora.server.net.joins import join_info
from agora.server.net.replay_connections import ReplayConnection, ReplayService
from agora.server.net.runner import SessionRunner
from agora.server.net.session_routes import session_routes
from agora.server.net.sessions import SessionRegistry
from agora.server.session.rulesets import RuleSetError
from agora.server.world.world import WorldError

log = logging.getLogger("agora.net")


class NewSession(msgspec.Struct, forbid_unknown_fields=True):
    world: str = "default"  # a bundled world's name, or a world folder on the server
    code: str | None = None  # the players' join code; random if not given
    tick_seconds: float | None = None
    rules: str = "workshop"  # a bundled rule set's name (workshop, demo) or a rule set file on the server
    live_edits: bool = True  # players may change the town directly; false: only through adopted proposals
    max_players: int | None = None  # player seats; the rule set's (60 unless it says) if not given


def decode_frame(frame: Mapping[str, Any]) -> tuple[p.ClientMessage | None, p.Error | None, bool]:
    """(message, error, is_json) for one received websocket frame."""
    text, data = frame.get("text"), frame.get("bytes")
    is_json = text is not None
    try:
        if isinstance(text, str):
            return p.client_json_decoder.decode(text), None, True
        if isinstance(data, (bytes, bytearray)):
            return p.client_msgpack_decoder.decode(data), None, False
        return None, p.Error("bad_frame", "The frame was empty."), is_json
    except msgspec.ValidationError as exc:
        if "`$.type`" in str(exc) or "Object missing required field `type`" in str(exc):
            return None, p.Error("unknown_type", f"That message type is not one this server knows ({exc}); see GET /schema."), is_json
        return None, p.Error("bad_message", f"The message does not fit its schema: {exc}."), is_json
    except msgspec.DecodeError as exc:
        kind = "JSON" if is_json else "msgpack"
        return None, p.Error("bad_frame", f"The frame is not valid {kind}: {exc}."), is_json


def create_app(sessions: SessionRegistry | Sequence[SessionRunner], admin_token: str | None = None) -> Starlette:
    """The app over a registry of sessions (or a fixed list of runners). Without an
    admin token nobody can create sessions over HTTP."""
    if isinstance(sessions, SessionRegistry):
        registry = sessions
    else:
        registry = SessionRegistry(None)
        for runner in sessions:
            registry.add(runner)
    # Replays read the session database through a connection of their own, opened when
    # the first planner asks.
    replays: list[ReplayService] = []

    def replay_service() -> ReplayService:
        if not replays:
            db = registry.eventlog.path if registry.eventlog is not None else None
            replays.append(ReplayService(db, admin_token, registry.previews))
        return replays[0]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for runner in registry.runners.values():
            runner.start()
        yield
        for runner in list(registry.runners.values()):
            await runner.stop()
        for service in replays:
            service.close()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__,
                             "sessions": [r.health() for r in registry.runners.values()]})

    async def schema(request: Request) -> Response:
        return JSONResponse(p.schema())

    def refuse(status: int, code: str, message: str) -> Response:
        return JSONResponse({"code": code, "message": message}, status_code=status)

    def authorised(request: Request) -> bool:
        given = request.headers.get("authorization", "")
        return admin_token is not None and secrets.compare_digest(given, f"Bearer {admin_token}")

    async def sessions_endpoint(request: Request) -> Response:
        if not authorised(request):
            return refuse(401, "not_authorised", "Creating and listing sessions needs the server's admin token "
                          "(printed by agora serve) as 'Authorization: Bearer TOKEN'.")
        if request.method == "GET":
            return JSONResponse([r.health() | {"code": r.session.code, "observer_code": r.session.observer_code}
                                 for r in registry.runners.values()])
        try:
            body = msgspec.json.decode(await request.body(), type=NewSession)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            return refuse(400, "bad_request", f"Send JSON like {{\"world\": \"default\"}}: {exc}.")
        if registry.eventlog is None:
            return refuse(503, "cannot_create", "This server was started without a session log; it cannot add sessions.")
        try:
            created = await asyncio.to_thread(registry.prepare, body.world, body.code, body.tick_seconds,
                                              body.rules, body.live_edits, body.max_players)
        except WorldError as exc:
            return refuse(400, "no_such_world", str(exc))
        except RuleSetError as exc:
            return refuse(400, "no_such_rules", str(exc))
        except ValueError as exc:
            return refuse(400, "bad_request", str(exc))
        created.runner.start()
        s = created.runner.session
        return JSONResponse({"session": s.id, "world": s.world.meta.name, "rules": s.rules.name, "code": s.code,
                             "observer_code": s.observer_code, "facilitator_token": created.facilitator.token},
                            status_code=201)

    async def join_endpoint(request: Request) -> Response:
        code = request.path_params["code"]
        runner = registry.by_code(code)
        if runner is None:
            return refuse(404, "bad_code", f"No session here has the join code {code!r}; "
                          "check it on the facilitator's screen.")
        return Response(msgspec.json.encode(join_info(runner.session, code)), media_type="application/json")

    def route(hello: p.Hello) -> SessionRunner | None:
        if hello.token:
            return registry.by_token(hello.token)
        return registry.by_code(hello.code)

    async def websocket_endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        client = Client(websocket)
        runner: SessionRunner | None = None
        replay: ReplayConnection | None = None
        try:
            while True:
                frame = await websocket.receive()
                if frame["type"] == "websocket.disconnect":
                    break
                message, error, is_json = decode_frame(frame)
                if runner is None:
                    client.uses_json = is_json
                if error is not None:
                    client.send(error)
                    continue
                assert message is not None
                if replay is not None:
                    replay.submit(message)
                    continue
                if runner is None and isinstance(message, p.Hello) and message.replay is not None:
                    replay = replay_service().open(client, message)
                    continue
                if runner is None:
                    if not isinstance(message, p.Hello):
                        client.send(p.Error("not_joined", "Say hello first: send a hello message with the join code and your name."))
                        continue
                    runner = route(message)
                    if runner is None:
                        what = "reconnect token" if message.token else f"join code {message.code!r}"
                        client.send(p.Error("bad_token" if message.token else "bad_code",
                                            f"No session here has that {what}; check it on the facilitator's screen."))
                        client.close_after_flush()
                        continue
                runner.submit(client, message)
        finally:
            if runner is not None:
                runner.leave(client)
            if replay is not None:
                await replay.stop()
            await client.stop()

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/schema", schema),
            Route("/protocol.json", schema),
            Route("/sessions", sessions_endpoint, methods=["GET", "POST"]),
            *session_routes(registry, admin_token),
            Route("/join/{code}", join_endpoint),
            WebSocketRoute("/ws", websocket_endpoint),
        ],
        lifespan=lifespan,
    )
