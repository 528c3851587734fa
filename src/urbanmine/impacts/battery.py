"""Battery-level carbon footprint (Art. 7 and Annex II of (EU) 2023/1542): primary production of
the feed's bill of materials, cell manufacturing energy, distribution and end of life.

Materials: each species of the feed times the GREET primary-production factor of the material it
is (species_map.toml ``[displaced]``), divided by EverBatt's manufacturing yield for cell
materials (ANL-19/16 Table 5). Manufacturing: 170 MJ per kWh of cells, 82.4 % natural gas and
17.6 % electricity (ANL-19/16 section 3.1). Pack assembly energy and the use phase are not
counted (EverBatt has neither).

Annex II's life-cycle stages, named as the Battery Pass data model's ``lifecycleStage`` enum
(v1.2: RawMaterialExtraction, MainProduction, Distribution, Recycling): the materials; the
manufacturing energy; ``distribution_km`` of freight by ``transport_mode`` (DESNZ factors); and
the burden of recycling the battery through ``end_of_life_route`` (no credits: the avoided
primary production is reported beside it, not subtracted).

Art. 7's functional unit is one kWh of the total energy the battery provides over its service life.
With ``full_cycles`` (full equivalent cycles over the service life, the passport's expected
number of cycles) that energy is ``capacity_kWh * full_cycles``; without it the footprint is per
kWh of rated capacity.
"""

from __future__ import annotations

from typing import Any

from urbanmine.data import load_toml
from urbanmine.errors import InputError
from urbanmine.impacts.factors import KWH_MJ, load_factor_set, transport_factors
from urbanmine.materials.feeds import Feed

LIFECYCLE_STAGES = ("RawMaterialExtraction", "MainProduction", "Distribution", "Recycling")
"""Annex II stages as the Battery Pass data model v1.2 enumerates ``lifecycleStage``."""


def _end_of_life(
    feed: Feed, route: str, factor_set: str, location: str
) -> tuple[float, float, list[str]]:
    """Burden (kg CO2e) of recycling ``feed`` through ``route``, the avoided primary production it
    earns (kg CO2e, positive), and the sources used."""
    from urbanmine.impacts.lca import assess
    from urbanmine.routes.run import run

    credited = assess(run(feed, route), factor_set, location, allocation="system_expansion")
    return (
        float(credited.burden_ghg_kg_co2e.mean()),
        float(credited.credits_kg_co2e.mean()),
        [f"end of life: route {route!r} (urbanmine route data, sources per parameter)"],
    )


def battery_footprint(
    feed: Feed,
    factor_set: str = "greet2022",
    location: str = "US",
    full_cycles: float | None = None,
    end_of_life_route: str | None = None,
    distribution_km: float = 0.0,
    transport_mode: str = "hgv_average",
) -> dict[str, Any]:
    """Cradle-to-grave GHG (kg CO2e) of ``feed`` by Annex II stage, total and per kWh; energy (MJ)
    of the materials and manufacturing (cradle to gate). See the module docstring."""
    if feed.capacity_kWh <= 0:
        raise InputError(f"feed {feed.name!r} has no capacity (kWh); a footprint per kWh needs one")
    if full_cycles is not None and full_cycles <= 0:
        raise InputError(
            f"cycles (full equivalent cycles over the service life) must be > 0, got {full_cycles}"
        )
    if distribution_km < 0:
        raise InputError(f"distribution_km must be >= 0, got {distribution_km}")
    modes = transport_factors()
    if transport_mode not in modes:
        raise InputError(f"unknown transport mode {transport_mode!r}; allowed: {', '.join(modes)}")
    fs = load_factor_set(factor_set)
    manufacturing = load_toml("factors", "cell_manufacturing.toml")
    yields = manufacturing["yields"]
    materials: dict[str, float] = {}
    energy = 0.0
    unmatched = []
    for species, kg in sorted(feed.species_kg.items()):
        f = fs.displaced_factor(species)
        if f is None:
            unmatched.append(species)
            continue
        kind = manufacturing["yield_of"].get(species)
        made = kg / yields[kind] if kind else kg
        materials[species] = made * f.ghg_kg_co2e
        energy += made * f.energy_MJ
    e = manufacturing["energy"]
    mj = e["MJ_per_kWh"] * feed.capacity_kWh
    elec = fs.electricity_at(location)
    ng_mj = mj * e["natural_gas_share"]
    kwh = mj * e["electricity_share"] / KWH_MJ
    making = ng_mj * fs.natural_gas.ghg_kg_co2e + kwh * elec.ghg_kg_co2e
    energy += ng_mj * fs.natural_gas.energy_MJ + kwh * elec.energy_MJ
    truck = modes[transport_mode]
    distribution = feed.mass_kg / 1000.0 * distribution_km * truck.ghg_kg_co2e
    sources = [fs.source, e["source"], yields["source"]]
    if distribution_km:
        sources.append(truck.source)
    eol, credits = 0.0, 0.0
    if end_of_life_route is not None:
        eol, credits, eol_sources = _end_of_life(feed, end_of_life_route, factor_set, location)
        sources += eol_sources
    stages = dict(
        zip(LIFECYCLE_STAGES, (sum(materials.values()), making, distribution, eol), strict=True)
    )
    total = sum(stages.values())
    delivered_kWh = feed.capacity_kWh * full_cycles if full_cycles is not None else None
    per = delivered_kWh if delivered_kWh is not None else feed.capacity_kWh
    return {
        "feed": feed.name,
        "preset": feed.preset,
        "factor_set": fs.name,
        "gwp": fs.gwp,
        "location": location,
        "functional_unit": (
            "1 kWh of the total energy provided over the service life (Art. 7): "
            f"{feed.capacity_kWh:g} kWh x {full_cycles:g} full equivalent cycles"
            if full_cycles is not None
            else "1 kWh of rated capacity (give full_cycles for Art. 7's unit, "
            "1 kWh of total energy provided over the service life)"
        ),
        "mass_kg": feed.mass_kg,
        "capacity_kWh": feed.capacity_kWh,
        "total_energy_kWh": delivered_kWh,
        "ghg_kg_co2e": total,
        "ghg_kg_co2e_per_kWh": total / per,
        "ghg_kg_co2e_per_kWh_rated": total / feed.capacity_kWh,
        "energy_MJ_per_kWh": energy / per,
        "stages_kg_co2e": stages,
        "carbonFootprintPerLifecycleStage": [
            {"lifecycleStage": stage, "carbonFootprint": kg / per} for stage, kg in stages.items()
        ],
        "end_of_life_route": end_of_life_route,
        "recycling_credits_kg_co2e": credits,
        "materials_ghg_kg_co2e": materials,
        "manufacturing_ghg_kg_co2e": making,
        "unmatched": unmatched,
        "sources": sources,
    }
