"""The starlette application: HTTP for health and schema, `/ws` for players.

    runner = SessionRunner(session, eventlog, tick_seconds=1.0)
    app = create_app([runner])          # runners start with the app, stop with it
    uvicorn.run(app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

import contextlib
import logging
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
from agora.server.net.runner import SessionRunner

log = logging.getLogger("agora.net")


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


def create_app(runners: Sequence[SessionRunner]) -> Starlette:
    by_code = {r.session.code: r for r in runners}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for runner in runners:
            runner.start()
        yield
        for runner in runners:
            await runner.stop()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__,
                             "sessions": [r.health() for r in runners]})

    async def schema(request: Request) -> Response:
        return JSONResponse(p.schema())

    def route(hello: p.Hello) -> SessionRunner | None:
        if hello.token:
            return next((r for r in runners if r.knows_token(hello.token)), None)
        return by_code.get(hello.code.strip().upper())

    async def websocket_endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        client = Client(websocket)
        runner: SessionRunner | None = None
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
            await client.stop()

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/schema", schema),
            WebSocketRoute("/ws", websocket_endpoint),
        ],
        lifespan=lifespan,
    )
