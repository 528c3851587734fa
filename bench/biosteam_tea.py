"""BioSTEAM side of the impacts-and-economics cross-check: the flowsheet with its TEA and LCA.

Runs INSIDE the throwaway BioSTEAM venv (``bench/biosteam_env.py``), next to
``bench/biosteam_side.py`` whose flowsheet build it reuses; urbanmine is not installed there::

    PY=$(python3 bench/biosteam_env.py)
    $PY bench/biosteam_tea.py SPEC.json COSTING.json OUT.json

SPEC.json comes from ``urbanmine.flowsheet.export.to_spec`` (flowsheet, feed, parameter samples),
COSTING.json from ``urbanmine.impacts.export.to_costing_spec`` (GHG factors, prices, cost factors,
the sized plant's equipment). OUT.json gets, per sample, ``ghg_kg_co2e_per_kg``,
``cost_usd_per_kg``, ``revenue_usd_per_kg`` (per kg of feed) and ``breakdown_usd_per_kg`` (the
cost categories of ``urbanmine.impacts.tea.costs``), the plant's capital (``plant``), and
``seconds_per_sample`` = ``bst.Model.evaluate`` wall time / N (simulation with design and cost,
TEA and LCA metrics; build and first simulate excluded).

Plant year. The flowsheet is simulated at BioSTEAM-side scaled flows (``biosteam_side``: the feed
is 1e9 kmol/h so that its convergence floor is sub-ulp), so the system's ``operating_hours`` is
set to capacity / scaled feed rate: one BioSTEAM year then processes the plant's capacity, and
every annual figure (``material_cost``, ``utility_cost``, ``get_net_impact``) is the plant's.

Economics (``EverBattTEA``, a ``bst.TEA``): EverBatt 2023's Towler & Sinnott factored estimate
(EverBatt 2023 CM Rec Par rows 453-503; factors from COSTING.json):

* every equipment item's purchased cost at the plant capacity is a ``baseline_purchase_costs``
  entry of its unit (bare-module factor 1), so ``installed_equipment_cost`` is the purchased
  equipment; ``_DPI`` = ISBL = equipment x (1 + erection, piping, I&C, electrical, civil,
  structures, lagging) = 3.2 x; ``_TDC`` = ISBL + OSBL (40 % of ISBL); ``_FCI`` = TDC x (1 +
  design & engineering 25 % + contingency 10 %); ``WC_over_FCI`` = 15 %;
* ``_FOC``: operating labour (person-hours per day of every item x days x the location's rate),
  supervision 25 % and salary overhead 50 % on it; maintenance 5 % of ISBL; plant overhead 65 %
  of labour costs + maintenance; taxes and insurance, rent and environmental charges on ISBL +
  OSBL;
* variable costs: one make-up stream per reagent and unit, priced per kg (``material_cost``;
  x 1.05 for consumables and packaging); electricity is each unit's ``power_utility`` at
  ``PowerUtility.price`` (``utility_cost``); the feed stream carries the feedstock price;
* ``annual_costs()`` adds what BioSTEAM's TEA has no slot for and EverBatt charges: natural gas
  (MJ -> MMBtu) and process water (kg -> US gal) booked by the units, landfill tip fees on the
  landfill sinks, capital charges (capital recovery factor at ``interest_rate`` over the plant
  life x FCI, plus interest on working capital), R&D as a share of revenue, selling and
  royalties as shares of the total (solved exactly), and manual dismantling per kg of feed;
* ``sales`` is overridden: EverBatt values a product by its species (salts by their metal
  content), and a BioSTEAM stream has one price per kg, so revenue is sum(species kg x value)
  over the product and recycled sinks.

What this cross-check is, and is not. BioSTEAM computes for itself: the flowsheet's mass balance
(its own units and recycle solver), the reagent make-up flows, ``material_cost`` and
``utility_cost`` (stream prices x flows, power utilities), ``installed_equipment_cost``, working
capital, and every impact (``get_net_impact`` over ``set_CF`` and process impacts). The cost
model itself is ours, written a second time: ``_DPI``, ``_TDC``, ``_FCI`` and ``_FOC`` are
overridden with EverBatt's Towler & Sinnott factors, ``sales`` with our species valuation, and
the capital charge (capital recovery factor), R&D, selling and royalties, natural gas, water,
landfill and dismantling are added by ``annual_costs()`` outside BioSTEAM's own cash-flow
analysis (``bst.TEA``'s discounted cash flow, ``NPV``, ``solve_price``, depreciation and taxes are
not used). The cost columns therefore agree to round-off because they are our arithmetic twice
on the same inputs; only the flowsheet, the variable-cost and the impact aggregation are an
independent computation (docs/performance.md, "What the cross-checks check").

Impacts (indicator ``GWP``, kg CO2e), with BioSTEAM's LCA facilities: ``set_CF`` on every
reagent make-up stream; ``PowerUtility.set_CF`` for electricity; ``System.define_process_impact``
for natural gas and diesel (MJ booked by the units) and for each greenhouse gas leaving in the
emission sinks (kg x GWP-100); ``System.get_net_impact("GWP")`` / annual feed mass. No product
carries a factor, so nothing is displaced (urbanmine's ``allocation="none"``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import biosteam as bst
from biosteam_side import build, parameter_model, sample_matrix

GWP = "GWP"
SORT_LIMIT = 4000  # as biosteam_side: Model sample sorting builds an N x N matrix


def capital_recovery_factor(rate: float, years: float) -> float:
    """Annuity per USD of capital: r (1+r)^n / ((1+r)^n - 1) (Towler & Sinnott 2021, Eq. 9.9)."""
    growth = (1.0 + rate) ** years
    return rate * growth / (growth - 1.0)


def _equipment_by_unit(econ: dict) -> dict[str, dict[str, float]]:
    """{unit: {item: USD}}; an item listed twice on one unit gets a numbered key."""
    out: dict[str, dict[str, float]] = {}
    for e in econ["equipment"]:
        items = out.setdefault(e["unit"], {})
        key, k = e["item"], 1
        while key in items:
            k += 1
            key = f"{e['item']} {k}"
        items[key] = e["purchase_cost_usd"]
    return out


class Plant:
    """The built flowsheet with prices, factors and the streams the TEA and LCA read."""

    def __init__(self, spec: dict, costing: dict):
        econ, ghg = costing["economics"], costing["ghg"]
        if econ["method"] != "towler_sinnott":
            raise ValueError(f"cost method {econ['method']!r}: only towler_sinnott is rebuilt here")
        self.econ, self.ghg = econ, ghg
        b = build(spec, design_and_cost=True, equipment=_equipment_by_unit(econ))
        self.b, self.bst = b, b.bst
        bst = b.bst
        loc = econ["location_prices"]
        bst.settings.define_impact_indicator(GWP, "kg")  # kg CO2e
        self.reagents = []  # (stream, species)
        for make_up, names in b.reagent_streams.values():
            for stream, sp in zip(make_up, names, strict=True):
                stream.price = econ["reagent_usd_per_kg"].get(sp, 0.0)  # absent: free (air O2)
                if sp in ghg["reagents_kg_co2e_per_kg"]:
                    stream.set_CF(GWP, ghg["reagents_kg_co2e_per_kg"][sp])
                self.reagents.append(stream)
        bst.PowerUtility.price = loc["electricity_usd_per_kWh"]
        bst.PowerUtility.set_CF(GWP, ghg["electricity_kg_co2e_per_kWh"])
        feeds = spec["feeds"]
        if len(feeds) != 1:
            raise ValueError("one feed stream expected")
        self.feed = b.streams[next(iter(feeds))]
        self.feed.price = econ["feedstock_usd_per_kg"]
        fates = spec["sinks"]
        self.sinks = {
            f: [b.streams[s] for s, fate in fates.items() if fate == f] for f in set(fates.values())
        }
        self.products = [
            (b.streams[s], b.cid[sp], econ["product_usd_per_kg"][f"{fate}.{sp}"])
            for s, fate in fates.items()
            if fate in ("product", "recycled")
            for sp in b.species
            if f"{fate}.{sp}" in econ["product_usd_per_kg"]
        ]
        self.booking_units = [u for u in b.units.values() if getattr(u, "booked", None) is not None]
        system = b.system
        capacity_kg = econ["capacity_t"] * 1000.0
        b.simulate()
        system.operating_hours = capacity_kg / self.feed.F_mass
        for kind, key in (("natural_gas_MJ", "natural_gas"), ("diesel_MJ", "diesel")):
            system.define_process_impact(
                GWP, key, "MJ", self.annual_booking(kind), ghg[f"{key}_kg_co2e_per_MJ"]
            )
        for gas, gwp in ghg["emission_gwp_100"].items():
            if gas in b.cid:
                system.define_process_impact(
                    GWP, f"{gas} emitted", "kg", self.annual_emission(gas), gwp
                )
        self.tea = EverBattTEA(self)

    def annual_booking(self, kind: str):
        """Callable: a utility booked by the units over the plant year (MJ, kg or kWh)."""
        system = self.b.system

        def annual() -> float:
            hourly = sum(u.booked.get(kind, 0.0) for u in self.booking_units)
            return hourly * system.operating_hours

        return annual

    def annual_emission(self, gas: str):
        """Callable: kg of ``gas`` leaving in the emission sinks over the plant year."""
        system, cid = self.b.system, self.b.cid[gas]

        def annual() -> float:
            return (
                sum(s.imass[cid] for s in self.sinks.get("emission", [])) * system.operating_hours
            )

        return annual

    def annual_feed_kg(self) -> float:
        return self.feed.F_mass * self.b.system.operating_hours


class EverBattTEA(bst.TEA):
    """EverBatt 2023's Towler & Sinnott factored estimate (see the module docstring)."""

    def __init__(self, plant: Plant):
        self.plant = plant
        econ = plant.econ
        f, op = econ["factors"], econ["operation"]
        self.f, self.op, self.loc = f, op, econ["location_prices"]
        years = int(op["plant_life_years"])
        super().__init__(
            plant.b.system,
            IRR=f["interest_rate"],
            duration=(0, years),
            depreciation=f"SL{years}",
            income_tax=0.0,
            operating_days=plant.b.system.operating_hours / 24.0,
            lang_factor=None,
            construction_schedule=(1.0,),
            startup_months=0.0,
            startup_FOCfrac=0.0,
            startup_VOCfrac=0.0,
            startup_salesfrac=0.0,
            WC_over_FCI=f["working_capital"],
            finance_interest=0.0,
            finance_years=0,
            finance_fraction=0.0,
        )
        self.labour_usd_per_year = (
            sum(e["labour_h_per_day"] for e in econ["equipment"])
            * op["days_per_year"]
            * self.loc["labour_usd_per_h"]
        )

    def _DPI(self, installed_equipment_cost):
        """ISBL: purchased equipment x (1 + erection, piping, I&C, electrical, civil,
        structures, lagging)."""
        f = self.f
        items = ("erection", "piping", "instrumentation", "electrical", "civil", "structures")
        return installed_equipment_cost * (1.0 + sum(f[k] for k in items) + f["lagging"])

    def _TDC(self, DPI):
        """ISBL + OSBL."""
        return DPI * (1.0 + self.f["osbl"])

    def _FCI(self, TDC):
        return TDC * (1.0 + self.f["design_engineering"] + self.f["contingency"])

    def fixed_costs(self) -> dict:
        """Fixed operating costs by category (USD/yr)."""
        f, isbl, battery_limits = self.f, self.DPI, self.TDC
        labour = self.labour_usd_per_year * (1.0 + f["supervision"]) * (1.0 + f["salary_overhead"])
        maintenance = f["maintenance"] * isbl
        return {
            "labour": labour,
            "maintenance": maintenance,
            "overhead": f["plant_overhead"] * (labour + maintenance),
            "fixed_charges": (f["taxes_insurance"] + f["rent"] + f["environmental"])
            * battery_limits,
        }

    def _FOC(self, FCI):
        return sum(self.fixed_costs().values())

    @property
    def sales(self) -> float:
        """Revenue (USD/yr): species kg x their value, over the product and recycled sinks."""
        hourly = sum(s.imass[cid] * value for s, cid, value in self.plant.products)
        return hourly * self.operating_hours

    def annual_costs(self) -> dict:
        """EverBatt's total cost of production by category (USD/yr), as ``costs`` reports
        it: materials, utilities, fixed costs, capital, general, feedstock, dismantling."""
        p, f, op, loc = self.plant, self.f, self.op, self.loc
        hours = self.operating_hours
        reagents = sum(s.cost for s in p.reagents) * hours  # price x F_mass, USD/h
        gas_MMBtu = p.annual_booking("natural_gas_MJ")() / op["mmbtu_MJ"]
        water_gal = p.annual_booking("water_kg")() / op["gallon_L"]
        landfill_kg = sum(s.F_mass for s in p.sinks.get("landfill", [])) * hours
        out = {
            "materials": reagents * (1.0 + f["consumables"] + f["packaging"]),
            "utilities": self.utility_cost  # the units' power utilities
            + gas_MMBtu * loc["natural_gas_usd_per_MMBtu"]
            + water_gal * loc["water_usd_per_gal"]
            + landfill_kg / op["short_ton_kg"] * loc["landfill_usd_per_short_ton"],
            **self.fixed_costs(),
            "capital": capital_recovery_factor(f["interest_rate"], op["plant_life_years"])
            * self.FCI
            + f["interest_working_capital"] * self.working_capital,
            "general": f["research"] * self.sales,
        }
        share = f["selling"] + f["royalties"]
        out["general"] += sum(out.values()) * share / (1.0 - share)
        out["feedstock"] = self.plant.feed.cost * hours
        if p.econ["dismantling_usd_per_kg"]:
            out["dismantling"] = p.econ["dismantling_usd_per_kg"] * p.annual_feed_kg()
        return out


CATEGORIES = (
    "materials",
    "utilities",
    "labour",
    "maintenance",
    "overhead",
    "fixed_charges",
    "capital",
    "general",
    "feedstock",
    "dismantling",
)


def run(spec: dict, costing: dict) -> dict:
    """Build, evaluate the Model over the spec's samples, and return the per-sample metrics."""
    t0 = time.perf_counter()
    plant = Plant(spec, costing)
    X = sample_matrix(spec)
    for setter, v in zip(plant.b.setters, X[0], strict=True):
        setter(v)
    plant.b.simulate()
    build_seconds = time.perf_counter() - t0

    model = parameter_model(plant.b, X)
    tea, system = plant.tea, plant.b.system
    cache: dict = {}

    def per_kg_costs() -> dict:
        return {k: v / plant.annual_feed_kg() for k, v in tea.annual_costs().items()}

    def ghg() -> float:
        cache["costs"] = per_kg_costs()  # the first metric of a sample fills the cache
        return system.get_net_impact(GWP) / plant.annual_feed_kg()

    model.metric(ghg, "GHG", "kg CO2e/kg feed")
    model.metric(lambda: sum(cache["costs"].values()), "cost", "USD/kg feed")
    model.metric(lambda: tea.sales / plant.annual_feed_kg(), "revenue", "USD/kg feed")
    for name in CATEGORIES:
        model.metric(lambda name=name: cache["costs"].get(name, 0.0), name, "USD/kg feed")
    model.load_samples(X.copy(), sort=X.shape[0] <= SORT_LIMIT)
    t1 = time.perf_counter()
    model.evaluate()
    seconds_per_sample = (time.perf_counter() - t1) / X.shape[0]
    table = model.table.values[:, X.shape[1] :]
    out = {
        "ghg_kg_co2e_per_kg": table[:, 0].tolist(),
        "cost_usd_per_kg": table[:, 1].tolist(),
        "revenue_usd_per_kg": table[:, 2].tolist(),
        "breakdown_usd_per_kg": {k: table[:, 3 + i].tolist() for i, k in enumerate(CATEGORIES)},
        "plant": {
            "purchased_equipment_usd": tea.purchase_cost,
            "isbl_usd": tea.DPI,
            "fixed_capital_usd": tea.FCI,
            "total_capital_usd": tea.TCI,
            "operating_hours_per_year": system.operating_hours,
        },
        "seconds_per_sample": seconds_per_sample,
        "build_seconds": build_seconds,
        "samples": int(X.shape[0]),
        "biosteam_version": bst.__version__,
    }
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("spec")
    ap.add_argument("costing")
    ap.add_argument("out")
    args = ap.parse_args(argv)
    spec = json.loads(Path(args.spec).read_text())
    costing = json.loads(Path(args.costing).read_text())
    out = run(spec, costing)
    Path(args.out).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
