"""The main job: a scenario end to end (docs/scenario.md, "Run").

Stages, each timed: the fleet model (or the scenario's fixed feedstock) gives the tonnes of packs
and production scrap by year and chemistry, the recycled content achievable and the Art. 8
verdicts; the network planner sites and sizes the plants for that feedstock; the flowsheet engine
runs the feedstock through the tiers' routes (and every alternative), with the impacts module's
GHG and the compliance module's verdicts on the scenario's dates (:mod:`urbanmine.scenario.loop`).
The summary only gathers what the pillars computed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from urbanmine.scenario.model import Scenario, fleet_section, network_section

Progress = Callable[[str], None]
Feed = dict[str, np.ndarray]
"""Tonnes by feed name (``NMC811-pack``, ``NMC811-scrap``): (years,) or, per sample,
(samples, years)."""
FORM_OF = {"packs": "pack", "scrap": "scrap"}
"""The feed form of each kind of fleet tonnes."""
STAGES = ("fleet", "network", "flowsheets", "compliance")
MAIN_ELEMENTS = ("Li", "Ni", "Co", "Mn", "Cu", "Al")
RECOVERED = (*MAIN_ELEMENTS, "Fe", "C")
"""Elements whose recovery the summary reports: the Annex XII metals, Mn, Al, Fe and carbon
(graphite); reagent elements (H, O, Na, S) can leave in products above what the feed held."""
REGION_RULESETS = {"europe": ["eu-2023-1542"], "china": ["cn-miit-2024", "cn-traceability-2018"]}


@dataclass
class Run:
    """What a run produced: the summary (JSON-ready) and the pillars' own outputs."""

    summary: dict[str, Any]
    network: dict[str, Any] | None
    fleet: dict[str, Any] | None
    loop_years: list[int] = field(default_factory=list)


def _feedstock(
    scenario: Scenario,
) -> tuple[np.ndarray, Feed, Any, Feed | None]:
    """(years, mean tonnes by feed and year, fleet JSON or None, and the tonnes per sample and
    year by feed when the fleet model is sampled)."""
    years = np.arange(scenario.scenario.start, scenario.scenario.end + 1)
    if scenario.feedstock is not None:
        from urbanmine.fleet.scenario import year_anchors

        feed: Feed = {}
        for form, table in (
            ("packs", scenario.feedstock.packs_t),
            ("scrap", scenario.feedstock.scrap_t),
        ):
            for chemistry, series in table.items():
                at, values = year_anchors(series, f"feedstock.{form}_t.{chemistry}")
                feed[f"{chemistry}-{FORM_OF[form]}"] = np.interp(years, at, values)
        return years, feed, None, None
    from urbanmine.fleet import output
    from urbanmine.fleet.model import run
    from urbanmine.fleet.scenario import load
    from urbanmine.network.assemble import scrap_t_per_gwh

    u = scenario.uncertainty
    samples = u.samples if "fleet" in u.parameters else 0
    result = run(load(fleet_section(scenario)), samples=samples, seed=u.seed)
    fleet_years = np.asarray(result.inputs.years)
    keep = np.isin(fleet_years, years)
    chems = list(result.inputs.chemistries)
    packs_gwh = (result.GWh["recycled_direct"] + result.GWh["second_life_out"]).sum(axis=2)
    drawn = result.tonnes(packs_gwh)[:, keep]  # (samples, years, K)
    scrap_drawn = (result.scrap_GWh * scrap_t_per_gwh(chems))[:, keep]
    feed, per_sample = {}, {}
    for k, chemistry in enumerate(chems):
        per_sample[f"{chemistry}-pack"] = drawn[:, :, k]
        per_sample[f"{chemistry}-scrap"] = scrap_drawn[:, :, k]
    feed = {key: t.mean(axis=0) for key, t in per_sample.items()}  # the engine is linear
    return fleet_years[keep], feed, output.to_dict(result), per_sample if samples > 1 else None


def run_scenario(scenario: Scenario, progress: Progress | None = None) -> Run:
    """Run ``scenario`` end to end; see the module docstring."""
    from urbanmine.network.assemble import REGION_LOCATION
    from urbanmine.network.plan import plan
    from urbanmine.network.processes import DEFAULT_ROUTES
    from urbanmine.scenario.loop import loop, verdicts

    say = progress or (lambda _stage: None)
    seconds: dict[str, float] = {}
    meta, econ, comp = scenario.scenario, scenario.economics, scenario.compliance
    start = time.perf_counter()

    say("fleet")
    years, feed, fleet, feed_samples = _feedstock(scenario)
    seconds["fleet"] = time.perf_counter() - start

    say("network")
    mark = time.perf_counter()
    network = None
    if scenario.feedstock is None:
        network = plan(network_section(scenario), fleet_section(scenario)).result
    seconds["network"] = time.perf_counter() - mark

    say("flowsheets")
    mark = time.perf_counter()
    routes = {**DEFAULT_ROUTES, **{k: v for k, v in scenario.routes.model_dump().items() if v}}
    location = econ.location or REGION_LOCATION[meta.region]
    args = (econ.preset, econ.factor_set, location, econ.allocation, comp.counting)

    def chain(r: dict[str, str]) -> str:
        """Pretreatment then refining, unless refining takes cells or packs itself (smelting):
        then the engine puts the preparation it needs in front, as ``flowsheet`` does."""
        from urbanmine.routes.compose import load_route

        first = r["refining"].split("+")[0]
        if not first.endswith(".toml") and load_route(first, econ.preset).intake in (
            "cells",
            "packs",
        ):
            return r["refining"]
        return f"{r['pretreatment']}+{r['refining']}"

    chosen = [chain(routes)] + [
        chain({**routes, **{k: v for k, v in alt.model_dump().items() if v and k != "name"}})
        for alt in scenario.alternatives
    ]
    loops = [loop(feed, list(years), route, *args) for route in chosen]
    main = loops[0]
    alternatives = [(a.name, lp) for a, lp in zip(scenario.alternatives, loops[1:], strict=True)]
    u = scenario.uncertainty
    spreads = []
    if u.samples > 1:
        from urbanmine.scenario.loop import spread
        from urbanmine.scenario.uncertainty import flowsheet_seed

        drawn_feed = feed_samples if feed_samples is not None else feed
        spreads = [
            spread(drawn_feed, route, *args, u.samples, flowsheet_seed(u.seed), u.parameters)
            for route in chosen
        ]
    from urbanmine.scenario.others import other_loops
    from urbanmine.scenario.others import summary as other_summary

    others = other_loops(scenario.feeds, years, args)
    seconds["flowsheets"] = time.perf_counter() - mark

    say("compliance")
    mark = time.perf_counter()
    rulesets = comp.rulesets or REGION_RULESETS[meta.region]
    found = verdicts(main, comp.on, rulesets)
    seconds["compliance"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - start

    summary = _summary(scenario, years, main, found, fleet, network, alternatives, comp, rulesets)
    summary["quantiles"], summary["uncertainty"] = _uncertainty(
        scenario, years, spreads, fleet, feed_samples is not None, summary["alternatives"]
    )
    summary["other_feeds"] = [other_summary(entry, lp, years) for entry, lp in others]
    summary["sources"] = sources(
        scenario,
        [main.route, *(a.route for _, a in alternatives), *(lp.route for _, lp in others)],
        rulesets,
    )
    summary["stage_seconds"] = seconds
    return Run(summary, network, fleet, list(map(int, years)))


def sources(scenario: Scenario, routes: list[str], rulesets: list[str]) -> list[str]:
    """The citations behind the run: fleet data, network data, routes, factor set, rule sets."""
    from urbanmine.compliance.rules import load_ruleset
    from urbanmine.fleet.scenario import region_data
    from urbanmine.impacts.factors import load_factor_set
    from urbanmine.materials.feeds import get_feed
    from urbanmine.network.data import builtin
    from urbanmine.routes.compose import load_route

    region = scenario.scenario.region
    cited: list[str] = []
    if scenario.feedstock is None:
        cited += [f"Fleet: {c}" for c in region_data(region)["sources"].values()]
        meta = builtin(region)["meta"]
        cited += [f"Network: {v}" for k, v in meta.items() if k.endswith("source")]
    elif scenario.feedstock.source:
        cited.append(f"Feedstock: {scenario.feedstock.source}")
    for f in scenario.feeds:
        cited.append(f"Feed {f.feed}: {get_feed(f.feed, scenario.economics.preset).source}")
        if f.source:
            cited.append(f"Tonnes of {f.feed}: {f.source}")
    preset = scenario.economics.preset
    for name in dict.fromkeys(part for r in routes for part in r.split("+")):
        spec = load_route(name, preset)
        cited.append(f"Route {spec.name}: {spec.source}")
    factors = load_factor_set(scenario.economics.factor_set)
    cited.append(f"Factors {factors.name}: {factors.title} ({factors.source})")
    cited += [f"Rules {r}: {load_ruleset(r).title} ({load_ruleset(r).source})" for r in rulesets]
    return list(dict.fromkeys(cited))


def _uncertainty(
    scenario: Scenario,
    years: np.ndarray,
    spreads: list[Any],
    fleet: dict[str, Any] | None,
    fleet_drawn: bool,
    alternatives: list[dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The quantiles by year (for the report's bands) and the ``uncertainty`` entry: what was
    asked, what had a distribution to draw, and p05/p50/p95 of the totals (each alternative's
    into its own entry, drawn with the same samples as the main route)."""
    from urbanmine.scenario.uncertainty import intervals, series

    u = scenario.uncertainty
    entry: dict[str, Any] = {"samples": u.samples, "seed": u.seed, "parameters": u.parameters}
    if not spreads:
        return {}, entry
    entry["drawn"] = {"fleet": fleet_drawn, **spreads[0].drawn}
    entry["asymmetric"] = spreads[0].asymmetric
    entry["intervals"] = intervals(spreads[0], RECOVERED)
    for alt, drawn in zip(alternatives, spreads[1:], strict=True):
        alt["intervals"] = intervals(drawn, MAIN_ELEMENTS)
    return series(years, spreads[0], fleet, fleet_drawn), entry


def _summary(
    scenario: Scenario,
    years: np.ndarray,
    main: Any,
    found: list[dict[str, Any]],
    fleet: dict[str, Any] | None,
    network: dict[str, Any] | None,
    alternatives: list[tuple[str, Any]],
    comp: Any,
    rulesets: list[str],
) -> dict[str, Any]:
    from urbanmine.scenario import figures
    from urbanmine.scenario.loop import verdicts

    meta = scenario.scenario
    keep = [str(y) for y in years]
    summary: dict[str, Any] = {
        "scenario": meta.name,
        "title": meta.title,
        "region": meta.region,
        "years": [int(y) for y in years],
        "samples": scenario.uncertainty.samples,
        "feedstock_t": figures.by_year(years, main.feed_t),
        "capacity_t": {},
        "products_t": {
            name: figures.by_year(years, t) for name, t in main.products_t.items() if t.sum() > 0
        },
        "recovery": {k: v for k, v in main.recovery().items() if k in RECOVERED},
        "recycling_efficiency": figures.recycling_efficiency(main),
        "compliance": found,
        "ghg": figures.ghg(main),
        "cost": {
            "total_eur": 0.0,
            "per_kWh_eur": 0.0,
            "per_t_eur": 0.0,
            "transport_share": 0.0,
            "plant_per_t_eur": figures.per_tonne_eur(main, main.cost_eur) or 0.0,
            "revenue_per_t_eur": figures.per_tonne_eur(main, main.revenue_eur) or 0.0,
        },
        "recycled_content": {},
        "recycled_content_minimums": [],
        "collection_rate": {},
        "key_carbon_steps": figures.key_steps(main.steps_t),
        "elements_t": figures.elements_t(main),
        "alternatives": [],
        "sources": [],
        "notes": [],
    }
    if fleet is not None:
        content = fleet["recycled_content"]
        summary["recycled_content"] = {
            el: {y: v for y, v in content[el].items() if y in keep}
            for el in ("Li", "Ni", "Co")
            if el in content
        }
        art8 = [
            v
            for v in fleet["verdicts"]
            if v.get("verdict") != "not_applicable" and v["rule"].split("/")[0] in rulesets
        ]  # Art. 8 of the EU regulation, when the scenario checks it
        summary["recycled_content_minimums"] = [
            {"element": v["rule"].rsplit("/", 1)[-1], "year": v["year"], "minimum": v["threshold"]}
            for v in art8
        ]
        summary["compliance"] = found + [{**v, "on": v.get("applies_from")} for v in art8]
        collected = fleet.get("fates", {})
        if collected:
            retired = {y: sum(collected[f]["GWh"].get(y, 0.0) for f in collected) for y in keep}
            lost = collected.get("uncollected", {}).get("GWh", {})
            exported = collected.get("exported", {}).get("GWh", {})
            summary["collection_rate"] = {
                y: (retired[y] - lost.get(y, 0.0) - exported.get(y, 0.0)) / retired[y]
                for y in keep
                if retired[y] > 0
            }
        summary["notes"].append(
            "Collection rate: share of the packs retired in the region that reach the recycling "
            "chain or second life. Annex XI of Regulation (EU) 2023/1542 sets collection targets "
            "for portable and LMT batteries only; electric-vehicle batteries must be taken back "
            "in full by their producers (Art. 61), so there is no percentage to meet."
        )
    if network is not None:
        pre = [s for s in network["sites"] if s["tier"] == "pretreatment"]
        summary["capacity_t"] = {
            y: sum(s["capacity_t"].get(y, 0.0) for s in pre) for y in map(str, network["years"])
        }
        summary["cost"].update(
            total_eur=network["cost_eur"],
            per_kWh_eur=network["cost_per_kWh_eur"],
            per_t_eur=network["cost_per_t_eur"],
            transport_share=network["transport_share"],
        )
        summary["network_status"] = {
            k: network[k] for k in ("status", "gap", "optimal", "solve_seconds")
        }
        summary["ghg"]["network_t_co2e"] = network["ghg_t"]
    for name, alt in alternatives:
        checked = verdicts(alt, comp.on, rulesets)
        summary["alternatives"].append(
            {
                "name": name,
                "route": alt.route,
                "recycling_efficiency": figures.recycling_efficiency(alt),
                "recovery": {k: v for k, v in alt.recovery().items() if k in MAIN_ELEMENTS},
                "ghg_t_co2e": float(alt.ghg_t.sum()),
                "avoided_t_co2e": float(alt.avoided_t.sum()),
                "cost_per_t_eur": figures.per_tonne_eur(alt, alt.cost_eur),
                "revenue_per_t_eur": figures.per_tonne_eur(alt, alt.revenue_eur),
                "verdicts": {
                    word: sum(v["verdict"] == word for v in checked) for word in ("pass", "fail")
                },
            }
        )
    return summary
