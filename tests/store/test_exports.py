"""`agora export`: the recorded workshop of recording.py as GeoJSON (it parses, every link
carries its flow, speed, capacity, emissions and closure), CSV (stable columns, a row per
tick, the proposals, votes and comments) and an HTML report (every proposal, charts as
embedded PNGs); pseudonymised, no player's name and no token is left anywhere."""

from __future__ import annotations

import base64
import csv
import json
import re
from pathlib import Path

import pytest
from agora.server.cli import main
from agora.server.exports import (
    CHAT_COLUMNS,
    COMMENT_COLUMNS,
    LINK_PROPERTIES,
    PROPOSAL_COLUMNS,
    TICK_COLUMNS,
    VOTE_COLUMNS,
    Names,
    pseudonym,
)
from agora.server.session.players import PlayerId, Role
from agora.server.session.session import Joined
from agora.server.sim.indicators import EMISSION_INDICATORS, INDICATORS
from agora.server.store.eventlog import EventLog
from agora.server.world.world import World, resolve_world

from tests.conftest import ARTIFACTS
from tests.store.recording import record_workshop

NAMES = ("ada", "bob")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workshop (100 ticks on the default town; proposals 'Quiet street' by ada,
    adopted then rolled back, and 'Park' by bob, adopted; a comment; two approval ballots)."""
    path = tmp_path_factory.mktemp("exports") / "agora.db"
    log = EventLog(path)
    record_workshop(log, World.load(resolve_world("default")), every=20)
    log.close()
    return path


@pytest.fixture(scope="module")
def tokens(db: Path) -> list[str]:
    log = EventLog(db)
    found = [j.token for j in log.players("w1")]
    log.close()
    assert all(found)
    return found


def export(db: Path, out: Path, fmt: str, *extra: str) -> Path:
    assert main(["export", str(db), "--session", "w1", "--format", fmt, "--out", str(out), *extra]) == 0
    return out


def test_the_geojson_parses_and_every_link_carries_its_traffic_and_emissions(db: Path, tmp_path: Path) -> None:
    data = json.loads(export(db, tmp_path / "w1.geojson", "geojson").read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 683
    assert data["properties"]["tick"] == 100 and "local" in data["properties"]["frame"]
    for feature in data["features"]:
        assert feature["geometry"]["type"] == "LineString" and len(feature["geometry"]["coordinates"]) == 2
        assert tuple(feature["properties"]) == LINK_PROPERTIES
    links = [f["properties"] for f in data["features"]]
    assert sum(link["flow_veh_h"] for link in links) > 0 and all(link["capacity_veh_h"] > 0 for link in links)
    assert all(link["co2_g_h"] is not None and link["co2_g_h"] >= 0 for link in links)
    driven = [link for link in links if link["flow_veh_h"] > 0]
    assert all(0 < link["speed_kmh"] <= 130 for link in driven)
    assert sum(link["closed"] for link in links) == 0  # the quiet street was rolled back, the other reopened
    assert all(link["flow_veh_h"] == 0 for link in links if link["closed"])
    # Street names, for labels in QGIS: the town's streets are named, its paths mostly not.
    named = [link["name"] for link in links if link["name"]]
    assert len(named) > len(links) / 2 and len(set(named)) > 10


def read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_the_csv_has_a_row_per_tick_in_stable_columns_and_the_game_beside(db: Path, tmp_path: Path) -> None:
    folder = export(db, tmp_path / "csv", "csv")
    indicators = read(folder / "indicators.csv")
    header, rows = indicators[0], indicators[1:]
    assert header[:len(TICK_COLUMNS) + 9] == [*TICK_COLUMNS, *INDICATORS, *EMISSION_INDICATORS]
    impacts = header[len(TICK_COLUMNS) + 9:]
    assert impacts == sorted(impacts) and "no2_pop_weighted_ug_m3" in impacts
    assert [int(r[0]) for r in rows] == list(range(1, 101)) and all(len(r) == len(header) for r in rows)
    assert float(rows[0][1]) != float(rows[-1][1]), "the clock moves on"
    # Stable: a second export gives the same header (and the same numbers: replay is exact).
    assert read(export(db, tmp_path / "again", "csv") / "indicators.csv") == indicators

    proposals = read(folder / "proposals.csv")
    assert proposals[0] == list(PROPOSAL_COLUMNS)
    assert [(r[1], r[2], r[3]) for r in proposals[1:]] == [("Quiet street", "ada", "rolled_back"), ("Park", "bob", "adopted")]
    assert [r[9] for r in proposals[1:]] == ["2", "1"]  # approvals
    assert read(folder / "votes.csv") == [list(VOTE_COLUMNS), ["ada", "1", "approve"], ["ada", "2", "approve"],
                                          ["bob", "1", "approve"]]
    assert read(folder / "comments.csv") == [list(COMMENT_COLUMNS), ["1", "1", "", "bob", "12", "Deliveries?"]]
    assert read(folder / "chat.csv") == [list(CHAT_COLUMNS), ["1", "26", "ada", "0", "Vote soon?"],
                                         ["2", "77", "facilitator", "1", "Thank you"]]


def test_the_html_report_holds_every_proposal_and_its_charts(db: Path, tmp_path: Path) -> None:
    html = export(db, tmp_path / "w1.html", "html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    for title in ("Quiet street", "Park"):
        assert f"{title}</h3>" in html
    assert "Deliveries?" in html and "rolled_back" in html and "10,000 EUR" in html
    images = dict(re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">', html))
    assert set(images) == {"Indicators over ticks", "Map of the town at the start", "Map of car flows at the last tick",
                           "Map of proposal 1", "Map of proposal 2", "Map of the adopted plan"}
    assert all(len(image) > 5000 for image in images.values())
    # One map per proposal, each in its proposal's section, each drawn differently.
    for pid, title in ((1, "Quiet street"), (2, "Park")):
        section = html[html.index(f"{pid}. {title}</h3>"):]
        assert section.index(f'alt="Map of proposal {pid}"') < section.index("<h4>History</h4>")
    assert len({images["Map of proposal 1"], images["Map of proposal 2"], images["Map of the town at the start"]}) == 3
    (ARTIFACTS / "store").mkdir(parents=True, exist_ok=True)  # for a person to look at
    for alt, data in images.items():
        (ARTIFACTS / "store" / f"report-{alt.lower().replace(' ', '-')}.png").write_bytes(base64.b64decode(data))
    assert "http://" not in html and "https://" not in html, "readable offline"


def test_pseudonymised_exports_hold_no_name_and_no_token(db: Path, tmp_path: Path, tokens: list[str]) -> None:
    texts = [export(db, tmp_path / "w1.geojson", "geojson", "--pseudonymise").read_text(encoding="utf-8"),
             export(db, tmp_path / "w1.html", "html", "--pseudonymise").read_text(encoding="utf-8")]
    texts += [path.read_text(encoding="utf-8")
              for path in sorted(export(db, tmp_path / "csv", "csv", "--pseudonymise").iterdir())]
    # Base64 images may hold any three letters by chance: they are not names.
    texts = [re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text) for text in texts]
    for text in texts:
        for name in NAMES:
            assert not re.search(rf"\b{name}\b", text, re.IGNORECASE), name
        for token in tokens:
            assert token not in text
    ada = pseudonym("w1", "ada")
    assert ada == pseudonym("w1", "ada") != pseudonym("w2", "ada") and re.fullmatch(r"[0-9a-f]{8}", ada)
    votes = read(tmp_path / "csv" / "votes.csv")
    assert [r[0] for r in votes[1:]] == [ada, ada, pseudonym("w1", "bob")]
    assert f"By {ada};" in texts[1]


def test_tokens_are_never_exported_even_without_pseudonyms(db: Path, tmp_path: Path, tokens: list[str]) -> None:
    outputs = [export(db, tmp_path / "w1.html", "html").read_text(encoding="utf-8")]
    outputs += [p.read_text(encoding="utf-8") for p in export(db, tmp_path / "csv", "csv").iterdir()]
    assert not any(token in text for token in tokens for text in outputs)


def test_agora_export_refuses_what_it_cannot_export(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "none.db"), "--format", "csv"]) == 2
    assert main(["export", str(db), "--session", "nope", "--format", "csv"]) == 2
    assert "holds no session 'nope' (it holds: w1)" in capsys.readouterr().err


def test_pseudonyms_replace_names_written_in_free_text_too() -> None:
    players = [Joined(PlayerId(1), "facilitator", Role.FACILITATOR), Joined(PlayerId(2), "Ada", Role.PLAYER),
               Joined(PlayerId(3), "ada lovelace", Role.PLAYER)]
    names = Names("w1", players, pseudonymise=True)
    ada, lovelace = pseudonym("w1", "Ada"), pseudonym("w1", "ada lovelace")
    assert names.text("Ask ADA, or Ada Lovelace; not Adam or canada") == f"Ask {ada}, or {lovelace}; not Adam or canada"
    assert names.of(2) == ada and names.name("Ada") == ada
    assert Names("w1", players, pseudonymise=False).text("Ask Ada") == "Ask Ada"
