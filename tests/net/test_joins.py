"""GET /join/{code}: what a lobby shows before joining; and a session's player seats over
the websocket, set by POST /sessions."""

from __future__ import annotations

import httpx
import msgspec

from agora.server import protocol as p
from agora.server.session.rulesets import bundled
from tests.net.test_sessions import create, hello, server, sockets  # noqa: F401 (fixtures)


def join_info(address: str, code: str) -> httpx.Response:
    return httpx.get(f"http://{address}/join/{code}", timeout=10.0)


def test_a_code_tells_the_lobby_the_session_and_its_personas(server: str) -> None:  # noqa: F811
    made = create(server, world="default", rules="demo").json()
    answer = join_info(server, made["code"].lower())
    assert answer.status_code == 200
    info = msgspec_decode(answer)
    demo = bundled("demo")
    assert (info.session, info.world, info.rules, info.rules_title) == (made["session"], "default", "demo", demo.title)
    assert info.title and info.role == "player"
    assert [(q.name, q.title, q.description) for q in info.personas] == [
        (name, persona.title, persona.description) for name, persona in demo.personas.items()]
    assert (info.players, info.max_players, info.full) == (0, 60, False)
    assert msgspec_decode(join_info(server, made["observer_code"])).role == "observer"

    wrong = join_info(server, "NOSUCH")
    assert wrong.status_code == 404
    assert wrong.json()["code"] == "bad_code" and "NOSUCH" in wrong.json()["message"]


def test_a_full_session_refuses_the_next_player_with_session_full(server: str, sockets) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    bad = create(server, world="default", max_players=0)
    assert bad.status_code == 400 and "max_players must be 1 to 1000" in bad.json()["message"]
    made = create(server, world="default", max_players=2).json()
    ada, bob, cem, eve, ada_again = (sockets(server) for _ in range(5))
    first = hello(ada, code=made["code"], name="ada")
    assert isinstance(first, p.Welcome)
    assert isinstance(hello(bob, code=made["code"], name="bob"), p.Welcome)
    assert msgspec_decode(join_info(server, made["code"])).full

    refused = hello(cem, code=made["code"], name="cem")
    assert isinstance(refused, p.Error) and refused.code == "session_full"
    assert "all its player seats are taken (2 of 2)" in refused.message
    assert isinstance(hello(eve, code=made["observer_code"], name="eve"), p.Welcome)
    again = hello(ada_again, code="", name="", token=first.token)
    assert isinstance(again, p.Welcome) and again.player_id == first.player_id
    info = msgspec_decode(join_info(server, made["code"]))
    assert (info.players, info.max_players, info.full) == (2, 2, True)


def msgspec_decode(answer: httpx.Response) -> p.JoinInfo:
    assert answer.status_code == 200, answer.text
    return msgspec.json.decode(answer.content, type=p.JoinInfo)
