"""Closed loop: 1 kg of cathode (or of its NCM hydroxide precursor) made from mined materials versus
from a recycling route's products, and the saving broken down step by step (a waterfall of the key
carbon-reduction steps).

Inventories are EverBatt 2023's (``data/closed_loop/everbatt2023.toml``, cells cited): cathode
production from precursors (Cath. Prod. Par. 1.4) and conversion of recovered products to
precursors (Mat. Conv. Par. 1.2). Virgin = primary precursors (GREET factors) + co-precipitation
reagents + cathode production energy. Recycled = the route run on the chemistry's feed, scaled to
the feed that supplies the cathode's metals, + conversion + co-precipitation + cathode production,
with mined material topping up what the route does not recover.

Feed per kg cathode ``f`` is the smallest feed that fully covers one of the cathode's recovered
elements (Ni, Co, Mn, Li, Al, Fe, P from the route's main products): nothing is surplus and every
other element is partly topped up with mined material. A route whose products include the cathode
itself (direct recycling) supplies the whole kilogram.

Per kg precursor (``product="precursor"``, NMC chemistries): the cathode inventory's Ni/Co/Mn
carriers and co-precipitation reagents, scaled by kg cathode per kg precursor (one mole of
transition metal in each formula unit); no lithium, no calcination. EverBatt books cathode
production energy for co-precipitation and calcination together, so the precursor carries none of
it, on both sides alike (the saving is unaffected). Only the products carrying Ni, Co or Mn are
main products; the lithium salts become co-products for allocation and system expansion.

Cost per kg product (USD, see :data:`COST_METHOD`): virgin at EverBatt's price of the cathode, or
of the precursor's mined sulfates and reagents; recycled at the virgin cost plus the feed per kg
product times the recycling plant's net cost per kg feed (its cost less the value of everything it
recovers, :func:`urbanmine.impacts.tea.costs`). Both are computed per Monte Carlo sample from the
same run, so the reported mean is the mean of the per-sample costs, not a product of means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from urbanmine.data import load_toml
from urbanmine.errors import InputError
from urbanmine.flowsheet.result import QUANTILES
from urbanmine.impacts.factors import (
    GALLON_L,
    KWH_MJ,
    FactorSet,
    load_factor_set,
    transport_factors,
)
from urbanmine.impacts.lca import (
    FactorDraws,
    allocation_share,
    inventory_lines,
    system_expansion_credits,
)
from urbanmine.impacts.prices import cost_preset, sampled_prices
from urbanmine.impacts.tea import DEFAULT_CAPACITY_T, Economics, costs
from urbanmine.materials.chemistry import (
    CHEMISTRIES,
    PRECURSOR_CHEMISTRIES,
    cathode_species,
    precursor_species,
)
from urbanmine.materials.feeds import get_feed
from urbanmine.materials.formula import molar_mass, parse_formula
from urbanmine.materials.species import get_species
from urbanmine.routes.run import RouteResult, run

STEPS = (
    "mined materials",
    "collection and transport",
    "dismantling",
    "pretreatment",
    "refining",
    "conversion",
    "precursor",
    "cathode",
)
CREDIT_STEP = "co-product credits"
ROUTE_STEP = {
    "dismantling": "dismantling",
    "pretreatment": "pretreatment",
    "hydro": "refining",
    "pyro": "refining",
    "direct": "refining",
    "lioh": "conversion",
    "precursor": "precursor",
}
"""Which closed-loop step each shipped route's units belong to (unit names are 'route/unit')."""
PRECURSOR_ITEMS = ("sodium_hydroxide", "ammonium_hydroxide", "ammonia")
"""Co-precipitation reagents of EverBatt's cathode inventory (the rest are metal carriers or
calcination inputs)."""
MILE_KM = 1.609344
CLOSED_LOOP_ALLOCATIONS = ("none", "mass", "economic", "system_expansion_coproducts")
PRODUCTS = ("cathode", "precursor")
"""Functional units: 1 kg cathode active material, or 1 kg of its hydroxide precursor."""
TRANSITION_METALS = ("Ni", "Co", "Mn")
_RECYCLED_COST_METHOD = (
    "recycled {product} at the virgin cost plus the net cost of recycling the feed that supplies "
    "it: the plant's cost less the market value of everything it recovers (the Ni/Co/Mn/Li "
    "products the {product} uses and the other products alike), sample by sample"
)
COST_METHOD = {
    "cathode": "virgin cathode at its market price (EverBatt); "
    + _RECYCLED_COST_METHOD.format(product="cathode"),
    "precursor": "virgin precursor at the cost of its mined sulfates and co-precipitation "
    "reagents at EverBatt prices (no conversion cost or margin: EverBatt prices no precursor); "
    + _RECYCLED_COST_METHOD.format(product="precursor"),
}
"""How each side is priced per functional unit; reported with the result."""


@dataclass
class _Side:
    """GHG (kg CO2e), energy (MJ) and water (L) per kg cathode by step, per sample."""

    n: int
    ghg: dict[str, np.ndarray] = field(default_factory=dict)
    energy: dict[str, np.ndarray] = field(default_factory=dict)
    water: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, step: str, ghg: Any, energy: Any, water: Any) -> None:
        z = np.zeros(self.n)
        self.ghg[step] = self.ghg.get(step, z) + ghg
        self.energy[step] = self.energy.get(step, z) + energy
        self.water[step] = self.water.get(step, z) + water

    def total(self, what: str) -> np.ndarray:
        table: dict[str, np.ndarray] = getattr(self, what)
        return sum(table.values(), np.zeros(self.n))


def _inventory_impacts(
    fs: FactorSet,
    location: str,
    materials_kg: Mapping[str, Any],
    electricity_MJ: Any = 0.0,
    natural_gas_MJ: Any = 0.0,
    water_gal: Any = 0.0,
) -> tuple[Any, Any, Any]:
    """GHG, energy, water of an EverBatt-style inventory (GREET items in kg, energy in MJ)."""
    elec = fs.electricity_at(location)
    kwh = np.asarray(electricity_MJ) / KWH_MJ
    ghg = kwh * elec.ghg_kg_co2e + np.asarray(natural_gas_MJ) * fs.natural_gas.ghg_kg_co2e
    energy = kwh * elec.energy_MJ + np.asarray(natural_gas_MJ) * fs.natural_gas.energy_MJ
    water = (
        kwh * elec.water_L
        + np.asarray(natural_gas_MJ) * fs.natural_gas.water_L
        + np.asarray(water_gal) * GALLON_L
    )
    for item, kg in materials_kg.items():
        f = fs.material(item)
        ghg = ghg + np.asarray(kg) * f.ghg_kg_co2e
        energy = energy + np.asarray(kg) * f.energy_MJ
        water = water + np.asarray(kg) * f.water_L
    return ghg, energy, water


def _route_steps(
    result: RouteResult,
    fs: FactorSet,
    location: str,
    allocation: str,
    prices: Any,
    seed: Any,
    main_product: Callable[[str], bool] | None,
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The route's impacts per kg feed, per sample, grouped into closed-loop steps.
    ``main_product`` picks the products that carry the burden (None: all of them)."""
    draws = FactorDraws(result.samples, seed)  # one draw per factor for burdens and credits
    lines, _, _ = inventory_lines(result, fs, location, draws)
    share = allocation_share(result, allocation, prices, main_product)
    n = result.samples
    out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def book(step: str, w: float, line: Any) -> None:
        g, e, wa = out.get(step, (np.zeros(n), np.zeros(n), np.zeros(n)))
        out[step] = (
            g + line.ghg * share * w,
            e + line.energy * share * w,
            wa + line.water * share * w,
        )

    for line in lines:
        booked = sum(line.units.values())
        if not booked:
            book("refining", 1.0, line)
            continue
        for unit, q in line.units.items():
            prefix = unit.split("/", 1)[0]
            book(ROUTE_STEP.get(prefix, "refining"), q / booked, line)
    if allocation == "system_expansion_coproducts":
        credits, _ = system_expansion_credits(result, fs, draws, ("recycled",))
        if main_product is not None:
            coproducts, _ = system_expansion_credits(
                result, fs, draws, ("product",), lambda sp: not main_product(sp)
            )
            credits += coproducts
        for line in credits:
            book(CREDIT_STEP, 1.0, line)
    return out


def _carries_transition_metal(species: str) -> bool:
    return bool(set(TRANSITION_METALS) & set(get_species(species).elements))


def _supplied_elements(result: RouteResult) -> dict[str, np.ndarray]:
    """kg of each element per kg feed in the route's main products (fate ``product``), per sample."""
    out: dict[str, np.ndarray] = {}
    for key, kg in result.per_sample.items():
        if key.startswith("fate.product."):
            for el, w in get_species(key.split(".", 2)[2]).elements.items():
                out[el] = out.get(el, 0.0) + kg * w
    return out


def _products(result: RouteResult) -> set[str]:
    return {k.split(".", 2)[2] for k in result.per_sample if k.startswith("fate.product.")}


def closed_loop(
    chemistry: str,
    route: str = "hydro",
    preset: str | None = None,
    form: str = "cell",
    factor_set: str = "greet2022",
    location: str = "US",
    allocation: str = "none",
    prices: Mapping[str, float] | None = None,
    samples: int = 1,
    seed: int | None = None,
    transport_mode: str = "hgv_average",
    product: str = "cathode",
    capacity_t: float = DEFAULT_CAPACITY_T,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Per kg ``product`` (cathode, or its hydroxide precursor): ``{"virgin": {...},
    "recycled": {...}, "steps": [{"step", "ghg_kg_co2e", "energy_MJ"}], ...}``, steps = virgin
    minus recycled (the saving), ranked, summing to the total difference.

    ``route`` runs on the feed ``CHEMISTRY-form`` (1 kg) under ``preset``; ``allocation`` splits the
    route's burden (EverBatt default ``none``: all of it on the recovered cathode materials).
    Each side's ``cost_usd`` (USD per kg product, the mean over samples of the per-sample cost;
    see the module docstring) prices the route in a plant of ``capacity_t`` tonnes of feed a year
    at ``location``; ``currency`` and ``fallback_to_us`` are those of the plant's costs.
    ``progress``, if given, is called with the number of samples the route has run.
    """
    data = load_toml("closed_loop", "everbatt2023.toml")
    if chemistry not in data["cathode"]:
        raise InputError(f"unknown chemistry {chemistry!r}; allowed: {', '.join(CHEMISTRIES)}")
    if allocation not in CLOSED_LOOP_ALLOCATIONS:
        raise InputError(
            f"closed loop allocation {allocation!r} not allowed; use {', '.join(CLOSED_LOOP_ALLOCATIONS)}"
        )
    if product not in PRODUCTS:
        raise InputError(f"unknown product {product!r}; allowed: {', '.join(PRODUCTS)}")
    modes = transport_factors()
    if transport_mode not in modes:
        raise InputError(f"unknown transport mode {transport_mode!r}; allowed: {', '.join(modes)}")
    fs = load_factor_set(factor_set)
    cathode = data["cathode"][chemistry]
    carriers = data["carriers"]
    cam = cathode_species(chemistry)
    pcam = precursor_species(chemistry) if product == "precursor" else None
    if product == "precursor" and pcam is None:
        raise InputError(
            f"product 'precursor' needs an NMC chemistry ({', '.join(PRECURSOR_CHEMISTRIES)}); "
            f"got {chemistry}"
        )
    feed = get_feed(f"{chemistry}-{form}", preset or "everbatt2023").scaled(mass_kg=1.0)
    result = run(feed, route, samples, seed, progress=progress, preset=preset)
    n = result.samples
    notes: list[str] = []
    supplied = _supplied_elements(result)
    products = _products(result)
    direct = cam in products
    if pcam is not None and direct:
        raise InputError(
            f"route {route!r} makes {cam} cathode itself, not a precursor; use product 'cathode'"
        )

    unit_species = pcam or cam
    materials: dict[str, float] = dict(cathode["materials_kg"])
    if pcam is not None:
        # kg cathode per kg precursor: both hold one mole of transition metal per formula unit
        per_kg = sum(get_species(pcam).elements[el] for el in TRANSITION_METALS) / sum(
            get_species(cam).elements[el] for el in TRANSITION_METALS
        )
        materials = {
            i: kg * per_kg
            for i, kg in materials.items()
            if i in PRECURSOR_ITEMS
            or (i in carriers and carriers[i]["element"] in TRANSITION_METALS)
        }
    required = {
        carriers[i]["element"]: get_species(unit_species).elements.get(carriers[i]["element"], 0.0)
        for i in materials
        if i in carriers
    }
    if direct:
        feed_per_kg = 1.0 / result.per_sample[f"fate.product.{cam}"]
        recycled_share = {el: np.ones(n) for el in required}
    else:
        usable = [el for el in required if el in supplied and np.all(supplied[el] > 0)]
        if not usable:
            raise InputError(
                f"route {route!r} recovers none of {', '.join(required)} as products for {chemistry}"
            )
        feed_per_kg = np.min([required[el] / supplied[el] for el in usable], axis=0)
        recycled_share = {
            el: np.minimum(1.0, feed_per_kg * supplied[el] / required[el])
            if el in usable
            else np.zeros(n)
            for el in required
        }

    virgin, recycled = _Side(n), _Side(n)
    # mined materials: carriers of the cathode's elements
    mined = {i: kg for i, kg in materials.items() if i in carriers}
    virgin.add("mined materials", *_inventory_impacts(fs, location, mined))
    topped = {i: kg * (1.0 - recycled_share[carriers[i]["element"]]) for i, kg in mined.items()}
    recycled.add("mined materials", *_inventory_impacts(fs, location, topped))

    # precursor (co-precipitation reagents) and cathode (calcination energy, O2, process CO2)
    reagents = {i: materials[i] for i in PRECURSOR_ITEMS if i in materials}
    other = {i: kg for i, kg in materials.items() if i not in carriers and i not in reagents}
    li2co3 = materials.get("lithium_carbonate", 0.0)
    process_co2 = li2co3 * molar_mass(parse_formula("CO2")) / molar_mass(parse_formula("Li2CO3"))
    cath = _inventory_impacts(
        fs,
        location,
        other,
        cathode["electricity_MJ"],
        cathode["natural_gas_MJ"],
        cathode["water_gal"],
    )
    cath = (cath[0] + process_co2, cath[1], cath[2])
    prec = _inventory_impacts(fs, location, reagents)
    virgin.add("precursor", *prec)
    if pcam is None:
        virgin.add("cathode", *cath)

    main_product = _carries_transition_metal if pcam is not None else None
    route_steps = _route_steps(result, fs, location, allocation, prices, seed, main_product)
    for step, (g, e, w) in route_steps.items():
        recycled.add(step, g * feed_per_kg, e * feed_per_kg, w * feed_per_kg)
    has_precursor = "precursor" in route_steps
    tm = [el for el in ("Ni", "Co", "Mn") if el in required]
    if direct:
        notes.append(
            f"the route's product is {cam} itself: no conversion, precursor or cathode step"
        )
    else:
        if pcam is None:
            recycled.add("cathode", *cath)
        if has_precursor and tm:
            mol = {el: required[el] / molar_mass(parse_formula(el)) for el in tm}
            r_tm = sum(recycled_share[el] * m for el, m in mol.items()) / sum(mol.values())
            recycled.add("precursor", *(np.asarray(x) * (1.0 - r_tm) for x in prec))
        else:
            recycled.add("precursor", *prec)
        for args in _conversions(
            data, mined, carriers, recycled_share, products, has_precursor, notes
        ):
            recycled.add("conversion", *_inventory_impacts(fs, location, *args))

    # collection and transport of the feed and of the recovered products to the cathode maker
    legs = data["transport"]
    truck = modes[transport_mode]
    feed_miles = sum(
        legs[k]
        for k in (
            "collection_to_disassembly_miles",
            "disassembly_to_preprocessing_miles",
            "preprocessing_to_refining_miles",
        )
    )
    delivered = (
        1.0
        if direct
        else sum(kg * recycled_share[carriers[i]["element"]] for i, kg in mined.items())
    )
    tkm = (
        (feed_per_kg * feed_miles + delivered * legs["recycler_to_cathode_producer_miles"])
        * MILE_KM
        / 1000.0
    )
    recycled.add("collection and transport", tkm * truck.ghg_kg_co2e, tkm * truck.energy_MJ, 0.0)

    cost = _costs(
        result, chemistry, pcam is None, materials, feed_per_kg, location, capacity_t, preset, seed
    )
    return _report(
        chemistry,
        unit_species,
        materials,
        route,
        result,
        fs,
        location,
        allocation,
        virgin,
        recycled,
        feed_per_kg,
        recycled_share,
        notes,
        cost,
    )


@dataclass
class _Cost:
    """USD per kg product per sample (virgin, recycled) and the plant's economics."""

    virgin: np.ndarray
    recycled: np.ndarray
    economics: Economics


def _costs(
    result: RouteResult,
    chemistry: str,
    cathode_made: bool,
    materials: Mapping[str, float],
    feed_per_kg: Any,
    location: str,
    capacity_t: float,
    preset: str | None,
    seed: int | None,
) -> _Cost:
    """Virgin and recycled cost per kg product, per sample (:data:`COST_METHOD`).

    Prices are drawn once and used on both sides; the plant is costed on the same route result
    whose recoveries set ``feed_per_kg``, so each sample's feed and net cost belong together.
    """
    chosen = cost_preset(preset or result.feed.requested_preset)
    n = result.samples
    prices = sampled_prices(chosen, n, seed)
    economics = costs(result, location, capacity_t, chosen, prices=prices)
    if cathode_made:
        virgin = np.asarray(prices[chemistry], dtype=float)
    else:
        virgin = sum(
            (kg * np.asarray(prices[i], dtype=float) for i, kg in materials.items()), np.zeros(n)
        )
    virgin = np.broadcast_to(virgin, (n,))
    net_per_kg_feed = (economics.cost - economics.revenue) / result.per_sample["feed.mass_kg"]
    return _Cost(virgin, virgin + feed_per_kg * net_per_kg_feed, economics)


def _conversions(
    data: Mapping[str, Any],
    mined: Mapping[str, float],
    carriers: Mapping[str, Any],
    share: Mapping[str, np.ndarray],
    products: set[str],
    has_precursor: bool,
    notes: list[str],
) -> list[tuple[dict[str, Any], Any, Any, Any]]:
    """Conversion inventories (materials, electricity MJ, natural gas MJ, water gal) of the
    recovered share of each carrier, per kg cathode (EverBatt Mat. Conv. Par. 1.2)."""
    conv = data["conversion"]
    out = []
    for item, kg in mined.items():
        carrier = carriers[item]
        amount = kg * share[carrier["element"]]
        formula = carrier["formula"]
        if (
            not np.any(amount > 0)
            or formula in products
            or (has_precursor and item.endswith("_sulfate"))
        ):
            continue  # delivered in the form the cathode maker uses
        if item == "lithium_carbonate" and "LiOH" in products:
            continue  # Li substituted one for one; EverBatt has no LiOH -> Li2CO3 conversion
        if item in conv:
            rec = conv[item]
            out.append(
                (
                    {i: amount * q for i, q in rec["materials_kg"].items()},
                    amount * rec["electricity_MJ"],
                    amount * rec["natural_gas_MJ"],
                    amount * rec["water_gal"],
                )
            )
        elif item == "manganese_sulfate":
            acid = molar_mass(parse_formula("H2SO4")) / molar_mass(parse_formula("MnSO4"))
            water = conv["nickel_sulfate"]["water_gal"]
            out.append(({"sulfuric_acid": amount * acid}, 0.0, 0.0, amount * water))
            notes.append(
                "Mn2+ to MnSO4: EverBatt has no inventory; one H2SO4 per MnSO4 (stoichiometric, "
                "as its Ni and Co sulfate conversions) and their 0.2 gal water"
            )
        elif item == "lithium_carbonate":
            continue  # Li2CO3 recovered as Li2CO3
        else:
            notes.append(f"no conversion inventory for recovered {carrier['element']} to {formula}")
    return out


def _stats(a: np.ndarray) -> dict[str, float]:
    q = np.quantile(a, QUANTILES)
    return {f"p{round(p * 100):02d}": float(v) for p, v in zip(QUANTILES, q, strict=True)}


def _report(
    chemistry: str,
    unit_species: str,
    virgin_inventory: Mapping[str, float],
    route: str,
    result: RouteResult,
    fs: FactorSet,
    location: str,
    allocation: str,
    virgin: _Side,
    recycled: _Side,
    feed_per_kg: Any,
    share: Mapping[str, np.ndarray],
    notes: list[str],
    cost: _Cost,
) -> dict[str, Any]:
    cathode_made = unit_species == chemistry
    steps_present = [s for s in STEPS if cathode_made or s != "cathode"]
    steps_present += [CREDIT_STEP] if CREDIT_STEP in recycled.ghg else []
    zero = np.zeros(result.samples)
    steps: list[dict[str, Any]] = [
        {
            "step": s,
            "ghg_kg_co2e": float(np.mean(virgin.ghg.get(s, zero) - recycled.ghg.get(s, zero))),
            "energy_MJ": float(np.mean(virgin.energy.get(s, zero) - recycled.energy.get(s, zero))),
        }
        for s in steps_present
    ]
    steps.sort(key=lambda row: -row["ghg_kg_co2e"])

    def side(s: _Side, usd: np.ndarray) -> dict[str, Any]:
        d: dict[str, Any] = {
            "ghg_kg_co2e": float(s.total("ghg").mean()),
            "energy_MJ": float(s.total("energy").mean()),
            "water_L": float(s.total("water").mean()),
            "cost_usd": float(usd.mean()),
            "by_step_ghg_kg_co2e": {k: float(v.mean()) for k, v in s.ghg.items()},
        }
        if result.samples > 1:
            d["quantiles"] = {"ghg_kg_co2e": _stats(s.total("ghg")), "cost_usd": _stats(usd)}
        return d

    eco = cost.economics

    return {
        "chemistry": chemistry,
        "route": route,
        "feed": result.feed.name,
        "preset": result.feed.preset,
        "factor_set": fs.name,
        "gwp": fs.gwp,
        "location": location,
        "allocation": allocation,
        "product": "cathode" if cathode_made else "precursor",
        "functional_unit": (
            f"1 kg {chemistry} cathode active material"
            if cathode_made
            else f"1 kg {get_species(unit_species).formula} precursor of {chemistry} cathode"
        ),
        "feed_kg_per_kg_product": float(np.mean(feed_per_kg)),
        "virgin_inventory_kg": dict(virgin_inventory),
        "recycled_share": {el: float(np.mean(v)) for el, v in share.items()},
        "virgin": side(virgin, cost.virgin),
        "recycled": side(recycled, cost.recycled),
        "saving_ghg_kg_co2e": float((virgin.total("ghg") - recycled.total("ghg")).mean()),
        "samples": result.samples,
        "capacity_t": eco.capacity_t,
        "cost_method": COST_METHOD["cathode" if cathode_made else "precursor"],
        "currency": eco.currency,
        "fallback_to_us": eco.fallback_to_us,
        "steps": steps,
        "notes": notes,
    }
