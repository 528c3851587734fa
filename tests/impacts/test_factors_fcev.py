"""Factors of the hydrogen-tank and platinum-hydrometallurgy loops: the carbon-fibre item from its
published range, ammonium chloride from its neutralisation stoichiometry, and recycled (not milled)
fibre displacing virgin fibre.

Sources: Prenzel et al. 2024, Polymers 16(1):12 (13.0 to 34.1 kg CO2e per kg CF over 24
scenarios); NH3 + HCl -> NH4Cl with molmass molar masses.
"""

from __future__ import annotations

import numpy as np
import pytest
from molmass import Formula

from urbanmine.impacts.factors import load_factor_set

CF_RANGE = (13.0, 34.1)  # Prenzel et al. 2024, kg CO2e per kg carbon fibre


@pytest.mark.parametrize("edition", ["greet2018", "greet2022"])
def test_carbon_fibre_factor_is_the_midpoint_with_the_published_range(edition):
    f = load_factor_set(edition).material("carbon_fibre")
    assert f.ghg_kg_co2e == pytest.approx(sum(CF_RANGE) / 2, rel=1e-12)
    u = f.uncertainty
    assert u is not None
    ends = u.ppf(np.array([0.0, 1.0])) * f.ghg_kg_co2e
    assert ends == pytest.approx(CF_RANGE, rel=1e-9)


def test_recycled_fibre_displaces_virgin_fibre_and_milled_filler_does_not():
    fs = load_factor_set("greet2022")
    rcf = fs.displaced_factor("recycled_carbon_fibre")
    assert rcf is not None and rcf.key == "carbon_fibre"
    assert fs.displaced_factor("milled_carbon_fibre") is None
    assert fs.displaced_factor("carbon_fibre") is None


def test_ammonium_chloride_is_ammonia_plus_hydrochloric_acid_at_stoichiometry():
    fs = load_factor_set("greet2022")
    m = Formula("NH4Cl").mass
    expected = (
        Formula("NH3").mass / m * fs.material("ammonia").ghg_kg_co2e
        + Formula("HCl").mass / m * fs.material("hydrochloric_acid").ghg_kg_co2e
    )
    f = fs.input_factor("NH4Cl")
    assert f is not None
    assert f.ghg_kg_co2e == pytest.approx(expected, rel=1e-9)
