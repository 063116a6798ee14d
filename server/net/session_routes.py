"""HTTP routes on one session, for its facilitator or the server's admin.

    POST /sessions/{id}/end        (Authorization: Bearer <admin token or the session's facilitator token>)
      -> 200 {"session": "3f9c2a1d", "ended": true, "tick": 812, "seq": 58}
    GET  /sessions/{id}/export?format=geojson|csv|html|geotiff[&pseudonymise=1][&layer=noise_lden_db]
      -> 200, a file download (csv: a zip of its tables)

Ending goes through the session's own task (SessionRunner.call), logged as an EndSession by
its facilitator like one they sent. An export reads the database on its own connection in
a worker thread, replaying the session there, so that the session's ticks go on meanwhile.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from agora.server.net.sessions import SessionRegistry
from agora.server.session.errors import CommandError
from agora.server.store.eventlog import EventLog


def refuse(status: int, code: str, message: str) -> Response:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def session_routes(registry: SessionRegistry, admin_token: str | None) -> list[Route]:
    def facilitator_tokens(session_id: str) -> list[str]:
        runner = registry.runners.get(session_id)
        if runner is not None:
            return [pl.token for pl in runner.session.roster if pl.role.value == "facilitator"]
        if registry.eventlog is None:
            return []
        return [j.token for j in registry.eventlog.players(session_id) if j.role.value == "facilitator" and j.token]

    def authorised(request: Request, session_id: str) -> bool:
        given = request.headers.get("authorization", "")
        tokens = ([admin_token] if admin_token else []) + facilitator_tokens(session_id)
        # Every token is compared, so that the time taken tells nothing about which matched.
        return any([secrets.compare_digest(given, f"Bearer {token}") for token in tokens])

    def unauthorised(what: str) -> Response:
        return refuse(401, "not_authorised", f"{what} needs the session's facilitator token or the server's admin "
                      "token, as 'Authorization: Bearer TOKEN'.")

    async def end(request: Request) -> Response:
        session_id = request.path_params["session"]
        if not authorised(request, session_id):
            return unauthorised("Ending a session")
        runner = registry.runners.get(session_id)
        if runner is None:
            return refuse(404, "no_such_session", f"This server runs no session {session_id!r}. A session that is not "
                          "running is ended with: agora session end DB --session ID.")
        try:
            order = await runner.call(runner.end)
        except CommandError as exc:
            return refuse(409, exc.code, exc.message)
        return JSONResponse({"session": session_id, "ended": True, "tick": order.tick, "seq": order.seq})

    async def export(request: Request) -> Response:
        from agora.server.export_files import ExportError, FORMATS, export_file

        session_id = request.path_params["session"]
        if not authorised(request, session_id):
            return unauthorised("Exporting a session")
        fmt = request.query_params.get("format", "")
        if fmt not in FORMATS:
            return refuse(400, "bad_format", f"Ask for format={' or '.join(FORMATS)}, not {fmt!r}.")
        if registry.eventlog is None:
            return refuse(404, "no_such_session", "This server keeps no session database to export from.")
        pseudonymise = request.query_params.get("pseudonymise", "") in ("1", "true", "yes")
        layer = request.query_params.get("layer") or None
        path = registry.eventlog.path
        folder = Path(tempfile.mkdtemp(prefix="agora-export-"))

        def work() -> Path:
            eventlog = EventLog(path)  # its own connection, in this thread
            try:
                return export_file(eventlog, session_id, fmt, folder, pseudonymise=pseudonymise, layer=layer)
            finally:
                eventlog.close()

        try:
            written = await asyncio.to_thread(work)
        except LookupError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            return refuse(404, "no_such_session", str(exc))
        except (ExportError, ValueError) as exc:
            shutil.rmtree(folder, ignore_errors=True)
            return refuse(400, "cannot_export", str(exc))
        cleanup: Callable[[], None] = lambda: shutil.rmtree(folder, ignore_errors=True)
        return FileResponse(written, filename=written.name, background=BackgroundTask(cleanup),
                            media_type=_MEDIA.get(written.suffix, "application/octet-stream"))

    return [
        Route("/sessions/{session}/end", end, methods=["POST"]),
        Route("/sessions/{session}/export", export, methods=["GET"]),
    ]


_MEDIA = {".geojson": "application/geo+json", ".zip": "application/zip", ".html": "text/html; charset=utf-8",
          ".tif": "image/tiff"}
