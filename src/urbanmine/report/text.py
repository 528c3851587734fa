"""The plain-language summary at the top of the report: the run's numbers written as sentences.

Every number is read from the summary (or the network plan); the sentences only choose which to
quote (first and last year, the largest sites, the largest carbon steps) and count verdicts.
"""

from __future__ import annotations

from typing import Any

from urbanmine.report.numbers import co2, eur, plain, share, tonnes

VERDICT_WORDS = {
    "pass": "pass",
    "fail": "fail",
    "not_yet_applicable": "not yet applicable",
    "pending": "pending (data missing)",
    "not_applicable": "not applicable",
}
TOP_SITES = 3  # sites named per tier
TOP_STEPS = 3  # carbon steps named


def _first_last(series: dict[str, Any], years: list[int]) -> tuple[str, str] | None:
    """The first and last year of ``years`` that the series has."""
    have = [str(y) for y in years if str(y) in series] or list(series)
    return (have[0], have[-1]) if have else None


def feedstock(summary: dict[str, Any]) -> str:
    years = summary.get("years", [])
    feed, cap = summary.get("feedstock_t", {}), summary.get("capacity_t", {})
    ends = _first_last(feed, years)
    if ends is None:
        return "The run reports no feedstock."
    a, b = ends
    text = f"Spent batteries coming back for recycling: {tonnes(feed[a])} in {a}" + (
        f", {tonnes(feed[b])} in {b}." if b != a else "."
    )
    if cap:
        text += " Pre-treatment capacity of the network: " + ", ".join(
            f"{tonnes(cap[y], 't/yr')} in {y}" for y in (a, b) if y in cap
        )
        short = [y for y in feed if y in cap and float(cap[y]) < float(feed[y])]
        text += (
            f"; capacity is below the feedstock in {', '.join(short)}." if short else
            "; capacity covers the feedstock in every year reported."
        )  # fmt: skip
    return text


def sites(network: dict[str, Any] | None, status: dict[str, Any] | None) -> str | None:
    """Where it is processed: the largest sites of each tier in the plan's last period."""
    if not network:
        return None
    years = network.get("years") or []
    if not years:
        return None
    last = str(years[-1])
    parts = []
    for tier in dict.fromkeys(s["tier"] for s in network.get("sites", [])):
        cap = {
            s["name"]: float(s.get("capacity_t", {}).get(last, 0.0) or 0.0)
            for s in network["sites"]
            if s["tier"] == tier
        }
        used = sorted((n for n in cap if cap[n] > 0), key=lambda n: -cap[n])
        if used:
            named = ", ".join(f"{n} ({tonnes(cap[n], 't/yr')})" for n in used[:TOP_SITES])
            more = f" and {len(used) - TOP_SITES} more" if len(used) > TOP_SITES else ""
            parts.append(f"{len(used)} {tier} site{'s' * (len(used) != 1)}: {named}{more}")
    text = f"Where it is processed in {last}: " + "; ".join(parts) + "." if parts else ""
    st = status or {k: network.get(k) for k in ("status", "gap", "optimal")}
    if st.get("status"):
        gap = st.get("gap")
        text += f" The network plan is {st['status']}" + (
            f" (gap {share(gap)})." if gap is not None else "."
        )
        if st.get("optimal") is False:
            text += " It is not proven optimal."
    return text.strip() or None


def recovery(summary: dict[str, Any]) -> str:
    rec = summary.get("recovery", {})
    text = "Recovered from the feedstock: " + (
        ", ".join(f"{el} {share(v)}" for el, v in rec.items()) if rec else "none reported"
    )
    return text + f"; recycling efficiency {share(summary.get('recycling_efficiency'))}."


def targets(summary: dict[str, Any]) -> list[str]:
    """Verdict counts, the failing rules, recycled content against Art. 8, collection."""
    rules = summary.get("compliance", [])
    out = []
    if rules:
        counts = {v: sum(r["verdict"] == v for r in rules) for v in VERDICT_WORDS}
        said = ", ".join(f"{n} {VERDICT_WORDS[v]}" for v, n in counts.items() if n)
        out.append(f"EU targets: of {len(rules)} rule checks, {said}.")
        failed = [r for r in rules if r["verdict"] == "fail"]
        if failed:
            out.append(
                "Not met: "
                + "; ".join(
                    f"{r.get('title') or r['rule']} ({plain(r.get('value'))} against "
                    f"{plain(r.get('threshold'))} on {r.get('on')})"
                    for r in failed
                )
                + "."
            )
    rc = summary.get("recycled_content", {})
    mins = summary.get("recycled_content_minimums", [])
    if rc and mins:
        content = [
            f"{m['element']} {share(rc[m['element']][str(m['year'])])} in {m['year']} "
            f"(minimum {share(m['minimum'])})"
            for m in mins
            if str(m["year"]) in rc.get(m["element"], {})
        ]
        if content:
            out.append("Recycled content achievable (Art. 8): " + ", ".join(content) + ".")
    coll = summary.get("collection_rate", {})
    if coll:
        runs = _runs(coll, share)
        if len(runs) > MAX_RUNS:
            first, last = next(iter(coll)), next(reversed(coll))
            runs = [
                f"between {share(min(coll.values()))} and {share(max(coll.values()))} over "
                f"{first}-{last} ({share(coll[first])} in {first}, {share(coll[last])} in {last})"
            ]
        out.append("Collection rate: " + ", ".join(runs) + ".")
    return out


MAX_RUNS = 4
"""Beyond this many stretches of equal values a series is said as its range."""


def _runs(series: dict[str, float], fmt: Any) -> list[str]:
    """Consecutive years that show the same formatted value, as one "v in y1-y2" each."""
    runs: list[tuple[str, str, str]] = []  # (shown, first year, last year)
    for y, v in series.items():
        shown = fmt(v)
        if runs and runs[-1][0] == shown:
            runs[-1] = (shown, runs[-1][1], y)
        else:
            runs.append((shown, y, y))
    return [f"{v} in {a}" if a == b else f"{v} in {a}-{b}" for v, a, b in runs]


def money(summary: dict[str, Any]) -> str | None:
    c = summary.get("cost")
    if not c:
        return None
    text = (
        f"Cost: {eur(c.get('total_eur'))} over the horizon, {eur(c.get('per_kWh_eur'))} per kWh "
        f"and {eur(c.get('per_t_eur'))} per tonne of feedstock"
    )
    if c.get("transport_share") is not None:
        text += f"; transport is {share(c['transport_share'])} of it"
    return text + "."


def carbon(summary: dict[str, Any]) -> list[str]:
    g = summary.get("ghg")
    out = []
    if g:
        net = g.get("total_t_co2e")
        verb = "saves" if net is not None and float(net) < 0 else "adds"
        out.append(
            f"CO2 against mined material: recycling emits {co2(g.get('burden_t_co2e'))} and "
            f"avoids {co2(g.get('avoided_t_co2e'))}; net, it {verb} {co2(abs(float(net or 0)))} "
            f"({plain(g.get('per_kg_feed'))} kg CO2e per kg of feedstock)."
        )
    steps = sorted(summary.get("key_carbon_steps", []), key=lambda s: -abs(float(s["t_co2e"])))
    if steps:
        out.append(
            "The steps that matter most: "
            + ", ".join(f"{s['step']} ({co2(s['t_co2e'])})" for s in steps[:TOP_STEPS])
            + "."
        )
    return out


UNCERTAIN_TOTALS = (
    ("ghg.total_t_co2e", "net GHG", co2),
    ("recycling_efficiency", "recycling efficiency", share),
    ("recovery.Li", "lithium recovery", share),
    ("recovery.Co", "cobalt recovery", share),
    ("cost.plant_per_t_eur", "plant cost per tonne", eur),
)
DRAWN_WORDS = {
    "fleet": "the fleet model's ranges",
    "routes": "route parameters",
    "prices": "prices",
    "factors": "emission factors",
}


def uncertainty(summary: dict[str, Any]) -> str | None:
    """The 90 % intervals of the totals, and what was drawn (and what had nothing to draw)."""
    u = summary.get("uncertainty") or {}
    q, drawn = u.get("intervals"), u.get("drawn", {})
    if not q:
        return None
    said = [
        f"{words} {fmt(q[key]['p05'])} to {fmt(q[key]['p95'])}"
        for key, words, fmt in UNCERTAIN_TOTALS
        if key in q
    ]
    varied = [
        DRAWN_WORDS[k] + (f" ({len(v)})" if isinstance(v, list) else "")
        for k, v in drawn.items()
        if v
    ]
    text = f"Uncertainty over {u['samples']} samples of {', '.join(varied) or 'nothing'}: " + (
        "; ".join(said) + " (5th to 95th percentile)."
    )
    idle = [DRAWN_WORDS[k] for k in u.get("parameters", []) if k in drawn and not drawn[k]]
    if idle:
        text += f" Asked but with no distribution in the data used: {', '.join(idle)}."
    skewed = u.get("asymmetric") or []
    if skewed:
        text += (
            f" The figures above the bands are the central run at the cited values; "
            f"{len(skewed)} route parameters have distributions whose mean is not the cited "
            "value, so the draws centre elsewhere."
        )
    return text


def others(summary: dict[str, Any]) -> str | None:
    """One clause per other feed: its tonnes, route and net GHG."""
    said = [
        f"{tonnes(sum(o.get('feedstock_t', {}).values()))} of {o.get('label') or o['feed']} "
        f"through {o.get('route', '')} (net {co2(o.get('ghg', {}).get('total_t_co2e'))})"
        for o in summary.get("other_feeds", [])
    ]
    return ("Other feeds: " + "; ".join(said) + ".") if said else None


def paragraphs(summary: dict[str, Any], network: dict[str, Any] | None) -> list[str]:
    """The summary's sentences, in the order of the report: feedstock, sites, recovery, targets,
    cost, carbon, other feeds, uncertainty."""
    found = [
        feedstock(summary),
        sites(network, summary.get("network_status")),
        recovery(summary),
        *targets(summary),
        money(summary),
        *carbon(summary),
        others(summary),
        uncertainty(summary),
    ]
    return [p for p in found if p]
