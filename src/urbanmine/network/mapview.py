"""The network plan as a self-contained offline HTML map (``urbanmine network --map FILE.html``).

Input: the result dict the CLI prints (region, status, gap, costs, ``years``, ``sources``,
``sites``, ``flows``; see docs/network.md "Map"). Output: one HTML page with plotly.js inlined
and the country outlines of ``urbanmine/data/network/outlines.json`` (Natural Earth, public
domain) drawn as lines: no geo subplot (plotly's geo fetches its shapes from a CDN), no tiles,
no fonts, nothing fetched. Longitude and latitude are plain x and y with the aspect ratio of the
map's middle latitude (a degree of longitude is cos(latitude) of a degree of latitude there).

Every period (``years``) has its own traces (sources, sites by tier, flows by commodity and
width class), tagged ``meta = {"period": year}``; a slider shows one period at a time. Outlines
and the legend key (status colours, tier symbols) are shared (``meta = {"period": None}``).
"""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from urbanmine.errors import InputError

BOXES = {  # (lon_min, lon_max, lat_min, lat_max) of each built-in region's map
    "europe": (-12.0, 35.0, 34.0, 71.0),
    "china": (73.0, 135.0, 17.0, 54.0),
}
MARGIN_DEG = 1.5  # around nodes that lie outside the box, or around the data of other regions
TIER_SYMBOL = {
    "collection": "triangle-up",
    "pretreatment": "square",
    "refining": "diamond",
    "market": "star",
}
STATUS_COLOUR = {  # Okabe-Ito colour-blind-safe palette, grey for the inactive statuses
    "operating": "#009E73",
    "construction": "#E69F00",
    "announced": "#56B4E9",
    "candidate": "#CC79A7",
    "suspended": "#7F7F7F",
    "closed": "#000000",
}
COMMODITY_COLOUR = {
    "packs": "#D55E00",
    "cells": "#E69F00",
    "scrap": "#8C564B",
    "blackmass": "#333333",
    "products": "#0072B2",
}
WIDTHS = (1.0, 2.5, 4.5, 7.0)  # px, one per tonnage class, thinnest first
DIV_ID = "network-map"


def outlines() -> dict[str, Any]:
    """The shipped outlines: ``{"source", "licence", "countries": {key: [ring, ...]}}``."""
    path = resources.files("urbanmine.data") / "network" / "outlines.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _outline_xy(countries: dict[str, list[list[list[float]]]]) -> tuple[list[Any], list[Any]]:
    """All rings as one polyline, rings separated by None."""
    rings = [np.asarray(r, dtype=float) for rs in countries.values() for r in rs]
    sep = np.array([[np.nan, np.nan]])
    xy = np.concatenate([a for r in rings for a in (r, sep)])
    out = xy.astype(object)
    out[np.isnan(xy)] = None
    return out[:, 0].tolist(), out[:, 1].tolist()


def _nodes(result: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """(lon, lat) of every source and site by name; bad coordinates named."""
    nodes: dict[str, tuple[float, float]] = {}
    for kind in ("sources", "sites"):
        for i, node in enumerate(result.get(kind, [])):
            lat, lon = node.get("lat"), node.get("lon")
            if not (
                isinstance(lat, int | float)
                and isinstance(lon, int | float)
                and -90 <= lat <= 90
                and -180 <= lon <= 180
            ):
                raise InputError(
                    f"{kind}[{i}] ({node.get('name')!r}): lat = {lat!r}, lon = {lon!r}; "
                    "give a latitude in [-90, 90] and a longitude in [-180, 180]"
                )
            nodes[node["name"]] = (float(lon), float(lat))
    return nodes


def _box(region: str, nodes: dict[str, tuple[float, float]]) -> tuple[float, float, float, float]:
    """The region's box, widened to every node; fitted to the nodes for other regions."""
    xy = np.array(list(nodes.values()) or [(0.0, 0.0)])
    lo = xy.min(axis=0) - MARGIN_DEG
    hi = xy.max(axis=0) + MARGIN_DEG
    if region not in BOXES:
        return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])
    x0, x1, y0, y1 = BOXES[region]
    return min(x0, lo[0]), max(x1, hi[0]), min(y0, lo[1]), max(y1, hi[1])


def _width_edges(tonnes: np.ndarray) -> np.ndarray:
    """Upper bounds of the tonnage classes (t/yr, 2 significant figures), one per width."""
    top = float(tonnes.max()) if tonnes.size else 1.0
    edges = top / 4.0 ** np.arange(len(WIDTHS) - 1, -1, -1)  # geometric, factor 4 apart
    digits = 1 - np.floor(np.log10(edges)).astype(int)
    nice = np.array([round(e, d) for e, d in zip(edges, digits, strict=True)])
    nice[-1] = max(nice[-1], top)
    return nice


def _class_name(commodity: str, k: int, edges: np.ndarray) -> str:
    if k == 0:
        return f"{commodity} < {edges[0]:,.0f} t/yr"
    return f"{commodity} {edges[k - 1]:,.0f}-{edges[k]:,.0f} t/yr"


def _flow_traces(
    flows: list[dict[str, Any]], nodes: dict[str, tuple[float, float]], year: int
) -> list[dict[str, Any]]:
    """One line trace per commodity and width class of the period's flows."""
    here = [f for f in flows if int(f["year"]) == year and float(f["t"]) > 0]
    if not here:
        return []
    edges = _width_edges(np.array([float(f["t"]) for f in flows if float(f["t"]) > 0]))
    t = np.array([float(f["t"]) for f in here])
    klass = np.minimum(np.searchsorted(edges, t), len(WIDTHS) - 1)
    a = np.array([nodes[f["from"]] for f in here])
    b = np.array([nodes[f["to"]] for f in here])
    commodity = np.array([f["commodity"] for f in here])
    label = np.array(
        [
            f"{f['from']} → {f['to']}<br>{f['commodity']}: {float(f['t']):,.0f} t/yr"
            + (f", {float(f['km']):,.0f} km" if f.get("km") is not None else "")
            for f in here
        ]
    )
    traces = []
    for c in dict.fromkeys(commodity.tolist()):
        for k in range(len(WIDTHS)):
            sel = (commodity == c) & (klass == k)
            if not sel.any():
                continue
            n = int(sel.sum())
            x = np.full((n, 3), None, dtype=object)
            y = np.full((n, 3), None, dtype=object)
            text = np.full((n, 3), None, dtype=object)
            x[:, 0], x[:, 1] = a[sel, 0], b[sel, 0]
            y[:, 0], y[:, 1] = a[sel, 1], b[sel, 1]
            text[:, 0] = text[:, 1] = label[sel]
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": x.ravel().tolist(),
                    "y": y.ravel().tolist(),
                    "text": text.ravel().tolist(),
                    "hoverinfo": "text",
                    "line": {"width": WIDTHS[k], "color": COMMODITY_COLOUR.get(c, "#444444")},
                    "opacity": 0.75,
                    "name": _class_name(c, k, edges),
                    "legendgroup": f"flow-{c}",
                }
            )
    return traces


def _source_trace(sources: list[dict[str, Any]], year: int, top: float) -> dict[str, Any]:
    """Sources as small circles, area proportional to the period's supply."""
    supply = np.array([_total(s.get("supply_t", {}), year) for s in sources])
    size = 5.0 + 15.0 * np.sqrt(supply / top) if top > 0 else np.full(len(sources), 5.0)
    return {
        "type": "scatter",
        "mode": "markers",
        "x": [s["lon"] for s in sources],
        "y": [s["lat"] for s in sources],
        "marker": {
            "size": size.tolist(),
            "color": "rgba(120,120,120,0.35)",
            "line": {"width": 1, "color": "#555555"},
            "symbol": "circle",
        },
        "text": [
            f"<b>{s['name']}</b><br>source: {v:,.0f} t/yr"
            for s, v in zip(sources, supply, strict=True)
        ],
        "hoverinfo": "text",
        "name": "sources (size: supply)",
        "legendgroup": "sources",
    }


def _total(series: Any, year: int | None) -> float:
    """The period's value of a per-year series (``{"2030": t}``), summed over commodities when
    keyed by commodity too (``{"packs": {"2030": t}}`` or ``{"2030": {"packs": t}}``)."""
    if isinstance(series, dict) and str(year) in series:
        return _total(series[str(year)], None)
    if isinstance(series, dict):
        return sum(_total(v, year) for v in series.values() if year is None or isinstance(v, dict))
    return float(series or 0.0)


def _site_traces(sites: list[dict[str, Any]], year: int) -> list[dict[str, Any]]:
    """One marker trace per tier: symbol by tier, colour by status, filled when open or used."""
    traces = []
    for tier, symbol in TIER_SYMBOL.items():
        here = [s for s in sites if s["tier"] == tier]
        if not here:
            continue
        cap = np.array([_total(s.get("capacity_t", {}), year) for s in here])
        use = np.array([_total(s.get("utilisation", {}), year) for s in here])
        opened = np.array(
            [s.get("opened_year") is not None and int(s["opened_year"]) <= year for s in here]
        )
        active = opened | (use > 0)
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [s["lon"] for s in here],
                "y": [s["lat"] for s in here],
                "marker": {
                    "size": 13,
                    "symbol": np.where(active, symbol, symbol + "-open").tolist(),
                    "color": [STATUS_COLOUR.get(s["status"], "#444444") for s in here],
                    "line": {"width": 1.5, "color": "#222222"},
                },
                "text": [
                    f"<b>{s['name']}</b> ({s.get('operator') or 'no operator'})<br>"
                    f"{tier}, {s['status']}"
                    + (f", opened {s['opened_year']}" if s.get("opened_year") else "")
                    + f"<br>{year}: capacity {c:,.0f} t/yr, utilisation {u:.0%}"
                    + ("" if a else " (not open)")
                    for s, c, u, a in zip(here, cap, use, active, strict=True)
                ],
                "hoverinfo": "text",
                "name": tier,
                "showlegend": False,
            }
        )
    return traces


def _legend() -> list[dict[str, Any]]:
    """Legend-only entries (one empty point each): status colours, tier symbols in grey."""

    def entry(name: str, symbol: str, colour: str) -> dict[str, Any]:
        return {
            "type": "scatter",
            "mode": "markers",
            "x": [None],
            "y": [None],
            "marker": {"size": 11, "color": colour, "symbol": symbol, "line": {"width": 1}},
            "name": name,
            "legendgroup": "key",
            "hoverinfo": "skip",
        }

    return [
        *(entry(f"status: {s}", "circle", c) for s, c in STATUS_COLOUR.items()),
        *(entry(f"tier: {t}", m, "#8a8a8a") for t, m in TIER_SYMBOL.items()),
        entry("hollow: not open, not used", "circle-open", "#444444"),
    ]


def _title(result: dict[str, Any], year: int) -> str:
    gap = result.get("gap")
    state = f"{result.get('status', '?')}" + (f", gap {float(gap):.2%}" if gap is not None else "")
    if result.get("optimal") is False:
        state += ", NOT optimal"
    return (
        f"Network plan, {result.get('region', '')}: period {year}<br><sub>"
        f"total {float(result.get('objective_eur', math.nan)) / 1e6:,.1f} M EUR, "
        f"{float(result.get('cost_per_kWh_eur', math.nan)):,.2f} EUR/kWh, "
        f"{float(result.get('cost_per_t_eur', math.nan)):,.0f} EUR/t ({state})</sub>"
    )


def figure(result: dict[str, Any], region: str) -> Any:
    """The plotly figure: shared outline and legend traces, then each period's traces."""
    import plotly.graph_objects as go

    nodes = _nodes(result)
    flows = result.get("flows", [])
    for i, f in enumerate(flows):
        for end in ("from", "to"):
            if f.get(end) not in nodes:
                raise InputError(
                    f"flows[{i}].{end} = {f.get(end)!r}: no source or site of that name"
                )
    years = [int(y) for y in result.get("years", [])] or sorted({int(f["year"]) for f in flows})
    if not years:
        raise InputError("years = []: the result has no period to draw")
    sources, sites = result.get("sources", []), result.get("sites", [])
    top = max((_total(s.get("supply_t", {}), y) for s in sources for y in years), default=0.0)
    xs, ys = _outline_xy(outlines()["countries"])
    shared: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": xs,
            "y": ys,
            "line": {"width": 0.7, "color": "#9a9a9a"},
            "hoverinfo": "skip",
            "showlegend": False,
            "name": "country outlines (Natural Earth)",
        },
        *_legend(),
    ]
    for trace in shared:
        trace["meta"] = {"period": None}
    per_period: list[dict[str, Any]] = []
    for y in years:
        group = [
            *_flow_traces(flows, nodes, y),
            _source_trace(sources, y, top),
            *_site_traces(sites, y),
        ]
        for trace in group:
            trace["meta"] = {"period": y}
            trace["visible"] = y == years[0]
        per_period += group
    x0, x1, y0, y1 = _box(region, nodes)
    fig = go.Figure(data=shared + per_period)
    period_of = [t["meta"]["period"] for t in per_period]
    steps = [
        {
            "label": str(y),
            "method": "update",
            "args": [
                {"visible": [True] * len(shared) + [p == y for p in period_of]},
                {"title.text": _title(result, y)},
            ],
        }
        for y in years
    ]
    fig.update_layout(
        title={"text": _title(result, years[0]), "x": 0.01},
        xaxis={
            "range": [x0, x1],
            "title": "longitude (deg)",
            "scaleanchor": "y",
            "scaleratio": math.cos(math.radians((y0 + y1) / 2)),
            "constrain": "domain",
            "showgrid": False,
            "zeroline": False,
        },
        yaxis={
            "range": [y0, y1],
            "title": "latitude (deg)",
            "constrain": "domain",
            "showgrid": False,
            "zeroline": False,
        },
        plot_bgcolor="#f4f8fb",
        sliders=[{"active": 0, "currentvalue": {"prefix": "period "}, "steps": steps}],
        legend={"groupclick": "toggleitem", "font": {"size": 11}},
        margin={"l": 50, "r": 10, "t": 70, "b": 40},
        hovermode="closest",
        height=800,
    )
    return fig


def map_html(result: dict[str, Any], region: str) -> str:
    """The whole page: HTML with plotly.js inlined, nothing loaded from the network."""
    return str(
        figure(result, region).to_html(
            include_plotlyjs=True,
            include_mathjax=False,
            full_html=True,
            div_id=DIV_ID,
            config={  # no "Share chart" button: it would upload the plan to Plotly Cloud
                "displaylogo": False,
                "responsive": True,
                "showSendToCloud": False,
            },
        )
    )


def write_map(result: dict[str, Any], region: str, path: str | Path) -> Path:
    """Write :func:`map_html` to ``path`` (UTF-8); returns the path."""
    out = Path(path)
    out.write_text(map_html(result, region), encoding="utf-8")
    return out
