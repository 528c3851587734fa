"""The default fleet scenarios' end-of-life volumes next to published forecasts.

    .venv/bin/python bench/fleet_forecasts.py

Runs the built-in Europe and China data (central values, nothing calibrated) and prints, for
every published figure, our value of the same quantity in the same year and the ratio ours /
published. Europe's forecasts are listed here with their sources; China's are the
``[[forecasts]]`` anchors shipped in ``data/fleet/china.toml``. docs/fleet.md, "Against published
forecasts", discusses the table; tests/fleet/test_forecasts.py checks the comparable rows against
the band :data:`SPREAD`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

SPREAD = 2.0
"""Band factor: published forecasts of the same quantity, region and year disagree by about this
much among themselves (China, annual retirements in 2025: CCID 174.2 GWh vs TrendForce 91 GWh,
a factor 1.9), so a model is judged consistent with them when it lies within
[lowest / SPREAD, highest x SPREAD] of the comparable figures."""

QUANTITIES = {
    "eol": "packs leaving use (with their vehicle or failed), before exports, collection, second life",
    "eol+scrap": "end-of-life packs plus production scrap",
    "eol_packs": "end-of-life packs, count",
    "scrap": "production scrap",
    "feedstock": "reaching recyclers: collected direct + second-life returns + scrap",
    "second_life_stock": "packs in stationary second life at the end of the year",
    "secondary_supply": "elements recovered (Li, Ni, Co, Mn, Cu, Al, graphite) after the hydro route",
    "demand": "new-pack demand (new vehicles + replacements)",
}


@dataclass(frozen=True)
class Forecast:
    """One published figure (or series) and the quantity of ours it is set against."""

    publisher: str
    kind: str  # "annual" or "cumulative" (from the first modelled year)
    unit: str  # "GWh", "kt" or "packs"
    values: dict[int, float]
    ours: str  # a key of QUANTITIES
    comparable: bool  # same scope (checked against the band) or context only
    note: str  # scope and, when not comparable, why
    source: str = ""


EUROPE = (
    Forecast(
        "T&E (2024)",
        "annual",
        "GWh",
        {2035: 170.0, 2040: 470.0},
        "eol",
        True,
        "end-of-life batteries available for recycling, EU + UK, production scrap counted separately",
        "Transport & Environment (Dec 2024) 'From waste to value: the potential for battery "
        "recycling in Europe', transportenvironment.org; figures as reported by Altilium "
        "(2024-12-19) and Recycling Magazin (2025-03-13)",
    ),
    Forecast(
        "Fraunhofer ISI (2021), base scenario",
        "annual",
        "kt",
        {2030: 230.0, 2040: 1500.0},
        "eol+scrap",
        True,
        "Li-ion batteries after use and any second life plus production scrap arising for "
        "recycling in Europe, all applications, net of vehicle and battery exports",
        "Fraunhofer ISI for the VDMA Impuls-Stiftung (Nov 2021) 'Recycling von "
        "Lithium-Ionen-Batterien: Chancen und Herausforderungen für den Maschinen- und "
        "Anlagenbau', as reported by EUWID Recycling and Automobilwoche (Nov 2021)",
    ),
    Forecast(
        "Fraunhofer ISI (2024)",
        "annual",
        "kt",
        {2026: 270.0},
        "eol+scrap",
        True,
        "projected return of batteries for recycling plus production scrap, Europe",
        "Fraunhofer ISI blog 'Battery recycling in Europe continues to pick up speed' (2024, "
        "M. Stephan), as reported by velobiz.de",
    ),
    Forecast(
        "Statista",
        "annual",
        "packs",
        {2030: 1_000_000.0},
        "eol_packs",
        True,
        "EV batteries available for recycling, EU, given as 'more than one million' in 2030",
        "Statista, 'Forecasted EV batteries available for recycling in the EU 2018-2030' "
        "(statistic 1012083)",
    ),
    Forecast(
        "T&E (2024), production scrap",
        "annual",
        "GWh",
        {2030: 100.0},
        "scrap",
        False,
        "'more than 100 GWh' of gigafactory scrap: cells made in Europe (planned plants, incl. "
        "cells for export); ours is scrap on the region's own demand",
        "as T&E (2024) above",
    ),
    Forecast(
        "Kastanaki & Giannis (2023), low",
        "annual",
        "GWh",
        {2040: 212.0},
        "second_life_stock",
        False,
        "second-life capacity by 2040, EU-27 (range 212-617 GWh); their reuse rules and derated "
        "capacity differ from our 50 % second-life share",
        "Kastanaki & Giannis (2023) J. Clean. Prod. 393:136349",
    ),
    Forecast(
        "Kastanaki & Giannis (2023), high",
        "annual",
        "GWh",
        {2040: 617.0},
        "second_life_stock",
        False,
        "as the low row",
        "Kastanaki & Giannis (2023) J. Clean. Prod. 393:136349",
    ),
    Forecast(
        "NPM AG 4 / Fraunhofer ISI and ISC (2021)",
        "annual",
        "kt",
        {2020: 8.0, 2040: 720.0},
        "secondary_supply",
        False,
        "material recovered from all batteries, incl. pack Al and Cu at their own recycling "
        "rates; ours counts seven elements after the hydro route",
        "Nationale Plattform Zukunft der Mobilität, AG 4 (2021), 'Batterierecyclingmarkt "
        "Europa', plattform-zukunft-mobilitaet.de",
    ),
    Forecast(
        "Fraunhofer ISI (2021), demand",
        "annual",
        "GWh",
        {2030: 650.0, 2040: 1050.0},
        "demand",
        False,
        "Li-ion installed in Europe per year, all applications, midpoints of 400-900 (2030) and "
        "800-1,300 GWh (2040); ours is EV cars only",
        "as Fraunhofer ISI (2021) above",
    ),
)

CHINA_SCOPE: dict[str, tuple[str, bool, str]] = {
    # publisher prefix -> (our quantity, comparable, note)
    "TrendForce (2022)": ("feedstock", False, "recycled tonnage (an upper bound), not retirements"),
    "GEM": ("feedstock", False, "one company's recycled volume"),
    "National recycled": ("feedstock", False, "recycled (incl. production scrap), not retired"),
    "Weber": ("eol", False, "recorded scrapped NEVs (formal channel), not all packs leaving use"),
    "CABRCA": ("eol", False, "units odd in the source (449 kt to 2023 but 148.7 GWh to 2030)"),
}
"""China anchors that are not retirements of all packs (default: ``eol``, comparable). The
Meng/Tian GWh rows use derated capacity (60-80 % of nominal): handled in :func:`china`."""


def china(data: dict[str, Any]) -> tuple[Forecast, ...]:
    """The shipped China anchors as :class:`Forecast` rows with our quantity and comparability."""
    rows = []
    for f in data["forecasts"]:
        ours, comparable, note = "eol", True, f.get("caveat", "")
        for prefix, (q, c, why) in CHINA_SCOPE.items():
            if f["publisher"].startswith(prefix):
                ours, comparable, note = q, c, why
        if f["publisher"].startswith("Meng, Tian") and f["unit"] == "GWh":
            comparable, note = False, "derated capacity (60-80 % of nominal); ours is nominal"
        values = {int(y): float(v) for y, v in f["values"].items()}
        rows.append(
            Forecast(
                f["publisher"], f["kind"], f["unit"], values, ours, comparable, note, f["source"]
            )
        )
    return tuple(rows)


def our_series(data: dict[str, Any]) -> dict[tuple[str, str], dict[int, float]]:
    """{(quantity, unit): {year: value}} of a ``fleet.output.to_dict`` run (annual values)."""

    def series(by_year: dict[str, float], scale: float = 1.0) -> dict[int, float]:
        return {int(y): v * scale for y, v in by_year.items()}

    def add(a: dict[int, float], b: dict[int, float]) -> dict[int, float]:
        return {y: a[y] + b[y] for y in a}

    secondary = np.sum([list(s.values()) for s in data["secondary_supply_t"].values()], axis=0)
    return {
        ("eol", "GWh"): series(data["eol"]["GWh"]),
        ("eol", "kt"): series(data["eol"]["t"], 1e-3),
        ("eol+scrap", "kt"): add(series(data["eol"]["t"], 1e-3), series(data["scrap"]["t"], 1e-3)),
        ("eol_packs", "packs"): series(data["eol"]["packs"]),
        ("scrap", "GWh"): series(data["scrap"]["GWh"]),
        ("feedstock", "GWh"): series(data["feedstock"]["GWh"]),
        ("feedstock", "kt"): series(data["feedstock"]["t"], 1e-3),
        ("second_life_stock", "GWh"): series(data["second_life"]["stock"]["GWh"]),
        ("secondary_supply", "kt"): dict(zip(data["years"], secondary * 1e-3, strict=True)),
        ("demand", "GWh"): series(data["demand"]["GWh"]),
    }


def compare(forecasts: tuple[Forecast, ...], data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per published value: ours in the same year (cumulative: summed from the first
    modelled year) and the ratio ours / published."""
    series = our_series(data)
    rows = []
    for f in forecasts:
        annual = series[f.ours, f.unit]
        years = np.array(sorted(annual))
        cumulative = dict(zip(years.tolist(), np.cumsum([annual[y] for y in years]), strict=True))
        for year, published in f.values.items():
            if year not in annual:
                continue
            ours = float(cumulative[year] if f.kind == "cumulative" else annual[year])
            rows.append(
                {
                    "publisher": f.publisher,
                    "kind": f.kind,
                    "unit": f.unit,
                    "year": year,
                    "published": published,
                    "ours": ours,
                    "ratio": ours / published,
                    "quantity": f.ours,
                    "comparable": f.comparable,
                    "note": f.note,
                }
            )
    return rows


def bands(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str, int], tuple[float, float]]:
    """[lowest / SPREAD, highest x SPREAD] of the comparable figures per (quantity, kind, unit,
    year)."""
    groups: dict[tuple[str, str, str, int], list[float]] = {}
    for r in rows:
        if r["comparable"]:
            groups.setdefault((r["quantity"], r["kind"], r["unit"], r["year"]), []).append(
                r["published"]
            )
    return {k: (min(v) / SPREAD, max(v) * SPREAD) for k, v in groups.items()}


def run_region(region: str) -> dict[str, Any]:
    """The JSON of ``urbanmine fleet --region REGION`` (central values)."""
    from urbanmine.fleet.model import run
    from urbanmine.fleet.output import to_dict
    from urbanmine.fleet.scenario import fleet_section, load

    return to_dict(run(load(fleet_section({"region": region}))))


def main() -> None:
    from urbanmine.fleet.scenario import region_data

    for region, forecasts in (("europe", EUROPE), ("china", china(region_data("china")))):
        rows = compare(forecasts, run_region(region))
        print(f"\n{region}: ours / published (central run; * = comparable, checked in the band)")
        print(
            f"{'publisher':44} {'kind':10} {'unit':5} {'year':>4} {'published':>11} "
            f"{'ours':>11} {'ratio':>6}  quantity"
        )
        for r in rows:
            mark = "*" if r["comparable"] else " "
            print(
                f"{r['publisher'][:44]:44} {r['kind']:10} {r['unit']:5} {r['year']:>4} "
                f"{r['published']:>11,.1f} {r['ours']:>11,.1f} {r['ratio']:>6.2f}{mark} {r['quantity']}"
            )


if __name__ == "__main__":
    main()
