"""The HTML report of a recorded session: one self-contained file, readable offline, with
the session's summary, every proposal (its versions, history, comments and a map of its
interventions), the votes, maps of the town at the start and of the plan adopted by the
end (export_maps.py), and PNG charts drawn with matplotlib embedded as data URIs.

    Path("report.html").write_text(report_html(gather(recorded)), encoding="utf-8")
"""

from __future__ import annotations

import base64
from html import escape
from typing import Any

import numpy as np
from agora.server.export_maps import baseline_map, plan_map, png, proposal_map
from agora.server.exports import Exported
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

# The indicators charted over ticks (the rest are in indicators.csv), with their labels.
CHARTED = (
    ("vehicle_hours", "Vehicle hours (h per hour)"),
    ("mean_trip_min", "Mean car trip (min)"),
    ("co2_kg_h", "CO2 (kg/h)"),
    ("nox_kg_h", "NOx (kg/h)"),
    ("no2_pop_weighted_ug_m3", "NO2, population-weighted (ug/m3)"),
    ("residents_above_who_lden", "Residents above WHO Lden"),
)
_STYLE = """
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; color: #222; line-height: 1.4; }
table { border-collapse: collapse; margin: 0.5em 0; } td, th { border: 1px solid #ccc; padding: 0.2em 0.5em; }
th { background: #f3f3f3; text-align: left; } .proposal { border-top: 2px solid #888; margin-top: 1.5em; }
img { max-width: 100%; } .muted { color: #666; }
"""


def report_html(exported: Exported) -> str:
    e = exported
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Agora session {escape(e.session_id)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Session {escape(e.session_id)}: {escape(e.world_title or e.world_name)}</h1>",
        _summary(e),
        "<h2>Indicators over the session</h2>",
        '<p class="muted">Dotted lines: a proposal adopted (green) or rolled back (red).</p>',
        _img(_indicator_chart(e), "Indicators over ticks"),
        "<h2>The town at the start</h2>",
        _img(baseline_map(e), "Map of the town at the start"),
        "<h2>Traffic at the last tick</h2>",
        _img(_flow_map(e), "Map of car flows at the last tick"),
        f"<h2>Proposals ({len(e.proposals)})</h2>",
        *(_proposal(q, proposal_map(e, q)) for q in e.proposals),
        "<h2>Votes</h2>", _votes(e),
        "<h2>The adopted plan</h2>",
        _img(plan_map(e), "Map of the adopted plan"),
        "</body></html>",
    ]
    return "\n".join(parts)


def _summary(e: Exported) -> str:
    first, last = (e.ticks[0], e.ticks[-1]) if e.ticks else ({}, {})
    rows = [("World", f"{e.world_title} ({e.world_name})"), ("Rules", e.rules_name),
            ("Ticks reached", str(e.reached_tick)), ("Ended", "yes" if e.ended else "no"),
            ("Players", ", ".join(f"{name} ({role})" for _, name, role in e.players)),
            ("Names", "pseudonymised (stable hashes)" if e.pseudonymised else "as the players gave them")]
    table = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    indicators = "".join(f"<tr><th>{escape(name)}</th><td>{_figure(first.get(name))}</td><td>{_figure(value)}</td></tr>"
                         for name, value in last.items() if name not in ("tick", "clock_hour"))
    return (f"<h2>Summary</h2><table>{table}</table>"
            f"<h3>Indicators</h3><table><tr><th></th><th>First tick</th><th>Last tick ({e.reached_tick})</th></tr>"
            f"{indicators}</table>")


def _figure(value: float | None) -> str:
    return "" if value is None or not np.isfinite(value) else f"{value:.4g}"


def _proposal(q: dict[str, Any], map_png: bytes) -> str:
    versions = "".join(
        f"<tr><td>{v['number']}</td><td>{v['tick']}</td><td>{escape(v['title'])}</td><td>{escape(v['rationale'])}</td>"
        f"<td>{escape(', '.join(str(i.get('type', '?')) for i in v['interventions']))}</td><td>{v['cost_eur']:,}</td></tr>"
        for v in q["versions"])
    history = "".join(f"<li>tick {h['tick']}: {escape(str(h['status']))} by {escape(h['by_name'])}"
                      f"{': ' + escape(h['reason']) if h['reason'] else ''}</li>" for h in q["history"])
    comments = "".join(f"<li>tick {c['tick']}, {escape(c['author_name'])}: {escape(c['text'])}</li>"
                       for c in q["comments"]) or '<li class="muted">none</li>'
    return (f'<div class="proposal"><h3>{q["id"]}. {escape(q["title"])}</h3>'
            f"<p>By {escape(q['author_name'])}; status <b>{escape(str(q['status']))}</b>; "
            f"cost {q['cost_eur']:,} EUR; {len(q['versions'])} version(s)</p>"
            f"<table><tr><th>Version</th><th>Tick</th><th>Title</th><th>Rationale</th><th>Interventions</th>"
            f"<th>Cost (EUR)</th></tr>{versions}</table>"
            f"{_img(map_png, 'Map of proposal ' + str(q['id']))}"
            f"<h4>History</h4><ul>{history}</ul><h4>Comments</h4><ul>{comments}</ul></div>")


def _votes(e: Exported) -> str:
    if not e.votes:
        return '<p class="muted">No ballots were cast.</p>'
    rows = "".join(f"<tr><td>{escape(voter)}</td><td>{pid}</td><td>{escape(vote)}</td></tr>"
                   for voter, pid, vote in e.votes)
    return f"<table><tr><th>Voter</th><th>Proposal</th><th>Vote</th></tr>{rows}</table>"


def _img(data: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _indicator_chart(e: Exported) -> bytes:
    charted = [(name, label) for name, label in CHARTED if any(name in row for row in e.ticks)]
    figure = Figure(figsize=(9, 2.2 * max(1, (len(charted) + 1) // 2)), layout="constrained")
    axes = figure.subplots(max(1, (len(charted) + 1) // 2), 2, squeeze=False).ravel()
    ticks = [row["tick"] for row in e.ticks]
    # Where the town changed by the game's decisions: adoptions and rollbacks.
    decisions = sorted({(h["tick"], str(h["status"])) for q in e.proposals for h in q["history"]
                        if str(h["status"]) in ("adopted", "rolled_back")})
    for ax, (name, label) in zip(axes, charted):
        for tick, status in decisions:
            ax.axvline(tick, color="#1a9850" if status == "adopted" else "#d73027", linewidth=0.8, linestyle=":")
        ax.plot(ticks, [row.get(name, np.nan) for row in e.ticks], color="#1f5fa8", linewidth=1.2)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("tick", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(charted):]:
        ax.set_visible(False)
    return png(figure)


def _flow_map(e: Exported) -> bytes:
    figure = Figure(figsize=(7, 7), layout="constrained")
    ax = figure.add_subplot()
    coords = e.link_coords_m
    flow = np.array([link["flow_veh_h"] or 0.0 for link in e.links])
    closed = np.array([link["closed"] for link in e.links], dtype=bool)
    if len(coords):
        widths = 0.4 + 4.0 * flow / max(float(flow.max()), 1.0)
        roads = LineCollection(list(coords[~closed]), linewidths=widths[~closed], cmap="inferno_r")
        roads.set_array(flow[~closed])
        ax.add_collection(roads)
        figure.colorbar(roads, ax=ax, shrink=0.7, label="car flow (veh/h)")
        if closed.any():
            ax.add_collection(LineCollection(list(coords[closed]), colors="#1a9850", linewidths=2.0, linestyles="dashed",
                                             label="closed to cars"))
            ax.legend(loc="lower right", fontsize=8)
        ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(f"Car flows at tick {e.reached_tick}", fontsize=10)
    return png(figure)
