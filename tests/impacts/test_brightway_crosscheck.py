"""A small foreground LCA solved independently with Brightway (bw2calc + bw_processing, no
ecoinvent): the route as one foreground activity consuming background processes whose only
biosphere flow is their GHG; process CO2 as a foreground biosphere flow; system expansion as
co-products of the foreground that substitute the background processes. Brightway builds the
technosphere, biosphere and characterisation matrices and solves A s = f itself."""

import warnings

import numpy as np
import pytest

from urbanmine.impacts.factors import load_factor_set
from urbanmine.impacts.lca import assess
from urbanmine.materials.feeds import get_feed
from urbanmine.routes.run import run

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # bw2calc suggests pypardiso for speed; scipy is enough here
    import bw2calc
    import bw_processing as bwp

GHG_FLOW, CO2_FLOW = 1, 2
FOREGROUND = 1000


def _brightway_score(
    inputs: dict[str, tuple[float, float]],
    process_co2: float,
    coproducts: dict[str, tuple[float, float]],
) -> float:
    """inputs / coproducts: name -> (amount per unit foreground, kg CO2e per unit of background)."""
    names = sorted(set(inputs) | set(coproducts))
    ids = {n: 2000 + i for i, n in enumerate(names)}
    tech_idx, tech_val, tech_flip = [], [], []
    bio_idx, bio_val = [], []
    for n, pid in ids.items():  # each background process makes one unit of its product
        tech_idx.append((pid, pid)), tech_val.append(1.0), tech_flip.append(False)
        ghg = (inputs.get(n) or coproducts.get(n))[1]
        bio_idx.append((GHG_FLOW, pid)), bio_val.append(ghg)
    tech_idx.append((FOREGROUND, FOREGROUND)), tech_val.append(1.0), tech_flip.append(False)
    for n, (amount, _) in inputs.items():  # consumed by the foreground
        tech_idx.append((ids[n], FOREGROUND)), tech_val.append(amount), tech_flip.append(True)
    for n, (amount, _) in coproducts.items():  # also produced by the foreground: substitution
        tech_idx.append((ids[n], FOREGROUND)), tech_val.append(amount), tech_flip.append(False)
    bio_idx.append((CO2_FLOW, FOREGROUND)), bio_val.append(process_co2)
    dp = bwp.create_datapackage()
    dp.add_persistent_vector(
        matrix="technosphere_matrix",
        indices_array=np.array(tech_idx, dtype=bwp.INDICES_DTYPE),
        data_array=np.array(tech_val),
        flip_array=np.array(tech_flip),
    )
    dp.add_persistent_vector(
        matrix="biosphere_matrix",
        indices_array=np.array(bio_idx, dtype=bwp.INDICES_DTYPE),
        data_array=np.array(bio_val),
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
    return float(lca.score)


@pytest.fixture(scope="module")
def hydro():
    return run(get_feed("NMC622-cell").scaled(mass_kg=1.0), "hydro")


def _foreground(result, fs):
    inv = result.to_dict()["inventory"]
    inputs = {
        sp: (kg, fs.input_factor(sp).ghg_kg_co2e)
        for sp, kg in inv["reagents_kg"].items()
        if fs.input_factor(sp) is not None
    }
    inputs["electricity"] = (inv["electricity_kWh"], fs.electricity_at("US").ghg_kg_co2e)
    inputs["natural gas"] = (inv["natural_gas_MJ"], fs.natural_gas.ghg_kg_co2e)
    inputs["diesel"] = (inv["diesel_MJ"], fs.diesel.ghg_kg_co2e)
    return inputs, result.mean("fate.emission.CO2")


def test_route_ghg_matches_brightway(hydro):
    fs = load_factor_set("greet2022")
    inputs, co2 = _foreground(hydro, fs)
    ours = assess(hydro, "greet2022", "US").ghg_kg_co2e[0]
    assert ours == pytest.approx(_brightway_score(inputs, co2, {}), rel=1e-6)


def test_system_expansion_matches_brightway_substitution(hydro):
    fs = load_factor_set("greet2022")
    inputs, co2 = _foreground(hydro, fs)
    coproducts = {}
    for key, kg in hydro.per_sample.items():
        fate, _, sp = key.partition(".")[2].partition(".")
        if key.startswith("fate.") and fate in ("product", "recycled") and kg[0] > 0:
            f = fs.displaced_factor(sp)
            if f is not None:
                coproducts[f"avoided {sp}"] = (float(kg[0]), f.ghg_kg_co2e)
    ours = assess(hydro, "greet2022", "US", allocation="system_expansion").ghg_kg_co2e[0]
    theirs = _brightway_score(inputs, co2, coproducts)
    assert theirs < 0  # the credits outweigh the burden for this route
    assert ours == pytest.approx(theirs, rel=1e-6)
