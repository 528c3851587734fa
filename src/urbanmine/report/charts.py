"""The report's plotly figures, each from the numbers of one part of the summary.

Nothing is computed here: the figures lay out the run's values (the Sankey's links are the
element tonnages as given, the waterfall's bars the key carbon steps as given and its totals are
labelled with the run's burden and net). plotly is imported inside each function.
"""

from __future__ import annotations

import html
from typing import Any

MAIN_ELEMENTS = ("Li", "Ni", "Co", "Mn", "Cu", "Al")
OTHER = "other elements"
FATES = {  # summary key -> label, colour (Okabe-Ito)
    "product": ("products", "#0072B2"),
    "recycled": ("recycled (secondary materials)", "#009E73"),
    "energy_recovery": ("energy recovery", "#E69F00"),
    "landfill": ("landfill and slag", "#7F7F7F"),
    "emission": ("emissions to air and water", "#D55E00"),
}
INPUTS = {"feed": ("feedstock", "#56B4E9"), "reagents": ("reagents", "#CC79A7")}
SERIES = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
LAYOUT = {
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "height": 420,
    "autosize": True,
    "font": {"size": 13},
    "legend": {"orientation": "h", "y": -0.2},
}


def _esc(s: Any) -> str:
    """A name as plotly text: plotly reads a subset of HTML in labels, so escape it."""
    return html.escape(str(s), quote=False)


def _years(series: dict[str, Any]) -> list[str]:
    return sorted(series, key=int)


def element_sankey(elements: dict[str, dict[str, float]]) -> Any:
    """Feedstock and reagents -> element -> products, recycled and losses; the main elements
    apart, the others together (their tonnages side by side, as given)."""
    import plotly.graph_objects as go

    groups: dict[str, list[str]] = {el: [el] for el in MAIN_ELEMENTS if el in elements}
    rest = [el for el in elements if el not in MAIN_ELEMENTS]
    if rest:
        groups[OTHER] = rest
    labels = [lbl for lbl, _ in INPUTS.values()] + list(groups) + [lbl for lbl, _ in FATES.values()]
    colours = [c for _, c in INPUTS.values()] + ["#444444"] * len(groups)
    colours += [c for _, c in FATES.values()]
    index = {lbl: i for i, lbl in enumerate(labels)}
    src: list[int] = []
    dst: list[int] = []
    val: list[float] = []
    tip: list[str] = []
    col: list[str] = []

    def link(a: str, b: str, el: str, t: float, colour: str) -> None:
        if t > 0:
            src.append(index[a])
            dst.append(index[b])
            val.append(t)
            tip.append(_esc(el))
            col.append(colour + "88")

    for group, members in groups.items():
        for el in members:
            for key, (lbl, c) in INPUTS.items():
                link(lbl, group, el, float(elements[el].get(key, 0.0)), c)
            for key, (lbl, c) in FATES.items():
                link(group, lbl, el, float(elements[el].get(key, 0.0)), c)
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.0f",
            valuesuffix=" t",
            node={"label": [_esc(s) for s in labels], "color": colours, "pad": 14},
            link={
                "source": src,
                "target": dst,
                "value": val,
                "customdata": tip,
                "color": col,
                "hovertemplate": "%{customdata}: %{value}<extra></extra>",
            },
        )
    )
    fig.update_layout(**{**LAYOUT, "height": 520})
    return fig


def feed_vs_capacity(summary: dict[str, Any]) -> Any:
    """Feedstock and pre-treatment capacity by year, and the products' tonnages."""
    import plotly.graph_objects as go

    fig = go.Figure()
    lines = {
        "feedstock (t/yr)": summary.get("feedstock_t", {}),
        "pre-treatment capacity (t/yr)": summary.get("capacity_t", {}),
    }
    lines.update({f"{_esc(p)} (t/yr)": s for p, s in summary.get("products_t", {}).items()})
    for i, (name, series) in enumerate(lines.items()):
        ys = _years(series)
        fig.add_scatter(
            x=[int(y) for y in ys],
            y=[series[y] for y in ys],
            name=name,
            mode="lines+markers",
            line={"color": SERIES[i % len(SERIES)], "width": 3 if i < 2 else 1.5},
            line_dash="dash" if i == 1 else "solid",
        )
    fig.update_layout(**LAYOUT, xaxis_title="year", yaxis_title="t/yr", hovermode="x unified")
    return fig


def recycled_content(summary: dict[str, Any]) -> Any | None:
    """Recycled content achievable per element and year, with the Art. 8 minimums as marks."""
    import plotly.graph_objects as go

    rc = summary.get("recycled_content", {})
    if not rc:
        return None
    fig = go.Figure()
    mins = summary.get("recycled_content_minimums", [])
    every = sorted({y for s in rc.values() for y in s}, key=int)
    # the years the Art. 8 minimums apply in (else the last three): a bar group per year
    years = sorted({str(m["year"]) for m in mins} & set(every), key=int) or every[-3:]
    for i, y in enumerate(years):
        els = [el for el in rc if y in rc[el]]
        fig.add_bar(
            x=els,
            y=[rc[el][y] for el in els],
            name=f"achievable {y}",
            marker_color=SERIES[i % len(SERIES)],
        )
    for i, y in enumerate(years):
        here = [m for m in mins if str(m["year"]) == y]
        if here:
            fig.add_scatter(
                x=[m["element"] for m in here],
                y=[m["minimum"] for m in here],
                mode="markers",
                name=f"minimum {y} (Art. 8)",
                marker={
                    "symbol": "line-ew-open",
                    "size": 34,
                    "color": SERIES[i % len(SERIES)],
                    "line_width": 3,
                },
            )
    fig.update_layout(**LAYOUT, barmode="group", yaxis_tickformat=".0%", yaxis_title="share")
    return fig


def carbon_waterfall(summary: dict[str, Any]) -> Any | None:
    """The burden's steps, the burden, the credits (negative steps), the net: as given."""
    import plotly.graph_objects as go

    steps = summary.get("key_carbon_steps", [])
    if not steps:
        return None
    ghg = summary.get("ghg", {})
    up = [s for s in steps if float(s["t_co2e"]) >= 0]
    down = [s for s in steps if float(s["t_co2e"]) < 0]
    names = [_esc(s["step"]) for s in up] + ["burden"] + [_esc(s["step"]) for s in down] + ["net"]
    values = [float(s["t_co2e"]) for s in (*up, {"t_co2e": 0}, *down, {"t_co2e": 0})]
    measure = ["relative"] * len(up) + ["total"] + ["relative"] * len(down) + ["total"]
    labels = [f"{v:+,.0f}" for v in values]
    labels[len(up)] = f"{float(ghg.get('burden_t_co2e', float('nan'))):,.0f}"
    labels[-1] = f"{float(ghg.get('total_t_co2e', float('nan'))):,.0f}"
    fig = go.Figure(
        go.Waterfall(
            x=names,
            y=values,
            measure=measure,
            text=labels,
            textposition="outside",
            increasing={"marker": {"color": "#D55E00"}},
            decreasing={"marker": {"color": "#009E73"}},
            totals={"marker": {"color": "#0072B2"}},
            connector={"line": {"color": "#888888"}},
        )
    )
    fig.update_layout(**{**LAYOUT, "height": 480}, yaxis_title="t CO2e", showlegend=False)
    fig.update_xaxes(tickangle=-30, automargin=True)
    return fig


def alternatives(alts: list[dict[str, Any]]) -> Any | None:
    """Recycling efficiency and each element's recovery, one bar per route alternative."""
    import plotly.graph_objects as go

    if not alts:
        return None
    keys = list(dict.fromkeys(el for a in alts for el in a.get("recovery", {})))
    cats = ["recycling efficiency", *(f"recovery {el}" for el in keys)]
    fig = go.Figure()
    for i, a in enumerate(alts):
        ys = [a.get("recycling_efficiency")] + [a.get("recovery", {}).get(el) for el in keys]
        fig.add_bar(x=cats, y=ys, name=_esc(a["name"]), marker_color=SERIES[i % len(SERIES)])
    fig.update_layout(**LAYOUT, barmode="group", yaxis_tickformat=".0%", yaxis_title="share")
    return fig


def band(name: str, q: dict[str, dict[str, float]], colour: str) -> Any:
    """The 5-95 % band and the median of one series over the years."""
    import plotly.graph_objects as go

    ys = _years(q["p50"])
    x = [int(y) for y in ys]
    fig = go.Figure()
    fig.add_scatter(x=x, y=[q["p95"][y] for y in ys], mode="lines", line_width=0, name="p95",
                    showlegend=False)  # fmt: skip
    fig.add_scatter(
        x=x,
        y=[q["p05"][y] for y in ys],
        mode="lines",
        line_width=0,
        fill="tonexty",
        fillcolor=colour + "44",
        name="5-95 % band",
    )
    fig.add_scatter(x=x, y=[q["p50"][y] for y in ys], mode="lines+markers", name="median",
                    line_color=colour)  # fmt: skip
    fig.update_layout(**{**LAYOUT, "height": 340}, title=_esc(name), xaxis_title="year")
    return fig
