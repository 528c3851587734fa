"""Export a compiled flowsheet and its parameter values as a plain JSON specification, so that an
independent simulator (BioSTEAM, in ``bench/biosteam_side.py``) can rebuild and run the same
flowsheet. Semantics per unit, in order: mix inlets; add doses (measured on the mixed inlet);
apply reactions in sequence (dosed co-reactants supplied as reagents); burn species; split to
outlets (``split[outlet][species or "*"]`` is the share; the last outlet takes the rest); book
utilities (``amount x scale x basis``, the basis measured on the mixed inlet before doses or, for
``kind: "outlet"``, on the named outlet; in kWh, MJ or kg as the utility's name says)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from urbanmine.flowsheet.combustion import combustion_change
from urbanmine.flowsheet.flowsheet import FEED, CompiledFlowsheet
from urbanmine.flowsheet.units import Unit, Value
from urbanmine.materials.species import get_species


def to_spec(
    compiled: CompiledFlowsheet, feed: np.ndarray, values: Mapping[str, float | np.ndarray]
) -> dict[str, Any]:
    """The flowsheet, its feed (one row, kg) and per-sample parameter values as a dict."""
    params: list[dict[str, Any]] = []

    def value(v: Value, unit: Unit, field: str) -> float:
        x = values[v] if isinstance(v, str) else v
        if np.ndim(x) > 0:
            params.append({"unit": unit.name, "field": field, "values": np.asarray(x).tolist()})
            return float(np.asarray(x).reshape(-1)[0])
        return float(x)

    units = []
    for step in compiled.steps:
        for u in step.units:
            units.append(_unit(u, value))
    idx = compiled.index
    species = {}
    for name in idx.names:
        sp = get_species(name)
        species[name] = {
            "formula": sp.formula,
            "elements": dict(sp.elements),
            "molar_mass": sp.molar_mass,
            "phase": sp.phase,
        }
    return {
        "species": species,
        "feeds": {
            FEED: {n: float(v) for n, v in zip(idx.names, feed.reshape(-1), strict=True) if v}
        },
        "units": units,
        "sinks": dict(compiled.flowsheet.sinks),
        "tears": [list(st.tears) for st in compiled.steps if st.is_loop],
        "parameters": params,
    }


def _unit(u: Unit, value: Any) -> dict[str, Any]:
    return {
        "name": u.name,
        "kind": "unit",
        "inlets": list(u.inlets),
        "outlets": list(u.outlets),
        "doses": [
            {
                "species": d.species,
                "amount": value(d.amount, u, f"doses.{i}.amount"),
                "basis": {
                    "kind": d.basis.kind,
                    "names": list(d.basis.names),
                    "per_mol": d.basis.per_mol,
                },
            }
            for i, d in enumerate(u.doses)
        ],
        "reactions": [
            {
                "stoichiometry": {k: float(v) for k, v in r.stoichiometry.items()},
                "reactant": r.reactant,
                "conversion": value(r.conversion, u, f"reactions.{i}.conversion"),
                "dosed": {k: value(v, u, f"reactions.{i}.dosed.{k}") for k, v in r.dosed.items()},
            }
            for i, r in enumerate(u.reactions)
        ],
        "burn": {
            sp: {"share": value(v, u, f"burn.{sp}"), "change_kg_per_kg": combustion_change(sp)}
            for sp, v in u.burn.items()
        },
        "split": {
            outlet: {sp: value(v, u, f"split.{outlet}.{sp}") for sp, v in table.items()}
            for outlet, table in u.split.items()
        },
        "utilities": [
            {
                "kind": x.kind,
                "amount": value(x.amount, u, f"utilities.{i}.amount"),
                "scale": x.scale,
                "basis": {
                    "kind": x.basis.kind,
                    "names": list(x.basis.names),
                    "stream": x.basis.stream,
                    "per_mol": x.basis.per_mol,
                },
            }
            for i, x in enumerate(u.utilities)
        ],
    }
