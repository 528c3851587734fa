"""Plan a recycling network end to end: built-in data and the user's ``[network]`` section
(:mod:`urbanmine.network.data`), feedstock from the fleet model, yields, costs and GHG from the
flowsheet engine and impacts module (:mod:`urbanmine.network.assemble`), the MILP
(:mod:`urbanmine.network.milp`) and its outcome (:mod:`urbanmine.network.outcome`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from urbanmine.errors import InputError
from urbanmine.network.assemble import Config, Feedstock, build, fleet_feedstock
from urbanmine.network.instance import Instance
from urbanmine.network.milp import Solution, solve
from urbanmine.network.processes import DEFAULT_ROUTES
from urbanmine.network.scenario import Commodity, NetworkSection

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Plan:
    instance: Instance
    solution: Solution
    result: dict[str, Any]


def last_year(years: list[int], end: int | None) -> int:
    """The last year of the horizon: ``end``, or the last period as long as the one before."""
    if end is not None:
        return end
    step = years[-1] - years[-2] if len(years) > 1 else 1
    return years[-1] + step - 1


def per_tkm(commodity: Commodity) -> tuple[float, float]:
    """(EUR, kg CO2e) per tonne-km: as given, else per vehicle-km over the payload."""
    eur, kg = commodity.eur_per_tkm, commodity.kg_co2e_per_tkm
    if eur is None or kg is None:
        if commodity.payload_t is None:
            raise InputError(
                "network.transport.commodities: give eur_per_tkm and kg_co2e_per_tkm, or "
                "eur_per_vehicle_km, kg_co2e_per_vehicle_km and payload_t"
            )
        if eur is None:
            eur = (commodity.eur_per_vehicle_km or 0.0) / commodity.payload_t
        if kg is None:
            kg = (commodity.kg_co2e_per_vehicle_km or 0.0) / commodity.payload_t
    return float(eur), float(kg)


def configure(section: NetworkSection) -> Config:
    """The numbers :func:`urbanmine.network.assemble.build` needs, from built-in data and the
    section."""
    from urbanmine.network.data import resolve

    r = resolve(section)
    years = list(r.options.years or [])
    rates = {name: per_tkm(c) for name, c in r.transport.commodities.items()}
    routes = dict(DEFAULT_ROUTES)
    routes.update({t: v for t, v in section.routes.model_dump().items() if v is not None})
    penalty = r.options.penalty_eur_per_t
    return Config(
        region=r.region,
        sites=r.sites,
        sources=r.sources,
        years=years,
        end=last_year(years, r.options.end),
        discount_rate=float(r.options.discount_rate or 0.0),
        penalty_eur_per_t=dict(penalty) if isinstance(penalty, dict) else {},
        eur_per_tkm={k: v[0] for k, v in rates.items()},
        kg_co2e_per_tkm={k: v[1] for k, v in rates.items()},
        circuity=float(r.transport.circuity or 1.0),
        sizes_t=r.sizes_t,
        routes=routes,
        announced=r.options.announced,
        carbon_price_eur_per_t=r.options.carbon_price_eur_per_t,
        max_modules=r.options.max_modules,
        max_km=r.options.max_km,
        kwh_per_t={
            name: c.kwh_per_t
            for name, c in r.transport.commodities.items()
            if c.kwh_per_t is not None
        },
        provenance=r.provenance,
    )


def feedstock(config: Config, fleet_section: Any = None) -> Feedstock:
    """Feedstock of ``config``'s sources from the fleet model (its ``[fleet]`` section, or the
    region's defaults; provinces for China when the sources name them)."""
    from urbanmine.fleet.model import run
    from urbanmine.fleet.scenario import fleet_section as validate
    from urbanmine.fleet.scenario import load

    raw = fleet_section.model_dump(exclude_unset=True) if fleet_section is not None else {}
    raw["region"] = config.region
    if config.region == "china" and "spatial" not in raw:
        raw["spatial"] = "province"
    fleet = run(load(validate(raw)), samples=0)
    return fleet_feedstock(config.sources, fleet, config.years, config.end)


def plan(
    section: NetworkSection, fleet_section: Any = None, progress: Progress | None = None
) -> Plan:
    """Solve the network of ``section``; the instance, the solution and the result dict."""
    from urbanmine.network.outcome import to_dict

    say = progress or (lambda _stage: None)
    say("reading sites and sources")
    config = configure(section)
    say("fleet model: feedstock by source")
    feed = feedstock(config, fleet_section)
    say("flowsheet and impacts: yields, costs and GHG by site")
    inst = build(config, feed)
    options = section.options
    sol = solve(inst, options.time_limit_s, options.mip_gap, say)
    if sol.status == "no_solution":
        raise InputError(
            f"network.options.time_limit_s: no plan found within {options.time_limit_s:g} s; "
            "allow more time"
        )
    info = {s.name: {"operator": s.operator, "country": s.country} for s in config.sites}
    result = to_dict(inst, sol, config.region, info)
    result["routes"] = {t: r for t, r in config.routes.items()}
    result["chemistry_mix"] = feed.mix
    result["provenance"] = config.provenance
    return Plan(inst, sol, result)
