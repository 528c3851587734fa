"""``report.html``: one self-contained page that lays out what the run computed.

plotly.js is inlined once in the page's head and every figure is a plain div with its
``Plotly.newPlot`` call: no CDN, no map tiles, nothing fetched. Every string goes through
Jinja2's autoescape (and through :func:`charts._esc` inside the figures).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from urbanmine.report import charts, text
from urbanmine.report.numbers import co2, eur, plain, share, tonnes

CONFIG = {  # no "Send to Cloud" / logo link: the tool bar offers nothing that goes online
    "displaylogo": False,
    "responsive": True,
    "showSendToCloud": False,
}
SECTIONS = (
    ("summary", "In short"),
    ("flows", "Element flows"),
    ("map", "Sites and flows"),
    ("capacity", "Feedstock and capacity"),
    ("compliance", "EU targets"),
    ("carbon", "Carbon"),
    ("alternatives", "Alternatives"),
    ("others", "Other feeds"),
    ("uncertainty", "Uncertainty"),
    ("run", "This run"),
    ("sources", "Sources"),
)


def _div(fig: Any, div_id: str) -> str:
    """The figure as a div and its script, without plotly.js (inlined once in the head)."""
    return str(
        fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            include_mathjax=False,
            div_id=div_id,
            config=CONFIG,
        )
    )


def _charts(summary: dict[str, Any], network: dict[str, Any] | None) -> dict[str, Any]:
    from urbanmine.network import mapview

    content = charts.recycled_content(summary)
    carbon = charts.carbon_waterfall(summary)
    alts = charts.alternatives(summary.get("alternatives", []))
    quantiles = summary.get("quantiles") or {}
    return {
        "flows": _div(charts.element_sankey(summary.get("elements_t", {})), "chart-flows"),
        "map": _div(mapview.figure(network, summary["region"]), mapview.DIV_ID)
        if network
        else None,
        "capacity": _div(charts.feed_vs_capacity(summary), "chart-capacity"),
        "content": _div(content, "chart-content") if content is not None else None,
        "carbon": _div(carbon, "chart-carbon") if carbon is not None else None,
        "alternatives": _div(alts, "chart-alternatives") if alts is not None else None,
        "bands": [
            _div(charts.band(name, q, charts.SERIES[i % len(charts.SERIES)]), f"chart-band-{i}")
            for i, (name, q) in enumerate(quantiles.items())
        ],
    }


def _compliance(rules: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "rule": r["rule"],
            "title": r.get("title") or r["rule"],
            "verdict": r["verdict"],
            "verdict_text": text.VERDICT_WORDS.get(r["verdict"], r["verdict"]),
            "value": plain(r.get("value")),
            "threshold": plain(r.get("threshold")),
            "on": r.get("on", ""),
            "source": r.get("source", ""),
        }
        for r in rules
    ]


SHOWN_RECOVERIES = 6
"""Elements per other feed named in the report's table: the precious metals it holds, then
those recovered in the largest masses."""
PRECIOUS = ("Au", "Ag", "Pd", "Pt", "Rh")


def _others(others: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The other feeds' rows: recoveries of their elements recovered in the largest masses."""
    rows = []
    for o in others:
        got = {
            el: v.get("product", 0.0) + v.get("recycled", 0.0)
            for el, v in o.get("elements_t", {}).items()
            if el in o.get("recovery", {}) and v.get("product", 0.0) + v.get("recycled", 0.0) > 0
        }
        top = sorted(got, key=lambda el: (el not in PRECIOUS, -got[el]))[:SHOWN_RECOVERIES]
        rows.append(
            {
                "label": o.get("label") or o["feed"],
                "route": o.get("route", ""),
                "tonnes": tonnes(sum(o.get("feedstock_t", {}).values())),
                "recovery": ", ".join(f"{el} {share(o['recovery'][el])}" for el in top),
                "ghg": co2(o.get("ghg", {}).get("total_t_co2e")),
                "avoided": co2(o.get("ghg", {}).get("avoided_t_co2e")),
                "cost": eur(o.get("cost", {}).get("plant_per_t_eur")),
                "revenue": eur(o.get("cost", {}).get("revenue_per_t_eur")),
            }
        )
    return rows


def _alternatives(alts: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    elements = list(dict.fromkeys(el for a in alts for el in a.get("recovery", {})))
    rows = [
        {
            "name": a["name"],
            "route": a.get("route", ""),
            "efficiency": share(a.get("recycling_efficiency")),
            "recovery": [share(a.get("recovery", {}).get(el)) for el in elements],
            "ghg": co2(a.get("ghg_t_co2e")),
            "avoided": co2(a.get("avoided_t_co2e")),
            "cost": eur(a.get("cost_per_t_eur")),
            "verdicts": f"{a.get('verdicts', {}).get('pass', 0)} / "
            f"{a.get('verdicts', {}).get('fail', 0)}",
        }
        for a in alts
    ]
    return elements, rows


def report_html(summary: dict[str, Any], network: dict[str, Any] | None = None) -> str:
    """The whole report page for the run's ``summary`` (and its network plan, when given)."""
    import jinja2
    from plotly.offline import get_plotlyjs

    from urbanmine.network import mapview

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("urbanmine.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    years = summary.get("years", [])
    alt_elements, alternatives = _alternatives(summary.get("alternatives", []))
    sources = list(summary.get("sources", []))
    if network:
        sources.append(f"Map outlines: {mapview.outlines()['source']}")
    return env.get_template("report.html.j2").render(
        title=summary.get("title") or f"urbanmine run: {summary['scenario']}",
        summary=summary,
        years_text=f"{years[0]}-{years[-1]}" if years else "none",
        sections=SECTIONS,
        paragraphs=text.paragraphs(summary, network),
        charts=_charts(summary, network),
        compliance=_compliance(summary.get("compliance", [])),
        collection=[(y, share(v)) for y, v in summary.get("collection_rate", {}).items()],
        alt_elements=alt_elements,
        alternatives=alternatives,
        others=_others(summary.get("other_feeds", [])),
        stages=[(s, f"{float(v):,.1f}") for s, v in summary.get("stage_seconds", {}).items()],
        notes=summary.get("notes", []),
        sources=sources,
        plotly_js=get_plotlyjs(),
    )


def write_report(summary: dict[str, Any], network: dict[str, Any] | None, path: str | Path) -> Path:
    """Write :func:`report_html` to ``path`` (UTF-8); returns the path."""
    out = Path(path)
    out.write_text(report_html(summary, network), encoding="utf-8")
    return out
