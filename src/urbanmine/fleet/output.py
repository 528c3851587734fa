"""A fleet run as JSON and as tidy tables (docs/fleet.md, "Model and command").

Values are the median (p50) over the samples of each cell (a deterministic run has one sample);
``quantiles`` gives p05/p50/p95 of the regional totals. Years are JSON keys as strings.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from urbanmine.fleet.materials import ELEMENTS
from urbanmine.fleet.model import SERIES, FleetResult
from urbanmine.flowsheet.result import QUANTILES
from urbanmine.tables import Columns

FATES = ("exported", "uncollected", "second_life_in", "recycled_direct")
"""Where the retired packs go; they add up to ``retired``."""

LABELS = tuple(f"p{round(q * 100):02d}" for q in QUANTILES)


def median(a: np.ndarray) -> np.ndarray:
    """p50 over the samples (axis 0)."""
    return np.asarray(a[0] if a.shape[0] == 1 else np.median(a, axis=0))


def _by_year(years: list[str], values: np.ndarray) -> dict[str, float]:
    return {y: float(v) for y, v in zip(years, values, strict=True)}


def _by_name(names: list[str] | tuple[str, ...], years: list[str], a: np.ndarray) -> dict[str, Any]:
    """{name: {year: value}} of a (years, names) array."""
    return {n: _by_year(years, a[:, i]) for i, n in enumerate(names)}


def _quantiles(years: list[str], a: np.ndarray) -> dict[str, dict[str, float]]:
    q = np.quantile(a, QUANTILES, axis=0)
    return {y: {lab: float(q[k, i]) for k, lab in enumerate(LABELS)} for i, y in enumerate(years)}


def to_dict(result: FleetResult) -> dict[str, Any]:
    """The JSON of ``urbanmine fleet`` (field list in docs/fleet.md)."""
    inputs = result.inputs
    years = [str(y) for y in inputs.years]
    chems = inputs.chemistries
    flows = result.flows  # regional sums without the countries x chemistries arrays

    def gwh(name: str) -> dict[str, float]:
        return _by_year(years, median(flows.by_chemistry(name, "GWh").sum(axis=-1)))

    def packs(name: str) -> np.ndarray:
        """(samples, years) packs of series ``name`` in the region."""
        return flows.by_chemistry(name, "packs").sum(axis=-1)

    def amounts(name: str) -> dict[str, Any]:
        return {"packs": _by_year(years, median(packs(name))), "GWh": gwh(name)}

    def mass(gwh_syk: np.ndarray) -> dict[str, Any]:
        return {
            "GWh": _by_year(years, median(gwh_syk.sum(axis=-1))),
            "t": _by_year(years, median(result.tonnes(gwh_syk).sum(axis=-1))),
            "elements_t": _by_name(
                ELEMENTS, years, median(result.element_tonnes(gwh_syk).sum(axis=-2))
            ),
        }

    retired = flows.by_chemistry("retired", "GWh")  # (S, Y, K)
    retired_packs = flows.by_chemistry("retired", "packs")
    by_country = {u: flows.by_country("retired", u) for u in ("packs", "GWh")}  # (S, Y, N)
    supply = result.supply.to_dict()
    demand = result.demand_GWh
    return {
        "region": inputs.region,
        "years": inputs.years,
        "samples": int(retired.shape[0]),
        "statistic": "p50 over the samples",
        "vehicles": {
            "sold": _by_year(years, median(result.vehicles_sold.sum(axis=(2, 3)))),
            "in_use": _by_year(years, median(result.vehicles_in_use.sum(axis=(2, 3)))),
            "retired": _by_year(years, median(result.vehicles_retired.sum(axis=(2, 3)))),
        },
        "eol": {"packs": amounts("retired")["packs"], **mass(retired)},
        "fates": {f: amounts(f) for f in FATES},
        "by_country": {
            c: {
                "packs": _by_year(years, median(by_country["packs"][:, :, i])),
                "GWh": _by_year(years, median(by_country["GWh"][:, :, i])),
            }
            for i, c in enumerate(inputs.countries)
        },
        "by_chemistry": {
            k: {
                "packs": _by_year(years, median(retired_packs[..., j])),
                "GWh": _by_year(years, median(retired[..., j])),
            }
            for j, k in enumerate(chems)
        },
        "in_use": amounts("in_use"),
        "second_life": {
            "in": amounts("second_life_in"),
            "returned": amounts("second_life_out"),
            "stock": amounts("second_life_stock"),
        },
        "scrap": mass(result.scrap_GWh),
        "feedstock": mass(result.feedstock_GWh),
        "demand": {
            "packs": _by_year(years, median(packs("sold") + packs("replaced"))),
            "new_GWh": gwh("sold"),
            "replacement_GWh": gwh("replaced"),
            **mass(demand),
            "by_chemistry": _by_name(chems, years, median(demand)),
        },
        "recycled_content": supply["recycled_content"],
        "secondary_supply_t": supply["secondary_supply_t"],
        "route": supply["route"],
        "verdicts": supply["verdicts"],
        "quantiles": {
            "eol_GWh": _quantiles(years, retired.sum(axis=-1)),
            "feedstock_GWh": _quantiles(years, result.feedstock_GWh.sum(axis=-1)),
            "demand_GWh": _quantiles(years, demand.sum(axis=-1)),
            "recycled_content": supply["quantiles"]["recycled_content"],
        },
    }


"""One tidy table: column name -> values (a numpy array or a list), all of one length."""


def _grid(*labels: list[Any]) -> list[np.ndarray]:
    """Every combination of ``labels`` (first varying slowest), one column per label list."""
    return [
        np.asarray(lab)[idx.ravel()]
        for lab, idx in zip(labels, np.indices([len(x) for x in labels]), strict=True)
    ]


def tables(result: FleetResult, data: dict[str, Any]) -> dict[str, Columns]:
    """Tidy (long) tables of every series, p50 over the samples; ``data`` is :func:`to_dict`.

    ``packs``: each pack series by year, country and chemistry in packs, GWh, tonnes of packs and
    tonnes of each element (``Li_t`` ...); ``vehicles`` by year, country and segment;
    ``regional`` (demand, scrap, feedstock) by year and chemistry; ``elements`` (regional element
    tonnes by series); ``recycled_content`` (p05/p50/p95); ``verdicts``. Built column-wise."""
    inputs = result.inputs
    years, countries, chems = list(inputs.years), list(inputs.countries), list(inputs.chemistries)
    gwh = np.stack([median(result.GWh[name]) for name in SERIES])  # (series, Y, N, K)
    series, year, country, chemistry = _grid(list(SERIES), years, countries, chems)
    packs: Columns = {
        "series": series,
        "year": year,
        "country": country,
        "chemistry": chemistry,
        "packs": np.stack([median(result.packs[name]) for name in SERIES]).ravel(),
        "GWh": gwh.ravel(),
        "t": result.tonnes(gwh).ravel(),
    }
    element_t = result.element_tonnes(gwh).reshape(-1, len(ELEMENTS))
    packs.update({f"{e}_t": element_t[:, i] for i, e in enumerate(ELEMENTS)})
    vehicles = (
        ("sold", result.vehicles_sold),
        ("in_use", result.vehicles_in_use),
        ("retired", result.vehicles_retired),
    )
    v_series, v_year, v_country, v_segment = _grid(
        [n for n, _ in vehicles], years, countries, list(inputs.segments)
    )
    vehicle_table: Columns = {
        "series": v_series,
        "year": v_year,
        "country": v_country,
        "segment": v_segment,
        "vehicles": np.stack([median(a) for _, a in vehicles]).ravel(),
    }
    regional = (
        ("demand_new", result.flows.by_chemistry("sold", "GWh")),
        ("demand_replacement", result.flows.by_chemistry("replaced", "GWh")),
        ("scrap", result.scrap_GWh),
        ("feedstock", result.feedstock_GWh),
    )
    r_gwh = np.stack([median(a) for _, a in regional])  # (series, Y, K)
    r_series, r_year, r_chem = _grid([n for n, _ in regional], years, chems)
    regional_table: Columns = {
        "series": r_series,
        "year": r_year,
        "chemistry": r_chem,
        "GWh": r_gwh.ravel(),
        "t": result.tonnes(r_gwh).ravel(),
    }
    blocks = {
        "eol": data["eol"]["elements_t"],
        "feedstock": data["feedstock"]["elements_t"],
        "scrap": data["scrap"]["elements_t"],
        "demand": data["demand"]["elements_t"],
        "secondary_supply": data["secondary_supply_t"],
    }
    element_table = _nested(blocks, ("series", "element", "year"), "t")
    content = data["quantiles"]["recycled_content"]
    content_table = _nested(
        {
            e: {y: [q[k] for k in LABELS] for y, q in by_year.items()}
            for e, by_year in content.items()
        },
        ("element", "year"),
        None,
    )
    verdicts = data["verdicts"]
    fields = list(verdicts[0]) if verdicts else []
    verdict_table: Columns = {
        f: [
            v if isinstance(v, str | int | float | None) else str(v)
            for v in (row[f] for row in verdicts)
        ]
        for f in fields
    }
    return {
        "packs": packs,
        "vehicles": vehicle_table,
        "regional": regional_table,
        "elements": element_table,
        "recycled_content": content_table,
        "verdicts": verdict_table,
    }


def _nested(tree: dict[str, Any], keys: tuple[str, ...], value: str | None) -> Columns:
    """A nested JSON block (``{a: {b: {year: x}}}``, years as strings) as long columns; with
    ``value`` None the leaves are the quantiles (``LABELS`` columns)."""
    leaves: list[tuple[tuple[str, ...], Any]] = [((), tree)]
    for _ in keys:
        leaves = [((*path, k), sub) for path, node in leaves for k, sub in node.items()]
    columns: Columns = {k: [p[i] for p, _ in leaves] for i, k in enumerate(keys)}
    if "year" in columns:
        columns["year"] = np.asarray(columns["year"], dtype=np.int64)
    if value is not None:
        columns[value] = np.asarray([x for _, x in leaves], dtype=float)
    else:
        table = np.asarray([x for _, x in leaves], dtype=float).reshape(-1, len(LABELS))
        columns.update({q: table[:, i] for i, q in enumerate(LABELS)})
    return columns
