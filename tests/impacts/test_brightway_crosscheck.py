"""The route's GHG solved by Brightway (bw2calc + bw_processing, no ecoinvent) over a background
with real supply chains, against ``urbanmine.impacts.lca.assess``.

The foreground (the route, 1 kg cell) consumes reagents and utilities from background processes.
Those are not isolated: electricity consumes natural gas and its own grid losses, natural gas
consumes electricity for compression (a loop), sulfuric acid consumes sulfur and electricity,
sulfur consumes natural gas, sodium hydroxide consumes salt and electricity (chlor-alkali). So
Brightway's technosphere matrix has off-diagonal entries and a cycle, and ``A s = f`` is a real
sparse solve, not a division by a diagonal.

What is and is not independent: each background process's own (direct) emission is set so that
its cradle-to-gate total equals the GREET factor urbanmine uses, d = F - sum(a F) over its inputs.
The supply-chain amounts (typed below, stoichiometric where chemistry fixes them) therefore shape
the matrix but cancel out of the answer. Brightway checks the foreground inventory, the factors,
the signs of substitution credits and the aggregation through a full inversion; it does not check
the GREET factors themselves (same data on both sides; docs/performance.md, "cross-checks").
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from urbanmine.impacts.factors import load_factor_set
from urbanmine.impacts.lca import assess
from urbanmine.materials.feeds import get_feed
from urbanmine.routes.run import RouteResult, run

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # bw2calc suggests pypardiso for speed; scipy is enough here
    import bw2calc
    import bw_processing as bwp

GHG_FLOW, CO2_FLOW = 1, 2
FOREGROUND = 1000

# Background supply chains, amount of input per unit of output. They shape the matrix only (see
# the module docstring). S in H2SO4 and NaCl per NaOH are stoichiometric (32.06 / 98.08 and
# 58.44 / 40.00 kg/kg); the chlor-alkali electricity is Faraday's charge for 1 kg NaOH
# (96485 C/mol / 0.040 kg/mol) at a 3 V cell; the rest are round, plausible values.
CHAINS: dict[str, dict[str, float]] = {
    "electricity": {"electricity": 0.05, "natural gas": 2.9},  # kWh: 5 % losses; MJ gas per kWh
    "natural gas": {"electricity": 0.01},  # MJ: pipeline compression, kWh per MJ
    "H2SO4": {"sulfur": 32.06 / 98.08, "electricity": 0.02},
    "sulfur": {"natural gas": 0.5},  # Claus recovery from sour gas, MJ per kg S
    "NaOH": {"NaCl": 58.44 / 40.00, "electricity": 96485 / 0.040 * 3.0 / 3.6e6},
    "NaCl": {"electricity": 0.03},
}
# Cradle-to-gate totals of the background products urbanmine has no factor for (kg CO2e/unit):
# they only enter the direct emissions of their users, and cancel like the amounts above.
EXTRA_TOTALS = {"sulfur": 0.05, "NaCl": 0.02}


def _direct_emissions(totals: dict[str, float]) -> dict[str, float]:
    """Direct emission of each background process so that its cradle-to-gate total is ``totals``."""
    return {
        p: total - sum(a * totals[q] for q, a in CHAINS.get(p, {}).items())
        for p, total in totals.items()
    }


def _brightway(
    foreground: dict[str, float],
    totals: dict[str, float],
    process_co2: float,
    coproducts: dict[str, tuple[float, float]] | None = None,
) -> bw2calc.LCA:
    """``foreground``: name -> amount per unit route; ``totals``: name -> kg CO2e per unit;
    ``coproducts``: name -> (amount, kg CO2e per unit of the product they displace)."""
    coproducts = coproducts or {}
    names = sorted({*totals, *coproducts})
    ids = {n: 2000 + i for i, n in enumerate(names)}
    direct = _direct_emissions(totals)
    tech: list[tuple[int, int, float, bool]] = [(FOREGROUND, FOREGROUND, 1.0, False)]
    bio: list[tuple[int, int, float]] = [(CO2_FLOW, FOREGROUND, process_co2)]
    for n, pid in ids.items():
        tech.append((pid, pid, 1.0, False))  # each process makes one unit of its product
        for q, amount in CHAINS.get(n, {}).items():  # and consumes its supply chain
            tech.append((ids[q], pid, amount, True))
        ghg = direct[n] if n in direct else coproducts[n][1]
        bio.append((GHG_FLOW, pid, ghg))
    for n, amount in foreground.items():
        tech.append((ids[n], FOREGROUND, amount, True))
    for n, (amount, _) in coproducts.items():  # also produced by the foreground: substitution
        tech.append((ids[n], FOREGROUND, amount, False))
    dp = bwp.create_datapackage()
    dp.add_persistent_vector(
        matrix="technosphere_matrix",
        indices_array=np.array([(r, c) for r, c, _, _ in tech], dtype=bwp.INDICES_DTYPE),
        data_array=np.array([v for _, _, v, _ in tech]),
        flip_array=np.array([f for _, _, _, f in tech]),
    )
    dp.add_persistent_vector(
        matrix="biosphere_matrix",
        indices_array=np.array([(r, c) for r, c, _ in bio], dtype=bwp.INDICES_DTYPE),
        data_array=np.array([v for _, _, v in bio]),
    )
    dp.add_persistent_vector(
        matrix="characterization_matrix",
        indices_array=np.array(
            [(GHG_FLOW, GHG_FLOW), (CO2_FLOW, CO2_FLOW)], dtype=bwp.INDICES_DTYPE
        ),
        data_array=np.array([1.0, 1.0]),
    )
    lca = bw2calc.LCA(demand={FOREGROUND: 1.0}, data_objs=[dp])
    lca.lci()
    lca.lcia()
    lca.ids = ids  # type: ignore[attr-defined]
    return lca


@pytest.fixture(scope="module")
def hydro() -> RouteResult:
    return run(get_feed("NMC622-cell").scaled(mass_kg=1.0), "hydro")


def _foreground(result: RouteResult) -> tuple[dict[str, float], dict[str, float], float]:
    """(amounts, background totals from GREET 2022 US, process CO2) of the route."""
    fs = load_factor_set("greet2022")
    inv = result.to_dict()["inventory"]
    amounts = {sp: kg for sp, kg in inv["reagents_kg"].items() if fs.input_factor(sp) is not None}
    totals = {sp: fs.input_factor(sp).ghg_kg_co2e for sp in amounts}  # type: ignore[union-attr]
    amounts |= {
        "electricity": inv["electricity_kWh"],
        "natural gas": inv["natural_gas_MJ"],
        "diesel": inv["diesel_MJ"],
    }
    totals |= {
        "electricity": fs.electricity_at("US").ghg_kg_co2e,
        "natural gas": fs.natural_gas.ghg_kg_co2e,
        "diesel": fs.diesel.ghg_kg_co2e,
        **EXTRA_TOTALS,
    }
    return amounts, totals, result.mean("fate.emission.CO2")


def test_the_background_is_a_real_supply_chain(hydro: RouteResult) -> None:
    """The solve is not diagonal: the grid supplies more than the route draws itself (the
    reagents' chains and the gas loop draw on it), and sulfur is supplied though the route buys
    none."""
    amounts, totals, co2 = _foreground(hydro)
    assert {"H2SO4", "NaOH"} <= set(amounts)
    lca = _brightway(amounts, totals, co2)
    supply = dict(
        zip(
            lca.ids,
            lca.supply_array[[lca.dicts.activity[i] for i in lca.ids.values()]],
            strict=True,
        )
    )
    assert supply["electricity"] > amounts["electricity"] * 1.5
    assert supply["sulfur"] == pytest.approx(amounts["H2SO4"] * 32.06 / 98.08, rel=1e-9)
    assert lca.technosphere_matrix.nnz > 2 * len(lca.ids)


def test_route_ghg_matches_brightway(hydro: RouteResult) -> None:
    amounts, totals, co2 = _foreground(hydro)
    ours = assess(hydro, "greet2022", "US").ghg_kg_co2e[0]
    assert ours == pytest.approx(_brightway(amounts, totals, co2).score, rel=1e-9)


def test_system_expansion_matches_brightway_substitution(hydro: RouteResult) -> None:
    fs = load_factor_set("greet2022")
    amounts, totals, co2 = _foreground(hydro)
    coproducts = {}
    for key, kg in hydro.per_sample.items():
        fate, _, sp = key.partition(".")[2].partition(".")
        if key.startswith("fate.") and fate in ("product", "recycled") and kg[0] > 0:
            f = fs.displaced_factor(sp)
            if f is not None:
                coproducts[f"avoided {sp}"] = (float(kg[0]), f.ghg_kg_co2e)
    ours = assess(hydro, "greet2022", "US", allocation="system_expansion").ghg_kg_co2e[0]
    theirs = _brightway(amounts, totals, co2, coproducts).score
    assert theirs < 0  # the credits outweigh the burden for this route
    assert ours == pytest.approx(theirs, rel=1e-9)
