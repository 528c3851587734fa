"""Prices of reagents, utilities and products, per preset, as EverBatt gives them.

Items and their USD/kg values live in ``data/economics/prices.toml`` (each with the workbook cell
it was read from); ``data/economics/species.toml`` says which item prices each engine species.
EverBatt sells recovered salts, oxides and cathodes at the price of their virgin counterparts
(ANL-19/16 section 5.1.2), so :func:`price` serves virgin and recycled material alike. A preset
that lacks an item falls back to ``everbatt2023``; ``batpac5`` uses ``everbatt2023``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np

from urbanmine.data import load_toml
from urbanmine.errors import InputError
from urbanmine.flowsheet.params import Parameter
from urbanmine.materials.species import SpeciesIndex

FALLBACK_PRESET = "everbatt2023"
COST_PRESETS = ("everbatt2019", "everbatt2020", "everbatt2023", "batpac5")


def cost_preset(preset: str | None) -> str:
    """The economics data set of ``preset`` (``batpac5`` has none of its own: EverBatt 2023)."""
    chosen = preset or FALLBACK_PRESET
    if chosen not in COST_PRESETS:
        raise InputError(f"unknown preset {chosen!r}; allowed: {', '.join(COST_PRESETS)}")
    return FALLBACK_PRESET if chosen == "batpac5" else chosen


@cache
def price_parameters(preset: str) -> dict[str, Parameter]:
    """Every price item of ``preset`` (fallback items included) as a sampled parameter."""
    table = load_toml("economics", "prices.toml")
    merged: dict[str, Any] = {**table[FALLBACK_PRESET], **table[cost_preset(preset)]}
    return {item: Parameter.from_record(item, rec) for item, rec in merged.items()}


def price(item: str, preset: str | None = None) -> float:
    """Price of ``item`` in USD/kg (USD per kg of Ni, Co or Mn for the ``*_in_product`` items).

    Examples: ``price("NMC622")`` (cathode), ``price("nickel_sulfate")``, ``price("lithium_carbonate")``.
    """
    params = price_parameters(cost_preset(preset))
    if item not in params:
        raise InputError(f"unknown price item {item!r}; allowed: {', '.join(sorted(params))}")
    return params[item].value


def sampled_prices(preset: str, samples: int, seed: int | None) -> dict[str, float | np.ndarray]:
    """Price of every item: the value, or ``samples`` draws where the item has a distribution."""
    params = price_parameters(cost_preset(preset))
    if samples <= 1:
        return {k: p.value for k, p in params.items()}
    rng = np.random.default_rng(seed)
    return {
        k: p.sample(rng, samples) if p.distribution is not None else p.value
        for k, p in sorted(params.items())
    }


def _species_map() -> dict[str, Any]:
    return load_toml("economics", "species.toml")


UNPRICED_REAGENT = "reagent {species} (no price in economics/species.toml)"
"""The ``unpriced_kg`` key of a reagent no price item covers: its cost is left out, said."""


def reagent_costs(
    reagents_kg: Mapping[str, np.ndarray], prices: Mapping[str, float | np.ndarray]
) -> dict[str, np.ndarray]:
    """USD per sample for each priced reagent; free reagents and unpriced ones are left out
    (:func:`unpriced_reagents` names the latter)."""
    items = _species_map()["reagents"]
    return {sp: kg * prices[items[sp]] for sp, kg in reagents_kg.items() if sp in items}


def unpriced_reagents(reagents_kg: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Mean kg of each reagent used that neither a price item nor the free list covers, under
    its ``unpriced_kg`` key (its cost is missing from the materials line)."""
    table = _species_map()
    known = set(table["reagents"]) | set(table["free"])
    return {
        UNPRICED_REAGENT.format(species=sp): float(np.mean(kg))
        for sp, kg in reagents_kg.items()
        if sp not in known and np.any(np.asarray(kg) > 0)
    }


def unit_value(
    species: str, fate: str, prices: Mapping[str, float | np.ndarray]
) -> float | np.ndarray | None:
    """USD per kg of ``species`` leaving in ``fate``, or None when no item prices it."""
    products = _species_map()["products"]
    components = products.get(f"{fate}.{species}", products.get(species))
    if components is None:
        return None
    total: float | np.ndarray = 0.0
    for comp in components:
        share = 1.0
        if "element" in comp:
            reference = comp.get("as", comp["element"])
            share = _mass_fraction(species, comp["element"]) / _mass_fraction(
                reference, comp["element"]
            )
        total = total + share * prices[comp["item"]]
    return total


@cache
def _mass_fraction(species: str, element: str) -> float:
    idx = SpeciesIndex.of([species])
    if element not in idx.elements:
        return 0.0
    return float(idx.E[0, idx.elements.index(element)])
