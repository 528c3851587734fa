"""From a resolved network (sites, sources, transport, options) to the MILP's
:class:`~urbanmine.network.instance.Instance`: feedstock from the fleet model, yields, costs and
GHG from the flowsheet engine and the impacts module (:mod:`urbanmine.network.processes`).

- **Periods.** ``years[t]`` starts period ``t``, which stands for the years up to the next one
  (the last: to ``end``). Supply in a period is the mean annual supply of its years; its weight
  is the sum of the discount factors ``(1 + r) ** -(year - years[0])`` of its years.
- **Feedstock** of a source with ``fleet = "<code>"``: its end-of-life packs sent to recycling
  (collected, not repurposed) plus packs returning from second life, in tonnes of packs; and the
  region's production scrap shared out in proportion to the new-pack demand (GWh) of each source,
  since the fleet model gives scrap for the region only. The chemistry mix of the network (for
  yields and costs) is that of the whole feedstock over the horizon.
- **Sites.** Operating and under-construction plants hold their capacity from their start year;
  announced ones follow ``options.announced``; suspended and closed plants are left out (listed
  in the notes). Candidates may build each of their sizes once, from their start year.
- **Modules with no fixed cost** (manual dismantling: EverBatt prices its labour per tonne and
  gives it no equipment) need no decision: their ``max_modules`` x sizes are in place from the
  site's start year.
- **Locations.** A site's costs use its ``location``, else its country if the cost model knows
  it, else the region's default; its GHG uses the grid of that country if the factor set has
  one, else the region's default. The instance's notes say which were used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from urbanmine.errors import InputError
from urbanmine.network.instance import Instance, great_circle_km
from urbanmine.network.processes import (
    TIER_INPUTS,
    Process,
    fixed,
    processes,
    variable_and_ghg,
)
from urbanmine.network.scenario import COMMODITIES, Site, Source

EXISTING = ("operating", "construction")
LEFT_OUT = ("suspended", "closed")
REGION_LOCATION = {"europe": "EU27", "china": "CN"}
"""Cost and grid location of a site whose country the cost model or factor set does not have."""


@dataclass(frozen=True)
class Config:
    """A network resolved to numbers the assembly needs (see :mod:`urbanmine.network.data`)."""

    region: str
    sites: list[Site]
    sources: list[Source]
    years: list[int]
    end: int
    discount_rate: float
    penalty_eur_per_t: dict[str, float]
    eur_per_tkm: dict[str, float]
    kg_co2e_per_tkm: dict[str, float]
    circuity: float
    sizes_t: dict[str, list[float]]
    routes: dict[str, str]
    announced: str = "candidate"
    carbon_price_eur_per_t: float = 0.0
    max_modules: int = 1
    max_km: float | None = None
    kwh_per_t: dict[str, float] = field(default_factory=dict)
    """Overrides of the feedstock's kWh per tonne by commodity."""
    provenance: dict[str, str] = field(default_factory=dict)
    """Field path -> the source of its value (built-in citation or user input)."""
    preset: str = "everbatt2023"
    factor_set: str = "greet2022"
    notes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Feedstock:
    """Annual tonnes by source, year and commodity, and the chemistry mix (mass shares)."""

    years: np.ndarray
    tonnes: dict[str, np.ndarray]
    """source name -> (years, commodities) t/yr."""
    mix: dict[str, float]
    kwh_per_t: dict[str, float]


def periods(years: Sequence[int], end: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """(span, weight) of each period: years it stands for, and the sum of their discount
    factors relative to the first period's first year."""
    starts = np.asarray(years)
    stops = np.append(starts[1:], end + 1)
    if stops[-1] <= starts[-1]:
        raise InputError(f"network.options.end: {end} is before the last period {starts[-1]}")
    every = np.arange(starts[0], stops[-1])
    factor = (1.0 + rate) ** -(every - starts[0])
    which = np.searchsorted(starts, every, side="right") - 1
    return (stops - starts).astype(float), np.bincount(which, factor, len(starts))


def period_means(
    series_years: np.ndarray, series: np.ndarray, years: Sequence[int], end: int
) -> np.ndarray:
    """Mean of ``series`` (years first) over each period's years (held outside the series)."""
    starts = np.asarray(years)
    every = np.arange(starts[0], end + 1)
    idx = np.clip(np.searchsorted(series_years, every), 0, len(series_years) - 1)
    which = np.searchsorted(starts, every, side="right") - 1
    sums = np.zeros((len(starts), *series.shape[1:]))
    np.add.at(sums, which, series[idx])
    return sums / np.bincount(which, minlength=len(starts)).reshape(
        (-1,) + (1,) * (series.ndim - 1)
    )


def _location(country: str | None, region: str, known: Sequence[str]) -> str:
    return country if country is not None and country in known else REGION_LOCATION[region]


def build(config: Config, feed: Feedstock) -> Instance:
    """The instance of ``config`` with feedstock ``feed``."""
    from urbanmine.impacts.factors import grid_factors
    from urbanmine.impacts.locations import locations

    commodities = list(COMMODITIES)
    n_c, n_t = len(commodities), len(config.years)
    sites = [s for s in config.sites if s.status not in LEFT_OUT]
    if config.announced == "ignore":
        sites = [s for s in sites if s.status != "announced"]
    dropped = sorted({s.name for s in config.sites} - {s.name for s in sites})
    tiers_used = {s.tier for s in sites}
    routes = {t: r for t, r in config.routes.items() if t in tiers_used or t == "pretreatment"}
    procs = processes(routes, feed.mix, config.preset, commodities)
    main_chemistry = max(feed.mix, key=lambda k: feed.mix[k])
    cost_places, grid_places = locations(config.preset), list(grid_factors())
    n_j = len(sites)
    accepts = np.zeros((n_j, n_c), dtype=bool)
    yields = np.zeros((n_j, n_c, n_c))
    variable = np.zeros((n_j, n_c))
    ghg = np.zeros((n_j, n_c))
    existing = np.zeros((n_j, n_t))
    existing_fixed = np.zeros((n_j, n_t))
    n_s = max([1, *(len(_sizes(s, config)) for s in sites)])
    sizes = np.zeros((n_j, n_s))
    size_fixed = np.zeros((n_j, n_s))
    size_capital = np.zeros((n_j, n_s))
    earliest = np.full(n_j, config.years[0])
    years = np.asarray(config.years)
    total_supply = sum(float(t.sum()) for t in feed.tonnes.values())
    located: dict[str, str] = {}
    for j, site in enumerate(sites):
        cost_at = site.location or _location(site.country, config.region, cost_places)
        grid_at = _location(site.country, config.region, grid_places)
        located[site.name] = f"costs {cost_at}, grid {grid_at}"
        for commodity in TIER_INPUTS[site.tier]:
            c = commodities.index(commodity)
            accepts[j, c] = True
            proc = procs.get((site.tier, commodity))
            if proc is None:  # a market: takes products, makes nothing, costs nothing
                continue
            for made, t in proc.yields.items():
                yields[j, c, commodities.index(made)] = t
            eur, kg = variable_and_ghg(
                proc, feed.mix, config.preset, cost_at, grid_at, config.factor_set
            )
            variable[j, c] = site.costs.variable_eur_per_t if site.costs else eur
            ghg[j, c] = kg
        main = procs.get((site.tier, TIER_INPUTS[site.tier][0]))
        fixed_at = _fixed_cost(site, main, main_chemistry, config.preset, cost_at)
        fixed_existing = site.status in EXISTING or (
            site.status == "announced" and config.announced == "fixed"
        )
        if site.tier == "market":
            existing[j] = 10.0 * max(total_supply, 1.0)
        elif fixed_existing:
            start = site.start_year if site.start_year is not None else config.years[0]
            on = years >= start
            existing[j] = np.where(on, site.capacity_t or 0.0, 0.0)
            existing_fixed[j] = np.where(on, fixed_at(site.capacity_t or 0.0)[0], 0.0)
        for s, size in enumerate(_sizes(site, config)):
            sizes[j, s] = size
            size_fixed[j, s], size_capital[j, s] = fixed_at(size)
        if site.start_year is not None and not fixed_existing:
            earliest[j] = site.start_year
        free = (sizes[j] > 0) & (size_fixed[j] <= 0) & (size_capital[j] <= 0)
        if free.any():  # a module that costs nothing to have is simply there when needed
            existing[j] += np.where(
                years >= earliest[j], config.max_modules * sizes[j, free].sum(), 0.0
            )
            sizes[j, free] = 0.0
    nodes_lat = np.array([s.lat for s in config.sources] + [s.lat for s in sites])
    nodes_lon = np.array([s.lon for s in config.sources] + [s.lon for s in sites])
    site_lat, site_lon = nodes_lat[len(config.sources) :], nodes_lon[len(config.sources) :]
    distance = config.circuity * great_circle_km(
        nodes_lat[:, None], nodes_lon[:, None], site_lat[None, :], site_lon[None, :]
    )
    supply = np.zeros((len(config.sources), n_t, n_c))
    for i, source in enumerate(config.sources):
        supply[i] = period_means(feed.years, feed.tonnes[source.name], config.years, config.end)
    span, weight = periods(config.years, config.end, config.discount_rate)
    ships = np.asarray(accepts.any(axis=0))
    notes = {
        "locations": "; ".join(f"{k}: {v}" for k, v in located.items()),
        **({"left_out": ", ".join(dropped)} if dropped else {}),
        **config.notes,
    }
    return Instance(
        years=list(config.years),
        span=span,
        weight=weight,
        commodities=commodities,
        ships=ships,
        price_eur_per_tkm=np.array([config.eur_per_tkm.get(c, 0.0) for c in commodities]),
        ghg_kg_per_tkm=np.array([config.kg_co2e_per_tkm.get(c, 0.0) for c in commodities]),
        penalty_eur_per_t=np.array([config.penalty_eur_per_t.get(c, 0.0) for c in commodities]),
        kwh_per_t=np.array(
            [config.kwh_per_t.get(c, feed.kwh_per_t.get(c, 0.0)) for c in commodities]
        ),
        sources=[s.name for s in config.sources],
        source_lat=nodes_lat[: len(config.sources)],
        source_lon=nodes_lon[: len(config.sources)],
        supply_t=supply,
        sites=[s.name for s in sites],
        tiers=[s.tier for s in sites],
        status=[s.status for s in sites],
        site_lat=site_lat,
        site_lon=site_lon,
        accepts=accepts,
        yields=yields,
        existing_t=existing,
        existing_fixed_eur=existing_fixed,
        sizes_t=sizes,
        size_fixed_eur=size_fixed,
        size_capital_eur=size_capital,
        earliest=earliest,
        variable_eur_per_t=variable,
        plant_ghg_kg_per_t=ghg,
        distance_km=distance,
        carbon_price_eur_per_t=config.carbon_price_eur_per_t,
        max_modules=config.max_modules,
        max_km=config.max_km,
        notes=notes,
    )


def _sizes(site: Site, config: Config) -> list[float]:
    """Module sizes the planner may build at ``site``."""
    if site.tier == "market":
        return []
    if site.status == "candidate":
        return list(site.sizes_t or config.sizes_t.get(site.tier, []))
    if site.status == "announced" and config.announced == "candidate":
        return [float(site.capacity_t)] if site.capacity_t else []
    return list(site.sizes_t or [])


def _fixed_cost(
    site: Site, main: Process | None, chemistry: str, preset: str, location: str
) -> Callable[[float], tuple[float, float]]:
    """A function of capacity (t/yr) -> (EUR/yr fixed cost, EUR capital) for ``site``."""

    def at(capacity_t: float) -> tuple[float, float]:
        if site.costs is not None:
            return site.costs.fixed_eur_per_year, site.costs.capital_eur
        if main is None or capacity_t <= 0:
            return 0.0, 0.0
        return fixed(main, chemistry, preset, location, capacity_t)

    return at


def fleet_feedstock(
    sources: Sequence[Source], fleet: Any, years: Sequence[int], end: int
) -> Feedstock:
    """Annual tonnes of each source from a fleet result (``urbanmine.fleet.model.run``) or the
    source's own ``supply_t``, and the feedstock's chemistry mix."""
    from urbanmine.fleet.scenario import year_anchors

    flows = fleet.inputs
    fleet_years = np.asarray(flows.years)
    countries = list(flows.countries)
    chemistries = list(flows.chemistries)
    packs_gwh = fleet.GWh["recycled_direct"][0] + fleet.GWh["second_life_out"][0]  # (Y, N, K)
    packs_t = fleet.tonnes(packs_gwh)
    demand_gwh = (
        fleet.flows.by_country("sold", "GWh")[0] + fleet.flows.by_country("replaced", "GWh")[0]
    )  # (Y, N)
    share = demand_gwh / np.where(
        demand_gwh.sum(axis=1, keepdims=True) > 0, demand_gwh.sum(axis=1, keepdims=True), 1.0
    )
    scrap_t_by_k = fleet.scrap_GWh[0] * scrap_t_per_gwh(chemistries)  # (Y, K)
    commodities = list(COMMODITIES)
    tonnes: dict[str, np.ndarray] = {}
    mix_t = np.zeros(len(chemistries))
    for source in sources:
        series = np.zeros((len(fleet_years), len(commodities)))
        if source.fleet is not None:
            if source.fleet not in countries:
                raise InputError(
                    f"network.sources.{source.name}.fleet: {source.fleet!r} is not in the fleet "
                    f"model's {flows.region} data; use one of {', '.join(countries)}"
                )
            n = countries.index(source.fleet)
            series[:, commodities.index("packs")] = packs_t[:, n].sum(axis=1)
            series[:, commodities.index("scrap")] = scrap_t_by_k.sum(axis=1) * share[:, n]
            mix_t += packs_t[:, n].sum(axis=0) + (scrap_t_by_k * share[:, n : n + 1]).sum(axis=0)
        for commodity, anchors in source.supply_t.items():
            at, values = year_anchors(
                anchors, f"network.sources.{source.name}.supply_t.{commodity}"
            )
            series[:, commodities.index(commodity)] = np.interp(fleet_years, at, values)
        tonnes[source.name] = series
    if mix_t.sum() <= 0:
        mix_t = packs_t.sum(axis=(0, 1))
    mix = {k: float(v / mix_t.sum()) for k, v in zip(chemistries, mix_t, strict=True) if v > 0}
    total_gwh = packs_gwh.sum()
    kwh = {"packs": float(total_gwh * 1e6 / packs_t.sum()) if packs_t.sum() > 0 else 0.0}
    scrap_total_t = scrap_t_by_k.sum()
    if scrap_total_t > 0:
        kwh["scrap"] = float(fleet.scrap_GWh[0].sum() * 1e6 / scrap_total_t)
    return Feedstock(fleet_years, tonnes, mix, kwh)


def scrap_t_per_gwh(chemistries: Sequence[str]) -> np.ndarray:
    """Tonnes of production scrap per GWh, by chemistry, from the scrap feeds' kWh per kg."""
    from urbanmine.materials.feeds import get_feed

    out = []
    for k in chemistries:
        feed = get_feed(f"{k}-scrap")
        out.append(feed.mass_kg / 1000.0 / (feed.capacity_kWh / 1e6))
    return np.array(out)
