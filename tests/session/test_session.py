from __future__ import annotations

import pytest

from agora.server.protocol import CloseLink, ReopenLink
from agora.server.session.errors import CommandError
from agora.server.session.players import Role
from agora.server.session.session import Session, replay
from agora.server.world.world import World


def refused(session: Session, player, command) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError) as info:
        session.check(player, command)
    assert info.value.message  # every refusal carries a sentence for people
    return info.value.code


def test_a_wrong_join_code_is_refused(tiny_world: World) -> None:
    session = Session("s", tiny_world, code="ABCDEF")
    with pytest.raises(CommandError) as info:
        session.join("ZZZZZZ", "ada")
    assert info.value.code == "bad_code"
    assert session.join("abcdef", "ada").name == "ada"  # codes are case-insensitive
    with pytest.raises(CommandError, match="pseudonym"):
        session.join("ABCDEF", "   ")


def test_a_closed_street_carries_no_cars_and_traffic_goes_round(tiny_world: World) -> None:
    session = Session("s", tiny_world, code="ABCDEF")
    ada = session.join("ABCDEF", "ada")
    for _ in range(5):
        session.advance()
    before = session.sim.link_flow_veh_h().copy()
    busiest = int(before.argmax())
    order = session.check(ada, CloseLink(link=busiest))
    assert order.tick == session.tick + 1 and order.seq == 1
    session.schedule(order)
    applied = session.advance()
    assert [done.order for done in applied] == [order]
    street = session.links_of(busiest)
    assert applied[0].change.links == street
    assert len(street) == 2 and session.closed[street].all()
    after = session.sim.link_flow_veh_h()
    assert after[street].sum() == 0.0
    assert after.sum() > 0.0 and abs(after - before).max() > 1.0


def test_every_bad_command_has_its_code(tiny_world: World) -> None:
    session = Session("s", tiny_world, code="ABCDEF")
    ada = session.join("ABCDEF", "ada")
    n = tiny_world.network.n_links
    assert refused(session, ada, CloseLink(link=n)) == "no_such_link"
    assert refused(session, ada, CloseLink(link=-1)) == "no_such_link"
    assert refused(session, ada, CloseLink(link=n - 1)) == "not_drivable"  # the footpath
    assert refused(session, ada, ReopenLink(link=0)) == "not_closed"
    session.schedule(session.check(ada, CloseLink(link=0)))
    # Pending closes count: the twin of link 0 is link 1, the same street.
    assert refused(session, ada, CloseLink(link=1)) == "already_closed"
    session.advance()
    assert refused(session, ada, CloseLink(link=0)) == "already_closed"
    session.schedule(session.check(ada, ReopenLink(link=1)))
    session.advance()
    assert not session.closed[[0, 1]].any()
    watcher = session.roster.add("watcher", Role.OBSERVER)
    assert refused(session, watcher, CloseLink(link=2)) == "not_allowed"


def test_replaying_the_orders_gives_the_same_state(tiny_world: World) -> None:
    live = Session("s", tiny_world.copy(), code="ABCDEF")
    ada = live.join("ABCDEF", "ada")
    orders = []
    for tick in range(12):
        if tick in (3, 7):
            command = CloseLink(link=4) if tick == 3 else ReopenLink(link=5)
            order = live.check(ada, command)
            live.schedule(order)
            orders.append(order)
        live.advance()
    again = replay(Session("s", tiny_world.copy(), code="ABCDEF"), orders, to_tick=12)
    assert again.state_hash() == live.state_hash()
    untouched = replay(Session("s", tiny_world.copy(), code="ABCDEF"), [], to_tick=12)
    assert untouched.state_hash() != live.state_hash()
