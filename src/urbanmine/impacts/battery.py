"""Battery-level carbon footprint per kWh (the functional unit of Art. 7 of (EU) 2023/1542):
primary production of the feed's bill of materials plus cell manufacturing energy.

Materials: each species of the feed times the GREET primary-production factor of the material it
is (species_map.toml ``[displaced]``), divided by EverBatt's manufacturing yield for cell
materials (ANL-19/16 Table 5). Manufacturing: 170 MJ per kWh of cells, 82.4 % natural gas and
17.6 % electricity (ANL-19/16 section 3.1). Pack assembly energy and the use phase are not
counted (EverBatt has neither).
"""

from __future__ import annotations

from typing import Any

from urbanmine.data import load_toml
from urbanmine.flowsheet.errors import InputError
from urbanmine.impacts.factors import KWH_MJ, load_factor_set
from urbanmine.materials.feeds import Feed


def battery_footprint(
    feed: Feed, factor_set: str = "greet2022", location: str = "US"
) -> dict[str, Any]:
    """Cradle-to-gate GHG (kg CO2e) and energy (MJ) of making ``feed``, total and per kWh."""
    if feed.capacity_kWh <= 0:
        raise InputError(f"feed {feed.name!r} has no capacity (kWh); a footprint per kWh needs one")
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
    total = sum(materials.values()) + making
    return {
        "feed": feed.name,
        "preset": feed.preset,
        "factor_set": fs.name,
        "gwp": fs.gwp,
        "location": location,
        "functional_unit": "1 kWh of total energy provided by the battery over its service life "
        "is Art. 7's unit; here per kWh of rated capacity (cradle to gate, no use phase)",
        "mass_kg": feed.mass_kg,
        "capacity_kWh": feed.capacity_kWh,
        "ghg_kg_co2e": total,
        "ghg_kg_co2e_per_kWh": total / feed.capacity_kWh,
        "energy_MJ_per_kWh": energy / feed.capacity_kWh,
        "materials_ghg_kg_co2e": materials,
        "manufacturing_ghg_kg_co2e": making,
        "unmatched": unmatched,
        "sources": [fs.source, e["source"], yields["source"]],
    }
