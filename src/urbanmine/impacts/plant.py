"""The recycling plant behind a route: equipment, its purchased cost at a capacity, labour, and
the factored capital of EverBatt's two costing methods.

Equipment curves (ANL-19/16 Appendix C; EverBatt Unit Ops rows 140-208): one piece of an item of
design capacity x (tonne/h) costs ``(a x**b + c) adj`` and draws ``m x**n + p`` kW. The throughput
an item handles is the plant throughput times its ``capacity_share`` (the Unit Ops "Capa. Adj."
column); it is designed for ``design_margin`` (1.5) times that, split over its ``pieces`` (two
pieces of 75 % each, ANL-19/16 section 2.2.3). EverBatt rounds each piece up to 0.1 t/h; urbanmine
sizes continuously unless asked to round, so cost per kg falls smoothly with capacity. The plant
runs ``days_per_year`` x ``processing_hours_per_day``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from urbanmine.data import load_toml
from urbanmine.errors import InputError
from urbanmine.impacts.prices import cost_preset
from urbanmine.materials.feeds import get_feed
from urbanmine.routes.compose import ComposedRoute
from urbanmine.routes.run import RouteResult


@dataclass(frozen=True)
class Equipment:
    """One EverBatt unit operation's cost and power curve (USD of ``dollar_year``; kW)."""

    name: str
    capacity_share: float
    a: float
    b: float
    c: float
    adj: float
    power_m: float
    power_n: float
    power_p: float
    labour_h_per_day: float
    pieces: int
    source: str
    dollar_year: str

    def piece_capacity_t_per_h(self, plant_t_per_h: float, round_up: bool = False) -> float:
        """Design capacity of one piece (tonne/h) for a plant throughput in tonne/h; with
        ``round_up``, rounded up to EverBatt's 0.1 t/h step."""
        x = plant_t_per_h * self.capacity_share * operation("design_margin") / self.pieces
        if round_up:
            step = operation("design_step_t_per_h")
            x = math.ceil(round(x / step, 9)) * step
        return x

    def cost_usd(self, plant_t_per_h: float, round_up: bool = False) -> float:
        """Purchased cost of all pieces (USD) at a plant throughput in tonne/h."""
        x = self.piece_capacity_t_per_h(plant_t_per_h, round_up)
        return self.pieces * (self.a * x**self.b + self.c) * self.adj

    def power_kW(self, plant_t_per_h: float) -> float:
        """Rated power of all pieces (kW) at a plant throughput in tonne/h."""
        x = self.piece_capacity_t_per_h(plant_t_per_h)
        return self.pieces * (self.power_m * x**self.power_n + self.power_p)


@cache
def equipment_table(preset: str) -> dict[str, Equipment]:
    """Unit operations with cost data in the preset's workbook."""
    rows = load_toml("economics", "equipment.toml")[cost_preset(preset)]
    fields = Equipment.__dataclass_fields__
    return {
        name: Equipment(name, **{k: v for k, v in rec.items() if k in fields})
        for name, rec in rows.items()
    }


def operation(name: str) -> float:
    """A plant operation constant (days per year, hours per day, life, unit conversions)."""
    return float(load_toml("economics", "factors.toml")["operation"][name]["value"])


def factors(preset: str) -> tuple[str, dict[str, float]]:
    """Name and values of the cost factor set EverBatt uses under ``preset``."""
    table = load_toml("economics", "factors.toml")
    method = table["presets"][cost_preset(preset)]
    return method, {k: float(v["value"]) for k, v in table[method].items()}


def plant_t_per_h(capacity_t: float) -> float:
    """Throughput (tonne/h) of a plant processing ``capacity_t`` tonnes of feed a year."""
    if not capacity_t > 0:
        raise InputError(f"plant capacity must be > 0 tonnes per year, got {capacity_t}")
    return capacity_t / (operation("days_per_year") * operation("processing_hours_per_day"))


def route_equipment(route: ComposedRoute, preset: str) -> list[tuple[str, str, Equipment]]:
    """(route name, flowsheet unit, equipment) for the units the composed flowsheet kept, from
    each route file."""
    table = equipment_table(preset)
    kept = {u.name for u in route.flowsheet.units}
    single = len(route.specs) == 1
    items: list[tuple[str, str, Equipment]] = []
    for spec in route.specs:
        for unit, names in spec.equipment.items():
            unit_name = ("" if single else f"{spec.name}/") + unit
            if unit_name not in kept:
                continue
            for name in names:
                if name not in table:
                    raise InputError(
                        f"route {spec.name!r} unit {unit!r}: equipment {name!r} has no cost curve "
                        f"under {cost_preset(preset)}; allowed: {', '.join(sorted(table))}"
                    )
                items.append((spec.name, unit_name, table[name]))
    return items


@dataclass(frozen=True)
class SizedItem:
    """One equipment item of a plant: the route and flowsheet unit it serves, and the
    throughput it handles (tonne/h of what enters its route)."""

    route: str
    unit: str
    equipment: Equipment
    throughput_t_per_h: float


def sized_equipment(
    route: ComposedRoute, preset: str, capacity_t: float, shares: Mapping[str, float]
) -> list[SizedItem]:
    """The equipment of ``route`` in a plant of ``capacity_t`` tonnes of feed a year, each item
    on its route's share of the throughput (``shares``: :func:`intake_shares` of a result)."""
    rate = plant_t_per_h(capacity_t)
    return [
        SizedItem(name, unit, e, rate * shares[name])
        for name, unit, e in route_equipment(route, preset)
    ]


def intake_shares(result: RouteResult) -> dict[str, float]:
    """Mass entering each route of a composed result over the feed mass (sample means).

    A route takes what the routes before it handed on: the feed plus their reagents less what
    left them as sinks. EverBatt 2023 likewise sizes preprocessing on the feed and critical-
    materials recovery on the black mass.
    """
    specs = result.route.specs
    if len(specs) == 1:
        return {specs[0].name: 1.0}
    feed = result.mean("feed.mass_kg")
    inflow = feed
    shares: dict[str, float] = {}
    for spec in specs:
        shares[spec.name] = inflow / feed
        prefix = f"{spec.name}/"
        reagents = sum(
            float(v.sum())
            for k, v in result.sums.items()
            if k.startswith(f"units.{prefix}") and ".reagents_kg." in k
        )
        leaving = sum(
            result.mean(f"outputs.{sink}.mass_kg")
            for sink in result.route.flowsheet.sinks
            if sink.startswith(prefix)
        )
        inflow += reagents / result.samples - leaving
    return shares


@dataclass(frozen=True)
class Capital:
    """Capital of a plant (USD) and the base amounts annual charges are shares of."""

    purchased_equipment: float
    fixed: float
    total: float
    parts: dict[str, float]


def capital(purchased_equipment: float, preset: str) -> Capital:
    """Fixed and total capital investment from purchased equipment, as EverBatt factors it.

    ``peters`` (EverBatt 2019/2020, ANL-19/16 Table 15): direct costs = equipment x (1 +
    installation, instrumentation, piping, electrical, buildings, yard, land); fixed capital =
    direct x (1 + engineering + construction) / (1 - contingency); total = fixed / (1 - working
    capital share). ``towler_sinnott`` (EverBatt 2023): ISBL = equipment x (1 + erection, piping,
    I&C, electrical, civil, structures, lagging); OSBL = share of ISBL; fixed capital = (ISBL +
    OSBL) x (1 + design and engineering + contingency); working capital a share of fixed capital.
    """
    method, f = factors(preset)
    pe = purchased_equipment
    if method == "peters":
        peters_items = ("installation", "instrumentation", "piping", "electrical", "buildings")
        direct = pe * (1 + sum(f[k] for k in (*peters_items, "yard", "land")))
        fixed = direct * (1 + f["engineering"] + f["construction"]) / (1 - f["contingency"])
        total = fixed / (1 - f["working_capital"])
        parts = {"land": pe * f["land"], "buildings": pe * f["buildings"]}
    else:
        ts_items = ("erection", "piping", "instrumentation", "electrical", "civil", "structures")
        isbl = pe * (1 + sum(f[k] for k in (*ts_items, "lagging")))
        battery_limits = isbl * (1 + f["osbl"])
        fixed = battery_limits * (1 + f["design_engineering"] + f["contingency"])
        working = fixed * f["working_capital"]
        total = fixed + working
        parts = {"isbl": isbl, "isbl_osbl": battery_limits, "working": working}
    return Capital(pe, fixed, total, parts)


def capital_recovery_factor(rate: float, years: float) -> float:
    """Annual payment per USD of capital over ``years`` at ``rate``: r (1+r)^n / ((1+r)^n - 1)."""
    growth = (1 + rate) ** years
    return rate * growth / (growth - 1)


DISMANTLING_STEPS = ("pack_removal_h", "pack_to_modules_h", "modules_to_cells_h")
"""EverBatt's manual dismantling steps, in order (hours per pack each)."""


def dismantling_h_per_kg(chemistry: str, form: str, preset: str) -> float:
    """Manual dismantling hours per kg of pack or module (EverBatt Disassembly model).

    EverBatt books hours per pack by step for the pack design of its workbook
    (``disassembly.toml``), whatever the pack's chemistry. A pack takes all three steps over the
    mass of one pack of ``preset``'s bill of materials; a module takes the modules-to-cells hours
    of its pack over the mass of the pack's modules (modules per pack x module mass). So a
    heavier pack of the same design takes fewer hours per kg, and a feed of n packs' mass takes n
    packs' hours. ``preset`` is the bill of materials the feed was built from (``Feed.preset``;
    a chemistry the preset lacks follows its BOM fallback, hours included).
    Cells, scrap and black mass need none (0).
    """
    if form not in ("pack", "module"):
        return 0.0
    pack = get_feed(f"{chemistry}-pack", preset)  # follows the preset's BOM fallback (LCO, LMO)
    table = load_toml("economics", "disassembly.toml")
    design = cost_preset(pack.preset)
    if design not in table:
        raise InputError(
            f"no dismantling hours for preset {pack.preset!r}; presets with packs: "
            f"{', '.join(sorted(table))}"
        )
    hours = {step: float(table[design][step]["value"]) for step in DISMANTLING_STEPS}
    if form == "pack":
        return sum(hours.values()) / pack.mass_kg
    bom = load_toml("bom", f"{pack.preset}.toml")["packs"][chemistry]
    module_kg = get_feed(f"{chemistry}-module", pack.preset).mass_kg
    return hours["modules_to_cells_h"] / (int(bom["modules_per_pack"]) * module_kg)


def dismantling_labour_usd_per_kg(
    chemistry: str, form: str, preset: str, labour_usd_per_h: float
) -> float:
    """Manual dismantling labour (USD per kg of pack or module): :func:`dismantling_h_per_kg`
    times the hourly rate, which :func:`urbanmine.impacts.tea.costs` takes from the location
    (its direct labour rate, as for the plant's operating labour)."""
    return dismantling_h_per_kg(chemistry, form, preset) * labour_usd_per_h
