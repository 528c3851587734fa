"""Life-cycle impacts of a route result: inventory x factors + process emissions (EverBatt Eq. 1).

EI_k = sum_i m_i ei_i,k + sum_j q_j ei_j,k + P_k (Dai et al. 2019, ANL-19/16, Eq. 1): reagents m_i
(kg) and utilities q_j (kWh electricity, MJ natural gas, MJ diesel, kg process water) times the
factor set, plus process emissions P: the greenhouse gases the flowsheet emits
(``fate.emission.<species>``, and the gases of sinks sent to energy recovery; CO2 from burning carbon and from carbonates is computed by the engine
from elemental composition) at the factor set's 100-year GWP.

Everything is vectorised over the result's Monte Carlo samples; factors with an ``uncertainty``
multiplier are drawn once per factor (:class:`FactorDraws`), so a material booked as a burden
(reagent) and as a credit (displaced primary production) uses the same draw in every sample.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from urbanmine.errors import InputError
from urbanmine.flowsheet.params import asymmetric
from urbanmine.flowsheet.result import QUANTILES
from urbanmine.impacts.factors import (
    Factor,
    FactorSet,
    counts_as_water,
    excluded_inputs,
    load_factor_set,
)
from urbanmine.routes.run import RouteResult

ALLOCATIONS = ("none", "mass", "economic", "system_expansion", "system_expansion_coproducts")
"""Allocation of a route's burden (EverBatt's options, ANL-19/16 section 5.3.2, Eq. 11-13).

``none`` (EverBatt's default): the whole burden goes to the main products (fate ``product``).
``mass`` / ``economic``: the main products carry their share of all recovered mass / value (Eq.
11-12). ``system_expansion``: every recovered species (``product`` and ``recycled``) is credited
with the primary production it displaces: the net impact of recycling the feed.
``system_expansion_coproducts``: EverBatt's Eq. 13, credits only for the co-products (fate
``recycled``: scrap metals, graphite, plastics), the rest stays on the main products."""

CREDITED_FATES = {
    "system_expansion": ("product", "recycled"),
    "system_expansion_coproducts": ("recycled",),
}

RECOVERED_FATES = ("product", "recycled")
PROCESS = "process emissions"
PROCESS_WATER = "process water"
UTILITY_INPUTS = ("electricity_kWh", "natural_gas_MJ", "diesel_MJ")


@dataclass
class Impacts:
    """Impacts of one result, per sample (arrays of shape (samples,)) and their contributions.

    ``ghg_kg_co2e`` (kg CO2e), ``energy_MJ`` (total primary energy) and ``water_L`` are after
    allocation; ``burden_*`` before it. ``contributions`` are sample means by unit and input and
    sum to the mean of ``ghg_kg_co2e``. ``credits_kg_co2e`` is the avoided primary production
    under system expansion (positive number, subtracted), zero otherwise.
    """

    factor_set: str
    gwp: str
    location: str
    allocation: str
    ghg_kg_co2e: np.ndarray
    energy_MJ: np.ndarray
    water_L: np.ndarray
    burden_ghg_kg_co2e: np.ndarray
    credits_kg_co2e: np.ndarray
    allocation_share: np.ndarray
    contributions: list[dict[str, Any]]
    excluded: dict[str, str] = field(default_factory=dict)
    uncredited: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    asymmetric: list[dict[str, Any]] = field(default_factory=list)
    drawn: list[str] = field(default_factory=list)
    """Keys of the factors drawn per sample (those with an uncertainty, when samples > 1)."""
    """Sampled factors whose multiplier distribution has a mean other than 1 (the point value),
    so the sample means differ from the impacts at the cited factors."""

    @property
    def samples(self) -> int:
        return int(self.ghg_kg_co2e.shape[0])

    def quantiles(self) -> dict[str, dict[str, float]]:
        out = {}
        for key in ("ghg_kg_co2e", "energy_MJ", "water_L"):
            q = np.quantile(getattr(self, key), QUANTILES)
            out[key] = {
                f"p{round(p * 100):02d}": float(v) for p, v in zip(QUANTILES, q, strict=True)
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        """Sample means (the JSON of ``flowsheet --impacts``), with quantiles for several samples."""
        d: dict[str, Any] = {
            "ghg_kg_co2e": float(self.ghg_kg_co2e.mean()),
            "energy_MJ": float(self.energy_MJ.mean()),
            "water_L": float(self.water_L.mean()),
            "contributions": self.contributions,
            "factor_set": self.factor_set,
            "gwp": self.gwp,
            "location": self.location,
            "allocation": self.allocation,
            "burden_ghg_kg_co2e": float(self.burden_ghg_kg_co2e.mean()),
            "credits_kg_co2e": float(self.credits_kg_co2e.mean()),
            "allocation_share": float(self.allocation_share.mean()),
            "excluded": self.excluded,
            "uncredited": self.uncredited,
            "notes": self.notes,
        }
        if self.samples > 1:
            d["quantiles"] = self.quantiles()
            d["asymmetric"] = self.asymmetric
        return d


@dataclass
class _Line:
    """One input's impacts per sample and where (which units) it was booked."""

    input: str
    ghg: np.ndarray
    energy: np.ndarray
    water: np.ndarray
    units: dict[str, float]


class FactorDraws:
    """Multiplier draws of uncertain factors, one per factor key, shared by every line that uses
    the factor: burden and credit of the same material move together (one draw, not two).

    Each key has its own random stream, spawned from ``seed`` and the key (CRC-32 of its name),
    so a factor's draw does not depend on which other factors a result happens to use, and the
    streams are independent of the route parameters' stream (``numpy.random.default_rng(seed)``).
    ``seed=None`` picks fresh entropy once, shared by all keys of this object.
    """

    def __init__(self, samples: int, seed: int | None) -> None:
        self.samples = samples
        self._entropy = np.random.SeedSequence(seed).entropy
        self._drawn: dict[str, np.ndarray] = {}
        self._factors: dict[str, Factor] = {}

    def multiplier(self, factor: Factor) -> float | np.ndarray:
        """1 for a certain factor or a single sample; otherwise the key's draws (shape (samples,))."""
        if factor.uncertainty is None or self.samples <= 1:
            return 1.0
        key = factor.key
        if key not in self._drawn:
            seq = np.random.SeedSequence(self._entropy, spawn_key=(1, zlib.crc32(key.encode())))
            self._drawn[key] = factor.uncertainty.sample(np.random.default_rng(seq), self.samples)
            self._factors[key] = factor
        return self._drawn[key]

    @property
    def drawn(self) -> list[str]:
        """Keys of the factors drawn so far."""
        return list(self._drawn)

    def asymmetric(self) -> list[dict[str, object]]:
        """Drawn factors whose multiplier distribution's mean is not 1 (see ``params.asymmetric``)."""
        return asymmetric(
            {f"factor {k}": f.uncertainty for k, f in self._factors.items() if f.uncertainty}
        )


def _unit_split(result: RouteResult, kind: str) -> dict[str, float]:
    """Mean quantity of one reagent (``reagents_kg.X``) or utility booked by each unit."""
    out: dict[str, float] = {}
    for unit, entry in result.inventory_by_unit().items():
        if kind.startswith("reagents_kg."):
            value = entry.get("reagents_kg", {}).get(kind[len("reagents_kg.") :], 0.0)
        else:
            value = entry.get(kind, 0.0)
        if value:
            out[unit] = value
    return out


EMITTING_FATES = ("emission", "energy_recovery")
"""Fates whose greenhouse gases reach the air: emissions, and gases whose heat is recovered (the
off-gas of a smelter burning board resin as fuel still releases its CO2)."""


def _emission_split(result: RouteResult, species: str) -> dict[str, float]:
    """Mean mass of an emitted species leaving through each emitting sink (EMITTING_FATES)."""
    idx = result.compiled.index
    if species not in idx.names:
        return {}
    col = idx.position(species)
    out = {}
    for sink, fate in result.route.flowsheet.sinks.items():
        if fate in EMITTING_FATES:
            kg = float(result.sums[f"outputs.{sink}.species_kg"][col]) / result.samples
            if kg:
                out[sink] = kg
    return out


def _recovered(result: RouteResult, fates: tuple[str, ...]) -> dict[str, np.ndarray]:
    """kg per sample of each species leaving in the given fates."""
    out: dict[str, np.ndarray] = {}
    for key, a in result.per_sample.items():
        parts = key.split(".", 2)
        if parts[0] == "fate" and parts[1] in fates:
            out[parts[2]] = out.get(parts[2], 0.0) + a
    return out


def inventory_lines(
    result: RouteResult, fs: FactorSet, location: str, draws: FactorDraws
) -> tuple[list[_Line], dict[str, str], list[str]]:
    """Impacts of every input of the result, per sample: reagents, utilities, process water and
    process emissions, with factor multipliers from ``draws``. Returns the lines, the excluded
    reagents (with reasons) and notes."""
    ps = result.per_sample
    n = result.samples
    zero = np.zeros(n)
    reagents = sorted(k.split(".", 2)[2] for k in ps if k.startswith("inventory.reagents_kg."))
    excluded: dict[str, str] = {}
    notes: list[str] = []
    priced: list[tuple[str, str, np.ndarray, Factor]] = []
    water_extra = zero.copy()
    for sp in reagents:
        q = ps[f"inventory.reagents_kg.{sp}"]
        f = fs.input_factor(sp)
        if f is None:
            excluded[sp] = excluded_inputs()[sp]
            if counts_as_water(sp):
                water_extra = water_extra + q
            continue
        if f.note:
            notes.append(f"reagent {sp}: {f.note}")
        priced.append((sp, f"reagents_kg.{sp}", q, f))
    elec = fs.electricity_at(location)
    if elec.note:
        notes.append(f"electricity {location}: {elec.note}")
    for kind, f in zip(UTILITY_INPUTS, (elec, fs.natural_gas, fs.diesel), strict=True):
        priced.append((kind, kind, ps[f"inventory.{kind}"], f))
    lines: list[_Line] = []
    for name, kind, q, f in priced:
        m = draws.multiplier(f)
        lines.append(
            _Line(
                name,
                q * (f.ghg_kg_co2e * m),
                q * (f.energy_MJ * m),
                q * (f.water_L * m),
                _unit_split(result, kind),
            )
        )
    water_kg = ps["inventory.water_kg"] + water_extra
    water_units = _unit_split(result, "water_kg")
    lines.append(_Line(PROCESS_WATER, zero, zero, water_kg * 1.0, water_units))
    for gas, gwp in fs.gwp_100.items():
        keys = [f"fate.{fate}.{gas}" for fate in EMITTING_FATES if f"fate.{fate}.{gas}" in ps]
        if keys:
            kg = sum((ps[k] for k in keys), zero)
            lines.append(
                _Line(f"{PROCESS} {gas}", kg * gwp, zero, zero, _emission_split(result, gas))
            )
    return lines, excluded, notes


def allocation_share(
    result: RouteResult,
    allocation: str,
    prices: Mapping[str, float] | None,
    main_product: Callable[[str], bool] | None = None,
) -> np.ndarray:
    """Share of the burden carried by the main products (fate ``product``) per sample.

    ``none``: 1 (EverBatt's default). ``mass``: product mass over all recovered mass (products
    and recycled scrap). ``economic``: the same with value, ``prices`` in $/kg for every recovered
    species. A sample that recovers nothing keeps the whole burden (share 1). ``main_product``
    narrows the main products to the species it accepts (the other products become co-products).
    """
    n = result.samples
    if allocation == "none" or allocation in CREDITED_FATES:
        return np.ones(n)
    main = {
        sp: kg
        for sp, kg in _recovered(result, ("product",)).items()
        if main_product is None or main_product(sp)
    }
    everything = _recovered(result, RECOVERED_FATES)
    if allocation == "mass":
        weight = dict.fromkeys(everything, 1.0)
    else:
        if prices is None:
            raise InputError("economic allocation needs prices ($/kg) of the recovered species")
        missing = sorted(sp for sp in everything if sp not in prices)
        if missing:
            raise InputError(f"economic allocation: no price for {', '.join(missing)}")
        weight = {sp: float(prices[sp]) for sp in everything}
    num = sum((a * weight[sp] for sp, a in main.items()), np.zeros(n))
    den = sum((a * weight[sp] for sp, a in everything.items()), np.zeros(n))
    return np.divide(num, den, out=np.ones(n), where=den > 0)


def system_expansion_credits(
    result: RouteResult,
    fs: FactorSet,
    draws: FactorDraws,
    fates: tuple[str, ...] = RECOVERED_FATES,
    species: Callable[[str], bool] | None = None,
) -> tuple[list[_Line], list[str]]:
    """Avoided primary production of every species recovered in ``fates`` (and accepted by
    ``species``, if given) that has a displaced material (species_map.toml ``[displaced]``), as
    negative lines; and those without one. Factor multipliers come from ``draws``, the same
    object the burden's :func:`inventory_lines` used, so a material's burden and credit share
    one draw."""
    recovered = {
        sp: kg for sp, kg in _recovered(result, fates).items() if species is None or species(sp)
    }
    priced = [(sp, kg, fs.displaced_factor(sp)) for sp, kg in sorted(recovered.items())]
    uncredited = sorted(sp for sp, kg, f in priced if f is None and np.any(kg > 0))
    lines = []
    for sp, kg, f in priced:
        if f is None:
            continue
        m = draws.multiplier(f)
        lines.append(
            _Line(
                f"avoided {f.key} ({sp})",
                -kg * (f.ghg_kg_co2e * m),
                -kg * (f.energy_MJ * m),
                -kg * (f.water_L * m),
                {"system expansion": 1.0},
            )
        )
    return lines, uncredited


def contributions(lines: list[_Line], share: np.ndarray) -> list[dict[str, Any]]:
    """Mean GHG by unit and input: each input's mean allocated GHG split over its units by their
    mean quantity; the rows sum to the mean total."""
    rows: list[dict[str, Any]] = []
    for line in lines:
        total = float(np.mean(line.ghg * share))
        if total == 0.0:
            continue
        booked = sum(line.units.values())
        split = {u: q / booked for u, q in line.units.items()} if booked else {"(route)": 1.0}
        rows.extend(
            {"unit": unit, "input": line.input, "ghg_kg_co2e": total * w}
            for unit, w in sorted(split.items())
        )
    return rows


def assess(
    result: RouteResult,
    factor_set: str = "greet2022",
    location: str = "US",
    allocation: str = "none",
    prices: Mapping[str, float] | None = None,
    seed: int | None = None,
    draw: bool = True,
) -> Impacts:
    """GHG (kg CO2e), energy (MJ) and water (L) of ``result`` per sample, with contributions.

    Factors with an uncertainty are drawn per sample (seeded by ``seed``) unless ``draw`` is
    False: then every sample takes the factors' values (a Monte Carlo run that varies the route
    or the prices but not the factors).

    ``location`` picks the electricity: the factor set's regions (US, US-CA, CN, KR) or a country
    of grid.toml (EU-27 ISO codes, EU27, CN, KR; ``grid:XX`` to force it). ``allocation`` is one
    of :data:`ALLOCATIONS`; ``prices`` ($/kg by species) are needed for ``economic``.
    """
    if allocation not in ALLOCATIONS:
        raise InputError(f"unknown allocation {allocation!r}; allowed: {', '.join(ALLOCATIONS)}")
    fs = load_factor_set(factor_set)
    draws = FactorDraws(result.samples if draw else 1, seed)
    lines, excluded, notes = inventory_lines(result, fs, location, draws)
    burden = sum((ln.ghg for ln in lines), np.zeros(result.samples))
    share = allocation_share(result, allocation, prices)
    uncredited: list[str] = []
    if allocation in CREDITED_FATES:
        credit_lines, uncredited = system_expansion_credits(
            result, fs, draws, CREDITED_FATES[allocation]
        )
        lines = lines + credit_lines
        credits = -sum((ln.ghg for ln in credit_lines), np.zeros(result.samples))
    else:
        credits = np.zeros(result.samples)
    ghg = sum((ln.ghg for ln in lines), np.zeros(result.samples)) * share
    energy = sum((ln.energy for ln in lines), np.zeros(result.samples)) * share
    water = sum((ln.water for ln in lines), np.zeros(result.samples)) * share
    return Impacts(
        factor_set=fs.name,
        gwp=fs.gwp,
        location=location,
        allocation=allocation,
        ghg_kg_co2e=ghg,
        energy_MJ=energy,
        water_L=water,
        burden_ghg_kg_co2e=burden,
        credits_kg_co2e=credits,
        allocation_share=share,
        contributions=contributions(lines, share),
        excluded=excluded,
        uncredited=uncredited,
        notes=notes,
        asymmetric=draws.asymmetric(),
        drawn=sorted(draws.drawn),
    )
