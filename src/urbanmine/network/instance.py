"""A network instance in numbers: what the MILP (:mod:`urbanmine.network.milp`) reads.

Everything here is plain arrays in fixed units, built from a ``[network]`` section by
:mod:`urbanmine.network.assemble` (data, the fleet model's feedstock, the flowsheet engine's
yields, the impacts module's costs and GHG). Units: tonnes per year (t/yr) of a commodity, EUR,
kg CO2e, km. Index names: ``I`` sources, ``J`` sites, ``T`` periods, ``C`` commodities, ``S``
capacity-size options.

Nodes that ship are the sources (``0 .. I-1``) followed by the sites (``I .. I+J-1``);
``distance_km[n, j]`` is the road distance from node ``n`` to site ``j`` (great-circle times the
circuity factor, or a given road distance).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Instance:
    """A multi-period facility-location instance (RELOG-style; see docs/network.md).

    Periods: ``years[t]`` is the first year of period ``t``; flows are annual (t/yr) and stand for
    ``span[t]`` years; ``weight[t]`` is the sum of the discount factors of those years, so an
    annual cost times ``weight`` is its present value.

    Commodities: ``ships[c]`` is True when ``c`` must be sent to a site that accepts it (or
    counted unprocessed at ``penalty_eur_per_t[c]``); a commodity no site accepts, or with
    ``ships[c]`` False, leaves at the gate of the site that made it (products sold ex works).

    Sites: ``accepts[j, c]`` whether site ``j`` takes commodity ``c`` as input;
    ``yields[j, c, d]`` tonnes of ``d`` made per tonne of ``c`` taken in. Capacity counts every
    input together (t input/yr): ``existing_t[j, t]`` is in place with no decision (existing
    plants from their start year); ``sizes_t[j, s]`` (0 = no option) are modules the planner may
    build, each at most once, from ``earliest[j]`` on, and once built they stay. A built module
    costs ``size_fixed_eur[j, s]`` a year (annualised capital plus fixed operating cost);
    ``size_capital_eur[j, s]`` is its capital, reported. ``existing_fixed_eur[j, t]`` is the
    annual fixed cost of the capacity already in place (counted, not decided).
    """

    years: list[int]
    span: np.ndarray
    weight: np.ndarray
    commodities: list[str]
    ships: np.ndarray
    price_eur_per_tkm: np.ndarray
    ghg_kg_per_tkm: np.ndarray
    penalty_eur_per_t: np.ndarray
    kwh_per_t: np.ndarray
    sources: list[str]
    source_lat: np.ndarray
    source_lon: np.ndarray
    supply_t: np.ndarray
    sites: list[str]
    tiers: list[str]
    status: list[str]
    site_lat: np.ndarray
    site_lon: np.ndarray
    accepts: np.ndarray
    yields: np.ndarray
    existing_t: np.ndarray
    existing_fixed_eur: np.ndarray
    sizes_t: np.ndarray
    size_fixed_eur: np.ndarray
    size_capital_eur: np.ndarray
    earliest: np.ndarray
    variable_eur_per_t: np.ndarray
    plant_ghg_kg_per_t: np.ndarray
    distance_km: np.ndarray
    carbon_price_eur_per_t: float = 0.0
    max_modules: int = 1
    max_km: float | None = None
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def nodes(self) -> list[str]:
        """Names of the shipping nodes: sources, then sites."""
        return [*self.sources, *self.sites]


EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), km: Moritz (2000), Geodetic Reference System 1980, J. Geodesy 74."""


def great_circle_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle distance (km) between points given in degrees, by the haversine formula;
    broadcasts like numpy (e.g. ``lat1[:, None]`` against ``lat2[None, :]`` gives a matrix)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
