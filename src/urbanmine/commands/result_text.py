"""How a flowsheet result reads as text (``urbanmine flowsheet`` and ``urbanmine run`` without
``--json``): everything the user asked for, from the same dictionary ``--json`` prints.

Shares (recovery, recycling efficiency) are percentages. A Monte Carlo result (more than one
sample) labels its values "mean of N samples" and adds a p05-p95 column wherever the result
carries quantiles for the number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.markup import escape

from urbanmine.commands.common import out, table

RECOVERY_ELEMENTS = ("Li", "Ni", "Co", "Mn", "Cu", "Al", "Fe", "C")
"""Elements whose recovery is printed (the metals and graphite carbon a recycler sells; the
others, mostly reagent-borne, are in ``--json``)."""

Quantiles = Mapping[str, Mapping[str, float]]


def num(value: float) -> str:
    return f"{value:.4g}"


def pct(value: float) -> str:
    return f"{value:.1%}"


class Columns:
    """Value columns of a table: the value (labelled "mean of N samples" for a Monte Carlo
    result) and, for more than one sample, its p05-p95 range."""

    def __init__(self, samples: int, quantiles: Quantiles | None) -> None:
        self.samples = samples
        self.quantiles = quantiles or {}

    def headers(self, label: str) -> tuple[str, ...]:
        if self.samples > 1:
            return (f"{label}, mean of {self.samples} samples", "p05-p95")
        return (label,)

    def cells(self, value: float, key: str | None, fmt: Any = num) -> tuple[str, ...]:
        if self.samples == 1:
            return (fmt(value),)
        q = self.quantiles.get(key) if key else None
        return (fmt(value), f"{fmt(q['p05'])} - {fmt(q['p95'])}" if q else "")


def print_result(d: Mapping[str, Any]) -> None:
    """The whole result: outputs, recovery, efficiency and inventory, then impacts, economics
    and compliance when the result holds them."""
    samples = int(d.get("samples", 1))
    cols = Columns(samples, d.get("quantiles"))
    f = d["feed"]
    header = (
        f"[bold]{escape(f['name'])}[/] {f['mass_kg']:.6g} kg ({f['capacity_kWh']:.4g} kWh) "
        f"through [bold]{escape(d['route'])}[/]"
    )
    if samples > 1:
        header += f": mean of {samples} samples, p05-p95 beside each mean"
    out.print(header, highlight=False)
    _outputs(d, cols)
    _recovery(d, cols)
    _inventory(d, cols)
    _counting(d.get("counting"))
    out.print(f"element balance: max relative error {d['balance']['max_relative_error']:.2g}")
    _asymmetric(d)
    if "impacts" in d:
        _impacts(d["impacts"], samples)
    if "economics" in d:
        _economics(d["economics"], samples)
    if "compliance" in d:
        _compliance(d["compliance"])


def _outputs(d: Mapping[str, Any], cols: Columns) -> None:
    """Each output: its mass, the battery-origin mass in it, the mass counted as recycled and
    what was left out of the count (the reasons are listed once below the table)."""
    t = table(
        "output", "fate", *cols.headers("kg"), "battery-origin kg", "counted kg", "left out",
        "main species",
    )  # fmt: skip
    reasons: dict[str, str] = {}  # why -> kind, each reason once
    for o in d["outputs"]:
        main = ", ".join(
            f"{k} {v:.4g}" for k, v in sorted(o["species_kg"].items(), key=lambda kv: -kv[1])[:3]
        )
        left = o.get("left_out", {})
        reasons.update({why["why"]: kind for kind, why in left.items()})
        t.add_row(
            o["name"],
            o["fate"],
            *cols.cells(o["mass_kg"], f"outputs.{o['name']}.mass_kg", lambda v: f"{v:.6g}"),
            num(o["battery_origin_kg"]) if "battery_origin_kg" in o else "",
            num(o["counted_kg"]) if "counted_kg" in o else "",
            ", ".join(f"{kind.replace('_', ' ')} {num(why['kg'])}" for kind, why in left.items()),
            main,
        )
    out.print(t)
    for why, kind in reasons.items():
        out.print(f"left out ({kind.replace('_', ' ')}): {escape(why)}", highlight=False)


def _recovery(d: Mapping[str, Any], cols: Columns) -> None:
    t = table("element", *cols.headers("recovery"))
    for el, v in d["recovery"].items():
        if el in RECOVERY_ELEMENTS:
            t.add_row(el, *cols.cells(v, f"recovery.{el}", pct))
    out.print(t)


def _inventory(d: Mapping[str, Any], cols: Columns) -> None:
    inv = d["inventory"]
    counting = d.get("counting", {})
    t = table("quantity", "unit", *cols.headers("amount"))
    rule = counting.get("rule", "").replace("_", "-")
    t.add_row(
        f"recycling efficiency ({rule} counting)" if rule else "recycling efficiency",
        "%",
        *cols.cells(d["recycling_efficiency"], "recycling_efficiency", pct),
    )
    if "recycling_efficiency_element_capped" in d:
        t.add_row(
            "  upper bound (element-capped counting)",
            "%",
            *cols.cells(
                d["recycling_efficiency_element_capped"],
                "recycling_efficiency_element_capped",
                pct,
            ),
        )
    if "recycled_output_kg" in d:
        t.add_row(
            "recycled output", "kg", *cols.cells(d["recycled_output_kg"], "recycled_output_kg")
        )
    for key, label, unit in (
        ("electricity_kWh", "electricity", "kWh"),
        ("natural_gas_MJ", "natural gas", "MJ"),
        ("diesel_MJ", "diesel", "MJ"),
        ("water_kg", "water", "kg"),
    ):
        t.add_row(label, unit, *cols.cells(inv[key], f"inventory.{key}"))
    for name, kg in inv["reagents_kg"].items():
        t.add_row(f"reagent {name}", "kg", *cols.cells(kg, f"inventory.reagents_kg.{name}"))
    out.print(t)


def _counting(c: Mapping[str, Any] | None) -> None:
    """Which counting rule the efficiency and recovery use, and what it leaves out."""
    if not c:
        return
    line = f"counting: {c['rule'].replace('_', '-')}"
    if c.get("upper_bound"):
        line += f", upper bound {c['upper_bound'].replace('_', '-')}"
    if "input_fraction_kg" in c:
        line += f"; input fraction {num(c['input_fraction_kg'])} kg"
    if c.get("not_counted_species"):
        line += f"; not counted: {', '.join(c['not_counted_species'])}"
    out.print(escape(line), highlight=False)


def _asymmetric(d: Mapping[str, Any]) -> None:
    """Say which asymmetric distributions move the Monte Carlo means off the point values."""
    shifted = d.get("asymmetric")
    if not shifted:
        return
    out.print(
        f"means of {d['samples']} samples differ from a run at the cited point values: "
        "these parameters' distributions have a mean other than their point value"
    )
    for a in shifted:
        rel = a["relative_difference"]
        out.print(
            f"  {escape(a['parameter'])}: point value {a['value']:.6g}, distribution mean "
            f"{a['distribution_mean']:.6g}" + (f" ({rel:+.2%})" if rel is not None else ""),
            highlight=False,
        )


def _impacts(i: Mapping[str, Any], samples: int) -> None:
    out.print(
        f"[bold]impacts[/] ({escape(i['factor_set'])}, GWP {escape(i['gwp'])}, "
        f"location {escape(i['location'])}, allocation {escape(i['allocation'])})",
        highlight=False,
    )
    cols = Columns(samples, i.get("quantiles"))
    t = table("impact", "unit", *cols.headers("amount"))
    t.add_row("greenhouse gas", "kg CO2e", *cols.cells(i["ghg_kg_co2e"], "ghg_kg_co2e"))
    if i.get("credits_kg_co2e"):
        t.add_row("  of which burden", "kg CO2e", *cols.cells(i["burden_ghg_kg_co2e"], None))
        t.add_row("  of which credits", "kg CO2e", *cols.cells(-i["credits_kg_co2e"], None))
    t.add_row("energy", "MJ", *cols.cells(i["energy_MJ"], "energy_MJ"))
    t.add_row("water", "L", *cols.cells(i["water_L"], "water_L"))
    out.print(t)
    contributions = sorted(i["contributions"], key=lambda c: -abs(c["ghg_kg_co2e"]))
    if contributions:
        c = table("unit", "input", "kg CO2e", title="greenhouse gas by unit and input")
        for row in contributions:
            c.add_row(row["unit"], row["input"], num(row["ghg_kg_co2e"]))
        out.print(c)
    for species, why in i.get("excluded", {}).items():
        out.print(f"not counted: {escape(species)}: {escape(why)}", highlight=False)
    if i.get("uncredited"):
        out.print(f"no credit factor: {escape(', '.join(i['uncredited']))}", highlight=False)
    for note in i.get("notes", []):
        out.print(f"note: {escape(note)}", highlight=False)


def currency_of(e: Mapping[str, Any]) -> str:
    """The currency code the economics are in: the result's own ``currency`` (a code, or a table
    with ``code``) when it names one, else US dollars, the unit of every ``*_usd`` figure of
    :mod:`urbanmine.impacts.tea` (EverBatt's prices and cost curves)."""
    currency = e.get("currency", "USD")
    return str(currency["code"] if isinstance(currency, Mapping) else currency)


def currency_line(currency: Mapping[str, Any], fallback: list[str]) -> str:
    """One line saying what the costs are in (dollar years, conversions) and which parameters
    fell back to U.S. values."""
    line = (
        f"currency: {currency['code']} (equipment {currency['equipment_dollar_year']}; prices "
        f"{currency['prices']}; no escalation between years)"
    )
    converted = currency.get("converted_from")
    if converted:
        line += (
            f"; {', '.join(converted['parameters'])} from {converted['code']} "
            f"{converted['year']} at {converted['usd_per_eur']} USD/{converted['code']}"
        )
    if fallback:
        line += f"; U.S. values for {', '.join(fallback)}"
    return line


def _economics(e: Mapping[str, Any], samples: int) -> None:
    currency = currency_of(e)
    out.print(
        f"[bold]economics[/] in {escape(currency)} per feed mass ({escape(e['location'])}, "
        f"{e['capacity_t']:.6g} t feed/yr, preset {escape(e['preset'])}, "
        f"method {escape(e['method'])})",
        highlight=False,
    )
    cols = Columns(samples, e.get("quantiles"))
    t = table("item", "currency", *cols.headers("amount"))
    for key, label in (("cost_usd", "cost"), ("revenue_usd", "revenue"), ("profit_usd", "profit")):
        t.add_row(label, currency, *cols.cells(e[key], key))
    for name, v in e["breakdown_usd"].items():
        t.add_row(f"  cost: {name}", currency, *cols.cells(v, None))
    for name, v in e["revenue_by_product_usd"].items():
        t.add_row(f"  revenue: {name}", currency, *cols.cells(v, None))
    out.print(t)
    for species, kg in e.get("unpriced_kg", {}).items():
        out.print(f"no price: {escape(species)} ({kg:.4g} kg)", highlight=False)
    if isinstance(e.get("currency"), Mapping):
        line = currency_line(e["currency"], e.get("fallback_to_us", []))
        out.print(escape(line), highlight=False)


def _compliance(c: Mapping[str, Any]) -> None:
    from urbanmine.commands.compliance import print_findings

    print_findings(c["on"], c["verdicts"], c["unchecked"])
