"""Small network instances for tests: random ones from a seed, and hand-solvable ones.

A plain module (no fixtures) so any test can import it: ``from network.instances import ...``.
Commodities are always ``packs`` (ships), ``blackmass`` (ships), ``products`` (ships or not, as
asked: when it ships no site takes it, so by the Instance's contract it leaves at the gate) and
``scrap`` (never ships). Pretreatment sites take packs (packs -> black mass + scrap), refineries
take black mass (black mass -> products), integrated sites take both.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from urbanmine.network.instance import Instance

COMMODITIES = ["packs", "blackmass", "products", "scrap"]
PACKS, BLACKMASS, PRODUCTS, SCRAP = range(4)


def random_instance(
    seed: int,
    n_sources: int = 3,
    n_pretreatment: int = 2,
    n_refining: int = 1,
    n_periods: int = 2,
    n_sizes: int = 2,
    max_modules: int = 6,
    uniform: bool = False,
) -> Instance:
    """A random instance, at most ``max_modules`` candidate modules (so a test can enumerate
    every build plan). ``uniform``: one transport price for all commodities and equal period
    weights (then plain tonne-km and GHG are what the objective weighs, see the property tests)."""
    rng = np.random.default_rng(seed)
    n_i, n_j, n_t, n_c = n_sources, n_pretreatment + n_refining, n_periods, len(COMMODITIES)
    years = [2030 + 5 * t for t in range(n_t)]
    span = np.full(n_t, 5.0)
    weight = np.full(n_t, 4.0) if uniform else rng.uniform(2.0, 5.0, n_t)

    supply = np.zeros((n_i, n_t, n_c))
    supply[:, :, PACKS] = rng.uniform(0, 200, (n_i, n_t)) * (rng.random((n_i, n_t)) > 0.1)
    has_bm = rng.random(n_i) < 0.3
    supply[has_bm, :, BLACKMASS] = rng.uniform(0, 50, (int(has_bm.sum()), n_t))

    tiers = ["pretreatment"] * n_pretreatment + ["refining"] * n_refining
    accepts = np.zeros((n_j, n_c), dtype=bool)
    yields = np.zeros((n_j, n_c, n_c))
    for j, tier in enumerate(tiers):
        if tier == "pretreatment":
            accepts[j, PACKS] = True
            yields[j, PACKS, BLACKMASS] = rng.uniform(0.3, 0.6)
            yields[j, PACKS, SCRAP] = rng.uniform(0.1, 0.3)
        else:
            accepts[j, BLACKMASS] = True
            yields[j, BLACKMASS, PRODUCTS] = rng.uniform(0.5, 0.9)
            if rng.random() < 0.3:  # integrated: takes packs straight to products as well
                tiers[j] = "integrated"
                accepts[j, PACKS] = True
                yields[j, PACKS, PRODUCTS] = rng.uniform(0.3, 0.5)

    existing = np.zeros((n_j, n_t))
    has_existing = rng.random(n_j) < 0.4
    start = rng.integers(0, n_t, n_j)
    for j in np.flatnonzero(has_existing):
        existing[j, start[j] :] = rng.uniform(20, 150)
    sizes = np.sort(rng.uniform(30, 300, (n_j, n_sizes)), axis=1)
    sizes[rng.random((n_j, n_sizes)) < 0.3] = 0.0
    # at most max_modules options: drop the last ones (in site order) beyond that
    keep = np.cumsum(sizes.ravel() > 0).reshape(sizes.shape) <= max_modules
    sizes = np.where(keep, sizes, 0.0)
    scale = rng.uniform(500, 3000, (n_j, 1))
    size_fixed = np.where(sizes > 0, scale * sizes**0.6, 0.0)  # economies of scale
    earliest = np.array([years[k] if k < n_t else 0 for k in rng.integers(0, n_t + 1, n_j)])

    node_xy = rng.uniform(0, 800, (n_i + n_j, 2))
    distance = np.linalg.norm(node_xy[:, None, :] - node_xy[None, n_i:, :], axis=2)
    price = np.full(n_c, 0.1) if uniform else rng.uniform(0.03, 0.3, n_c)
    ships = np.array([True, True, bool(rng.random() < 0.5), False])
    return Instance(
        years=years,
        span=span,
        weight=weight,
        commodities=list(COMMODITIES),
        ships=ships,
        price_eur_per_tkm=price,
        ghg_kg_per_tkm=rng.uniform(0.02, 0.15, n_c),
        penalty_eur_per_t=np.array(
            [rng.uniform(300, 2000), rng.uniform(500, 3000), rng.uniform(100, 500), 0.0]
        ),
        kwh_per_t=np.array([200.0, 0.0, 0.0, 0.0]),
        sources=[f"S{i}" for i in range(n_i)],
        source_lat=np.zeros(n_i),
        source_lon=np.zeros(n_i),
        supply_t=supply,
        sites=[f"P{j}" for j in range(n_j)],
        tiers=tiers,
        status=["operating" if e else "candidate" for e in has_existing],
        site_lat=np.zeros(n_j),
        site_lon=np.zeros(n_j),
        accepts=accepts,
        yields=yields,
        existing_t=existing,
        existing_fixed_eur=existing * 100.0,
        sizes_t=sizes,
        size_fixed_eur=size_fixed,
        size_capital_eur=size_fixed * 8.0,
        earliest=earliest,
        variable_eur_per_t=np.where(accepts, rng.uniform(20, 400, (n_j, n_c)), 0.0),
        plant_ghg_kg_per_t=np.where(accepts, rng.uniform(10, 1000, (n_j, n_c)), 0.0),
        distance_km=distance,
        carbon_price_eur_per_t=float(rng.choice([0.0, rng.uniform(20, 200)])),
        max_km=None if rng.random() < 0.7 else 500.0,
    )


def one_source_two_plants() -> Instance:
    """One source of 100 t/yr of packs, two candidate pretreatment plants (one module of 150 t/yr
    each, fixed 10 000 EUR/yr), at 50 km and 200 km, one period of weight 1; packs travel at
    1 EUR/tkm, the plants charge 100 EUR/t and the black mass they make leaves at the gate.

    By hand: near plant 10 000 + 100 x (50 x 1 + 100) = 25 000 EUR; far plant 10 000 + 100 x
    (200 + 100) = 40 000 EUR; neither (all 100 t unprocessed at 1 000 EUR/t) 100 000 EUR; both
    cost a second 10 000 for nothing. Optimum: open the near plant only, 25 000 EUR."""
    n_c = len(COMMODITIES)
    accepts = np.zeros((2, n_c), dtype=bool)
    accepts[:, PACKS] = True
    yields = np.zeros((2, n_c, n_c))
    yields[:, PACKS, BLACKMASS] = 0.5
    supply = np.zeros((1, 1, n_c))
    supply[0, 0, PACKS] = 100.0
    distance = np.array([[50.0, 200.0], [0.0, 150.0], [150.0, 0.0]])
    return Instance(
        years=[2030],
        span=np.array([1.0]),
        weight=np.array([1.0]),
        commodities=list(COMMODITIES),
        ships=np.array([True, False, False, False]),
        price_eur_per_tkm=np.array([1.0, 0.1, 0.1, 0.1]),
        ghg_kg_per_tkm=np.zeros(n_c),
        penalty_eur_per_t=np.array([1000.0, 0.0, 0.0, 0.0]),
        kwh_per_t=np.zeros(n_c),
        sources=["city"],
        source_lat=np.zeros(1),
        source_lon=np.zeros(1),
        supply_t=supply,
        sites=["near", "far"],
        tiers=["pretreatment", "pretreatment"],
        status=["candidate", "candidate"],
        site_lat=np.zeros(2),
        site_lon=np.zeros(2),
        accepts=accepts,
        yields=yields,
        existing_t=np.zeros((2, 1)),
        existing_fixed_eur=np.zeros((2, 1)),
        sizes_t=np.array([[150.0], [150.0]]),
        size_fixed_eur=np.array([[10_000.0], [10_000.0]]),
        size_capital_eur=np.array([[80_000.0], [80_000.0]]),
        earliest=np.array([0, 0]),
        variable_eur_per_t=np.where(accepts, 100.0, 0.0),
        plant_ghg_kg_per_t=np.zeros((2, n_c)),
        distance_km=distance,
    )


def growing_supply_two_periods() -> Instance:
    """One source whose packs grow from 40 to 200 t/yr, one candidate plant at 100 km with a small
    (50 t/yr, 6 000 EUR/yr) and a large (250 t/yr, 15 000 EUR/yr) module, two periods of weight 1;
    packs 1 EUR/tkm, plant 100 EUR/t, unprocessed packs 400 EUR/t. Modules stay built.

    By hand, per processed tonne 100 + 100 = 200 EUR < 400 EUR unprocessed, so process what the
    capacity allows. Period 1 (40 t): small 6 000 + 40 x 200 = 14 000; large 15 000 + 8 000 =
    23 000; none 16 000. Period 2 (200 t): small only 6 000 + 50 x 200 + 150 x 400 = 76 000;
    large 15 000 + 40 000 = 55 000; both 21 000 + 40 000 = 61 000; none 80 000. Plans (the
    small module built in period 1 stays in period 2): small then small+large 14 000 + 61 000 =
    75 000; small then small 14 000 + 76 000 = 90 000; none then large 16 000 + 55 000 = 71 000;
    large from period 1 23 000 + 55 000 = 78 000. Optimum: nothing in period 1, the large module
    from period 2, 71 000 EUR (without stay-built: small then large, 14 000 + 55 000 = 69 000)."""
    base = one_source_two_plants()
    n_c = len(COMMODITIES)
    supply = np.zeros((1, 2, n_c))
    supply[0, :, PACKS] = [40.0, 200.0]
    keep = [0]  # the near plant, now at 100 km
    return replace(
        base,
        years=[2030, 2035],
        span=np.array([1.0, 1.0]),
        weight=np.array([1.0, 1.0]),
        penalty_eur_per_t=np.array([400.0, 0.0, 0.0, 0.0]),
        supply_t=supply,
        sites=["plant"],
        tiers=["pretreatment"],
        status=["candidate"],
        site_lat=np.zeros(1),
        site_lon=np.zeros(1),
        accepts=base.accepts[keep],
        yields=base.yields[keep],
        existing_t=np.zeros((1, 2)),
        existing_fixed_eur=np.zeros((1, 2)),
        sizes_t=np.array([[50.0, 250.0]]),
        size_fixed_eur=np.array([[6_000.0, 15_000.0]]),
        size_capital_eur=np.array([[48_000.0, 120_000.0]]),
        earliest=np.array([0]),
        variable_eur_per_t=base.variable_eur_per_t[keep],
        plant_ghg_kg_per_t=base.plant_ghg_kg_per_t[keep],
        distance_km=np.array([[100.0], [0.0]]),
    )


def large_instance(
    seed: int = 0, n_sources: int = 40, n_sites: int = 30, n_periods: int = 4
) -> Instance:
    """A generated instance too large to prove optimal in a fraction of a second: ``n_sources``
    regions and ``n_sites`` candidate sites (two thirds pretreatment, one third refining) with
    three module sizes each, no existing capacity."""
    n_ref = n_sites // 3
    inst = random_instance(
        seed,
        n_sources=n_sources,
        n_pretreatment=n_sites - n_ref,
        n_refining=n_ref,
        n_periods=n_periods,
        n_sizes=3,
        max_modules=10**6,
    )
    return replace(
        inst,
        existing_t=np.zeros_like(inst.existing_t),
        existing_fixed_eur=np.zeros_like(inst.existing_fixed_eur),
        earliest=np.zeros(n_sites, dtype=int),
        max_km=None,
    )
