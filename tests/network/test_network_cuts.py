"""The tier-level rounding cuts of ``milp._tier_cuts`` are valid: they never cut off an optimal
plan. With and without them the exact optimum is the same, on random instances with module
counts above one (integer, not yes/no; the hand-solved cases of test_network_milp run with the
cuts too); ``tier_reach`` gives the yields of the routes through the tiers, worked out by hand
below."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from urbanmine.network import milp
from urbanmine.network.instance import Instance

from .instances import random_instance


def exact(inst: Instance) -> milp.Solution:
    return milp.solve(inst, time_limit_s=60, mip_gap=0.0)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_periods=st.integers(1, 3),
    max_modules=st.integers(1, 4),
)
def test_cuts_keep_the_optimum(seed: int, n_periods: int, max_modules: int) -> None:
    inst = dataclasses.replace(random_instance(seed, n_periods=n_periods), max_modules=max_modules)
    with_cuts = exact(inst)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(milp, "_tier_cuts", lambda *args: None)
        without = exact(inst)
    assert with_cuts.objective_eur == pytest.approx(without.objective_eur, rel=1e-7, abs=1e-6)


def test_tier_reach_follows_the_yields() -> None:
    """Packs reach pretreatment directly (1 t per t) or through a hub as cells (0.6 t); black
    mass is 0.4 t per t of packs or 0.4 / 0.6 per t of cells, whichever way: the least and most
    intake of each tier per tonne put in."""
    commodities = ["packs", "cells", "blackmass", "products"]
    tiers = ["collection", "pretreatment", "refining"]
    n_c = len(commodities)
    accepts = np.zeros((3, n_c), dtype=bool)
    yields = np.zeros((3, n_c, n_c))
    accepts[0, 0] = True
    yields[0, 0, 1] = 0.6  # hub: packs -> cells
    accepts[1, [0, 1]] = True
    yields[1, 0, 2] = 0.4  # pretreatment: packs -> black mass
    yields[1, 1, 2] = 0.4 / 0.6  # cells -> black mass (the same per pack)
    accepts[2, 2] = True
    yields[2, 2, 3] = 0.9
    inst = Instance(
        years=[2030], span=np.ones(1), weight=np.ones(1), commodities=commodities,
        ships=np.array([True, True, True, False]), price_eur_per_tkm=np.zeros(n_c),
        ghg_kg_per_tkm=np.zeros(n_c), penalty_eur_per_t=np.zeros(n_c), kwh_per_t=np.zeros(n_c),
        sources=[], source_lat=np.zeros(0), source_lon=np.zeros(0),
        supply_t=np.zeros((0, 1, n_c)), sites=tiers, tiers=tiers, status=["candidate"] * 3,
        site_lat=np.zeros(3), site_lon=np.zeros(3), accepts=accepts, yields=yields,
        existing_t=np.zeros((3, 1)), existing_fixed_eur=np.zeros((3, 1)),
        sizes_t=np.ones((3, 1)), size_fixed_eur=np.ones((3, 1)),
        size_capital_eur=np.ones((3, 1)), earliest=np.zeros(3),
        variable_eur_per_t=np.zeros((3, n_c)), plant_ghg_kg_per_t=np.zeros((3, n_c)),
        distance_km=np.zeros((3, 3)),
    )  # fmt: skip
    least, most = milp.tier_reach(inst)  # tiers sorted: collection, pretreatment, refining
    np.testing.assert_allclose(least[:, 0], [0.0, 0.6, 0.4])
    np.testing.assert_allclose(most[:, 0], [1.0, 1.0, 0.4])
    np.testing.assert_allclose(least[:, 1], [0.0, 1.0, 0.4 / 0.6])
    np.testing.assert_allclose(least[:, 2], [0.0, 0.0, 1.0])
    np.testing.assert_allclose(most[:, 3], [0.0, 0.0, 0.0])  # products leave at the gate
