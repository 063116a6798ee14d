"""Street names: kept beside the world's arrays (outside its state hash), saved and loaded,
absent from old world files, given to the default town from its seed, and sent on the wire."""

from __future__ import annotations

import zipfile
from pathlib import Path

import msgspec
import numpy as np
import pytest

from agora.client.city import City
from agora.server import protocol as p
from agora.server.net import messages
from agora.server.world.generate import DEFAULT_SEED, generate_town
from agora.server.world.names import LINK_KEY, TEXT_KEY, LinkNames
from agora.server.world.world import World, WorldError, resolve_world


@pytest.fixture(scope="module")
def town() -> World:
    return World.load(resolve_world("default"))


def test_names_are_kept_once_with_an_index_per_link() -> None:
    names = LinkNames.of(["Mill Lane", "", "Mill Lane", "Kaivokatu"])
    assert names.text == ["Mill Lane", "Kaivokatu"]
    assert names.link.tolist() == [0, -1, 0, 1] and names.link.dtype == np.int32
    assert [names.name(i) for i in range(4)] == ["Mill Lane", "", "Mill Lane", "Kaivokatu"]


def test_save_and_load_keep_the_names_and_the_hash_ignores_them(town: World, tmp_path: Path) -> None:
    world = town.copy()
    assert world.names is not None and world.names.text == town.names.text  # type: ignore[union-attr]
    world.names = LinkNames.of(["Kaivokatu"] * world.network.n_links)
    assert world.state_hash() == town.state_hash()
    world.save(tmp_path / "named")
    again = World.load(tmp_path / "named")
    assert again.names is not None and again.names.text == ["Kaivokatu"]
    assert (again.names.link == 0).all()


def test_a_world_file_from_before_names_loads_with_every_link_unnamed(town: World, tmp_path: Path) -> None:
    town.save(tmp_path / "old")
    npz = tmp_path / "old" / "world.npz"
    with np.load(npz) as data:
        arrays = {k: data[k] for k in data.files if k not in (LINK_KEY, TEXT_KEY)}
    np.savez_compressed(npz, **arrays)  # type: ignore[arg-type]
    assert LINK_KEY not in zipfile.ZipFile(npz).namelist()[0]
    old = World.load(tmp_path / "old")
    assert old.state_hash() == town.state_hash()
    assert old.names is not None and old.names.text == [] and (old.names.link == -1).all()
    assert old.names.link.shape == (town.network.n_links,)


def test_names_that_do_not_fit_the_network_are_refused(town: World) -> None:
    arrays = {**town.arrays(), LINK_KEY: np.zeros(3, np.int32), TEXT_KEY: np.array(["A"])}
    with pytest.raises(WorldError, match=r"names.link has shape \(3,\)"):
        World.from_arrays(town.meta, arrays)
    arrays[LINK_KEY] = np.full(town.network.n_links, 5, np.int32)
    with pytest.raises(WorldError, match="refers to a name outside"):
        World.from_arrays(town.meta, arrays)


def test_the_default_town_names_its_streets_from_its_seed(town: World) -> None:
    fresh = generate_town(DEFAULT_SEED)
    assert fresh.names is not None and town.names is not None
    assert fresh.names.text == town.names.text and np.array_equal(fresh.names.link, town.names.link)
    n, names = town.network, town.names
    assert (names.link >= 0).all()
    assert len(names.text) >= 50 and len(set(names.text)) == len(names.text)
    # Both directions of a street share its name; an arterial is a road or an avenue.
    has_twin = n.twin >= 0
    assert np.array_equal(names.link[has_twin], names.link[n.twin[has_twin]])
    arterial = names.name(int(np.flatnonzero(n.road_class == 0)[0]))
    assert arterial.endswith(("Road", "Avenue")), arterial
    other = generate_town(DEFAULT_SEED + 1)
    assert other.names is not None and other.names.text != town.names.text


def test_the_snapshot_carries_the_names_and_an_old_one_without_them_still_decodes(town: World) -> None:
    net = messages.network_message(town)
    assert net.names == town.names.text  # type: ignore[union-attr]
    assert net.link_name is not None and net.link_name.to_numpy().tolist() == town.names.link.tolist()  # type: ignore[union-attr]
    snap = messages.snapshot_message("s", town, 0, np.zeros(town.network.n_links, np.float32),
                                     p.Indicators(1.0, 1.0, 1.0, 1.0, 0.0, 0.0))
    wire = msgspec.msgpack.decode(msgspec.msgpack.encode(snap), type=p.Snapshot)
    city = City(wire)
    link = int(np.flatnonzero(town.network.road_class == 0)[0])
    assert city.street_name(link) == town.names.name(link)  # type: ignore[union-attr]
    # A server from before names sends a Network without the two fields.
    old = msgspec.msgpack.decode(msgspec.msgpack.encode(snap))  # plain dicts, bytes kept
    del old["network"]["link_name"], old["network"]["names"]
    before = msgspec.msgpack.decode(msgspec.msgpack.encode(old), type=p.Snapshot)
    assert before.network.link_name is None and before.network.names == []
    assert City(before).street_name(link) == ""


def test_a_recorded_session_keeps_its_worlds_names(town: World, tmp_path: Path) -> None:
    from agora.server.session.session import Session
    from agora.server.store.eventlog import EventLog

    log = EventLog(tmp_path / "agora.db")
    try:
        log.open_session(Session("s", town, code="NAMES1"), town.state_hash())
        kept = log.world(town.state_hash())
    finally:
        log.close()
    assert kept is not None and kept.state_hash() == town.state_hash()
    assert kept.names is not None and kept.names.text == town.names.text  # type: ignore[union-attr]
    assert np.array_equal(kept.names.link, town.names.link)  # type: ignore[union-attr]
