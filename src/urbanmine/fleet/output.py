"""A fleet run as JSON and as tidy tables (docs/fleet.md, "Model and command").

Values are the median (p50) over the samples of each cell (a deterministic run has one sample);
``quantiles`` gives p05/p50/p95 of the regional totals. Years are JSON keys as strings.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from urbanmine.errors import InputError
from urbanmine.fleet.materials import ELEMENTS
from urbanmine.fleet.model import SERIES, FleetResult
from urbanmine.flowsheet.result import QUANTILES

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


def tables(result: FleetResult, data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Tidy (long) tables of every series, p50 over the samples; ``data`` is :func:`to_dict`."""
    inputs = result.inputs
    idx = np.indices((len(inputs.years), len(inputs.countries), len(inputs.chemistries)))
    year, country, chem = (a.ravel() for a in idx)
    packs_rows = [
        {
            "series": name,
            "year": inputs.years[y],
            "country": inputs.countries[c],
            "chemistry": inputs.chemistries[k],
            "packs": float(p),
            "GWh": float(g),
            "t": float(t),
        }
        for name in SERIES
        for y, c, k, p, g, t in zip(
            year,
            country,
            chem,
            median(result.packs[name]).ravel(),
            median(result.GWh[name]).ravel(),
            median(result.tonnes(result.GWh[name])).ravel(),
            strict=True,
        )
    ]
    vy, vc, vg = (a.ravel() for a in np.indices(result.vehicles_in_use.shape[1:]))
    vehicle_rows = [
        {
            "series": name,
            "year": inputs.years[y],
            "country": inputs.countries[c],
            "segment": inputs.segments[g],
            "vehicles": float(v),
        }
        for name, a in (
            ("sold", result.vehicles_sold),
            ("in_use", result.vehicles_in_use),
            ("retired", result.vehicles_retired),
        )
        for y, c, g, v in zip(vy, vc, vg, median(a).ravel(), strict=True)
    ]
    regional = (
        ("demand_new", result.GWh["sold"].sum(axis=2)),
        ("demand_replacement", result.GWh["replaced"].sum(axis=2)),
        ("scrap", result.scrap_GWh),
        ("feedstock", result.feedstock_GWh),
    )
    regional_rows = [
        {
            "series": name,
            "year": inputs.years[y],
            "chemistry": inputs.chemistries[k],
            "GWh": float(median(a)[y, k]),
            "t": float(median(result.tonnes(a))[y, k]),
        }
        for name, a in regional
        for y in range(len(inputs.years))
        for k in range(len(inputs.chemistries))
    ]
    element_rows = [
        {"series": series, "year": int(y), "element": e, "t": t}
        for series, block in (
            ("eol", data["eol"]["elements_t"]),
            ("feedstock", data["feedstock"]["elements_t"]),
            ("scrap", data["scrap"]["elements_t"]),
            ("demand", data["demand"]["elements_t"]),
            ("secondary_supply", data["secondary_supply_t"]),
        )
        for e, by_year in block.items()
        for y, t in by_year.items()
    ]
    content_rows = [
        {"year": int(y), "element": e, **q}
        for e, by_year in data["quantiles"]["recycled_content"].items()
        for y, q in by_year.items()
    ]
    verdict_rows = [
        {k: v if isinstance(v, str | int | float | None) else str(v) for k, v in row.items()}
        for row in data["verdicts"]
    ]
    return {
        "packs": packs_rows,
        "vehicles": vehicle_rows,
        "regional": regional_rows,
        "elements": element_rows,
        "recycled_content": content_rows,
        "verdicts": verdict_rows,
    }


def check_out_dir(path: Path) -> None:
    """``--out`` must be a folder (existing or new) whose parent exists, not a file."""
    if path.exists() and not path.is_dir():
        raise InputError(f"--out {path}: is a file; give a folder (it is created if absent)")
    if not path.parent.is_dir():
        raise InputError(f"--out {path}: the parent folder {path.parent} does not exist")


def _arrow_table(table: list[dict[str, Any]]) -> Any:
    """One table as a pyarrow Table, columns in the CSV's order; a column with no value at all
    (e.g. a verdict's ``period``) is typed string rather than Arrow's null type."""
    import pyarrow as pa

    fields = list(table[0]) if table else []
    columns = {}
    for f in fields:
        col = pa.array([row.get(f) for row in table])
        columns[f] = col.cast(pa.string()) if pa.types.is_null(col.type) else col
    return pa.table(columns)


def write_tables(rows: dict[str, list[dict[str, Any]]], out_dir: Path) -> list[str]:
    """Write each table as CSV and as Parquet into a temporary folder beside ``out_dir``, then
    move the files into ``out_dir`` only once all are written."""
    import pyarrow.parquet as pq

    check_out_dir(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=".fleet-", dir=out_dir.parent))
    try:
        for name, table in rows.items():
            fields = list(table[0]) if table else []
            with open(staging / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=fields)
                writer.writeheader()
                writer.writerows(table)
            pq.write_table(_arrow_table(table), staging / f"{name}.parquet")
        out_dir.mkdir(exist_ok=True)
        written = sorted(p.name for p in staging.iterdir())
        for f in written:
            os.replace(staging / f, out_dir / f)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
