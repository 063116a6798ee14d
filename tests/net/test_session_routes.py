"""The facilitator's HTTP routes on a session: exports download (a zip for the CSV tables, the
HTML report, GeoJSON) with the session's facilitator token or the admin token and are
refused without, while the session ticks on; ending a session tells its players, refuses
their next command, and a restarted server does not resume it."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from websockets.sync.client import connect

from agora.server import protocol as p
from agora.server.net.app import create_app
from agora.server.net.sessions import SessionRegistry
from agora.server.store.eventlog import EventLog
from tests.conftest import serve_app
from tests.net.test_websocket import Player

ADMIN = "s3cret-admin"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "agora.db"


@pytest.fixture
def server(db: Path) -> Iterator[str]:
    log = EventLog(db)
    registry = SessionRegistry(log, tick_seconds=0.05)
    try:
        with serve_app(create_app(registry, admin_token=ADMIN)) as address:
            yield address
    finally:
        log.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_session(address: str) -> dict[str, str]:
    created = httpx.post(f"http://{address}/sessions", json={"world": "default", "rules": "demo"},
                         headers=bearer(ADMIN), timeout=300.0)
    assert created.status_code == 201
    body: dict[str, str] = created.json()
    return body


def tick_of(address: str, session_id: str) -> int:
    health = httpx.get(f"http://{address}/healthz").json()
    return int(next(s["tick"] for s in health["sessions"] if s["id"] == session_id))


def test_exports_download_with_the_facilitators_token_and_are_refused_without(server: str) -> None:
    s = new_session(server)
    url = f"http://{server}/sessions/{s['session']}/export"
    with connect(f"ws://{server}/ws") as ws:
        ada = Player(ws)
        ada.send(p.Hello(code=s["code"], name="ada"))
        ada.wait_for(lambda m: isinstance(m, p.Welcome))
        ada.send(p.Chat(text="Hello from ada"))
        ada.wait_for(lambda m: isinstance(m, p.Accepted))
        ada.ticks(3)

    for headers in ({}, bearer("guess"), bearer(s["code"])):
        refused = httpx.get(url, params={"format": "csv"}, headers=headers)
        assert refused.status_code == 401 and refused.json()["code"] == "not_authorised"
    bad = httpx.get(url, params={"format": "pdf"}, headers=bearer(ADMIN))
    assert bad.status_code == 400 and bad.json()["code"] == "bad_format"
    unknown = httpx.get(f"http://{server}/sessions/nope/export", params={"format": "csv"}, headers=bearer(ADMIN))
    assert unknown.status_code == 404 and unknown.json()["code"] == "no_such_session"

    before = tick_of(server, s["session"])
    started = time.monotonic()
    zipped = httpx.get(url, params={"format": "csv", "pseudonymise": "1"}, headers=bearer(s["facilitator_token"]),
                       timeout=300.0)
    seconds = time.monotonic() - started
    assert zipped.status_code == 200 and zipped.headers["content-type"] == "application/zip"
    assert f'filename="{s["session"]}-csv.zip"' in zipped.headers["content-disposition"]
    # The session ticked on while the export replayed it (20 ticks a second here).
    assert tick_of(server, s["session"]) >= before + min(5, int(seconds * 10))
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        names = sorted(archive.namelist())
        assert names == [f"{s['session']}-csv/{n}" for n in
                         ("chat.csv", "comments.csv", "indicators.csv", "proposals.csv", "votes.csv")]
        chat = list(csv.reader(io.StringIO(archive.read(f"{s['session']}-csv/chat.csv").decode())))
    assert chat[0] == ["seq", "tick", "author", "announcement", "text"]
    assert chat[1][2] != "ada" and len(chat[1][2]) == 8, "pseudonymised"
    assert chat[1][4] == f"Hello from {chat[1][2]}", "names written in chat lines too"

    report = httpx.get(url, params={"format": "html"}, headers=bearer(ADMIN), timeout=300.0)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert report.text.startswith("<!DOCTYPE html>") and "Map of the town at the start" in report.text
    network = httpx.get(url, params={"format": "geojson"}, headers=bearer(ADMIN), timeout=300.0)
    assert network.status_code == 200 and len(network.json()["features"]) == 683


def test_ending_a_session_tells_its_players_and_a_restart_does_not_resume_it(server: str, db: Path) -> None:
    s = new_session(server)
    other = new_session(server)
    end = f"http://{server}/sessions/{s['session']}/end"
    with connect(f"ws://{server}/ws") as ws:
        ada = Player(ws)
        ada.send(p.Hello(code=s["code"], name="ada"))
        welcome = ada.wait_for(lambda m: isinstance(m, p.Welcome))
        assert isinstance(welcome, p.Welcome)
        refused = httpx.post(end, headers=bearer(welcome.token))
        assert refused.status_code == 401, "a player's token does not end the session"
        assert httpx.post(end).status_code == 401
        ada.send(p.EndSession())
        assert ada.error().code == "not_allowed"

        ended = httpx.post(end, headers=bearer(ADMIN))
        assert ended.status_code == 200 and ended.json()["ended"] is True
        told = ada.wait_for(lambda m: isinstance(m, p.Event) and m.command == "end_session")
        assert isinstance(told, p.Event) and told.player == "facilitator"
        game = ada.wait_for(lambda m: isinstance(m, p.Game))
        assert isinstance(game, p.Game) and game.phase.state == "finished"
        ada.send(p.Chat(text="still there?"))
        assert ada.error().code == "session_ended"
        again = httpx.post(end, headers=bearer(s["facilitator_token"]))
        assert again.status_code == 409 and again.json()["code"] == "session_ended"
        tick = tick_of(server, s["session"])
        time.sleep(0.3)
        assert tick_of(server, s["session"]) == tick, "an ended session no longer ticks"

    log = EventLog(db)
    try:
        row = log.session_row(s["session"])
        assert row is not None and row["ended_at"]
        assert log.orders(s["session"])[-1].command == p.EndSession()
        resumed = SessionRegistry(log).resume()
        assert [o.runner.session.id for o in resumed] == [other["session"]]  # type: ignore[union-attr]
    finally:
        log.close()
