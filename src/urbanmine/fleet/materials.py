"""Battery flows in what recyclers and regulators count: GWh -> tonnes of packs and of elements.

Every number comes from the bill of materials the flowsheet uses: the pack feed of
:func:`urbanmine.materials.feeds.get_feed` (``<CHEMISTRY>-pack`` under a preset, EverBatt 2023 by
default, with that preset's declared fallbacks, e.g. LMO to EverBatt 2020), scaled per kWh of pack
capacity. Element masses follow from the species' formulas (``molmass`` atomic weights) through
the species x element matrix, as for any flowsheet stream.

Two bases:

- ``pack``: all of the element in the pack (cells, module and pack hardware, electronics);
- ``active``: the element in the active materials only, i.e. the cathode active material species
  of the chemistry and the graphite of the anode (the basis of Art. 8(2)(a), (c), (d) of
  Regulation (EU) 2023/1542 for cobalt, lithium and nickel).

``graphite`` is a material, not an element: it is the mass of the ``graphite`` species (anode
active material); carbon in binders, carbon black and electrolyte solvents is not counted in it.

Arrays: the chemistry axis of an input (GWh) may be anywhere (``axis``); results keep it and add
an element axis at the end. No loops over years, countries or samples: one broadcast product.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
from molmass import ELEMENTS as PERIODIC_TABLE

from urbanmine.errors import InputError
from urbanmine.materials.chemistry import CHEMISTRIES, cathode_species
from urbanmine.materials.feeds import Feed, get_feed
from urbanmine.materials.presets import DEFAULT_PRESET
from urbanmine.materials.species import get_species

GRAPHITE = "graphite"
"""The anode active material species, reported as a material beside the elements."""

ELEMENTS = ("Li", "Ni", "Co", "Mn", "Cu", "Al", GRAPHITE)
"""What the fleet model reports by default: the Art. 8 battery metals, Mn, Cu, Al and graphite."""

FLEET_CHEMISTRIES = ("NMC111", "NMC532", "NMC622", "NMC811", "NCA", "LFP", "LMO")
"""Chemistries the fleet model tracks (LMO's pack comes from EverBatt 2020 through the EverBatt
2023 preset's declared fallback; LCO is a consumer-electronics cathode, not an EV one)."""

Basis = Literal["pack", "active"]
BASES: tuple[Basis, ...] = ("pack", "active")

T_PER_GWH_PER_KG_PER_KWH = 1e6 / 1e3
"""1 GWh = 1e6 kWh and 1 t = 1e3 kg: kg per kWh times 1000 is t per GWh."""


@dataclass(frozen=True)
class Intensity:
    """Tonnes per GWh of pack capacity, per chemistry (rows) and element (columns)."""

    chemistries: tuple[str, ...]
    elements: tuple[str, ...]
    preset: str
    pack_t_per_GWh: np.ndarray
    """Pack mass, t/GWh, shape (chemistries,)."""
    pack_elements_t_per_GWh: np.ndarray
    """All of each element in the pack, t/GWh, shape (chemistries, elements)."""
    active_elements_t_per_GWh: np.ndarray
    """Each element in the active materials (cathode species, graphite), t/GWh."""
    feeds: tuple[Feed, ...]
    """The pack feeds the numbers come from (their ``source`` names the BOM tables)."""

    def per_GWh(self, basis: Basis = "pack") -> np.ndarray:
        """The (chemistries, elements) table of ``basis``."""
        if basis not in BASES:
            raise InputError(f"unknown basis {basis!r}; allowed: {', '.join(BASES)}")
        return self.pack_elements_t_per_GWh if basis == "pack" else self.active_elements_t_per_GWh


def check_names(
    field: str, given: Sequence[str], allowed: Collection[str], allowed_text: str = ""
) -> tuple[str, ...]:
    """``given`` as a tuple, or InputError naming ``field``, the unknown or repeated name and
    what is allowed (``allowed_text``, or the allowed names)."""
    names = tuple(given)
    what = allowed_text or ", ".join(allowed)
    for name in names:
        if name not in allowed:
            raise InputError(f"{field}: unknown {name!r}; allowed: {what}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"{field}: {', '.join(repeated)} given more than once")
    if not names:
        raise InputError(f"{field}: empty; allowed: {what}")
    return names


def _elements_of(feed: Feed) -> dict[str, float]:
    """kg of every element in ``feed`` plus kg of graphite (species)."""
    return {**feed.elements_kg(), GRAPHITE: float(feed.species_kg.get(GRAPHITE, 0.0))}


def _active_of(feed: Feed) -> dict[str, float]:
    """kg of every element in the feed's cathode active material, plus its graphite."""
    cathode = cathode_species(feed.chemistry)
    kg = float(feed.species_kg.get(cathode, 0.0))
    out = {el: kg * frac for el, frac in get_species(cathode).elements.items()}
    out[GRAPHITE] = float(feed.species_kg.get(GRAPHITE, 0.0))
    return out


@cache
def intensity(
    chemistries: tuple[str, ...] = FLEET_CHEMISTRIES,
    elements: tuple[str, ...] = ELEMENTS,
    preset: str = DEFAULT_PRESET,
) -> Intensity:
    """Tonnes of pack and of each element per GWh of packs of each chemistry, from the pack BOM
    of ``preset`` (the flowsheet's feed ``<CHEMISTRY>-pack``)."""
    chems = check_names("chemistries", chemistries, CHEMISTRIES)
    feeds = tuple(get_feed(f"{c}-pack", preset) for c in chems)
    els = check_names(
        "elements",
        elements,
        {*(e.symbol for e in PERIODIC_TABLE), GRAPHITE},
        f"element symbols (e.g. {', '.join(ELEMENTS[:-1])}) and {GRAPHITE!r}",
    )
    pack_el = [_elements_of(f) for f in feeds]
    scale = np.array([T_PER_GWH_PER_KG_PER_KWH / f.capacity_kWh for f in feeds])
    active_el = [_active_of(f) for f in feeds]
    pack = np.array([[d.get(e, 0.0) for e in els] for d in pack_el]) * scale[:, None]
    active = np.array([[d.get(e, 0.0) for e in els] for d in active_el]) * scale[:, None]
    mass = np.array([f.mass_kg for f in feeds]) * scale
    for a in (pack, active, mass):
        a.setflags(write=False)
    return Intensity(chems, els, preset, mass, pack, active, feeds)


def as_gwh(field: str, value: object, n_chemistries: int, axis: int = -1) -> np.ndarray:
    """``value`` as a float array of GWh whose ``axis`` runs over ``n_chemistries``; InputError
    (naming ``field``) for non-numbers, NaN or infinite, negative values or a wrong axis length."""
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{field}: expected an array of GWh (numbers)") from None
    if a.ndim == 0:
        raise InputError(f"{field}: expected an array with a chemistry axis, got a scalar")
    if not -a.ndim <= axis < a.ndim:
        raise InputError(f"{field}: axis {axis} is out of range for an array of shape {a.shape}")
    if a.shape[axis] != n_chemistries:
        raise InputError(
            f"{field}: the chemistry axis ({axis}) has length {a.shape[axis]}, expected "
            f"{n_chemistries} (one per chemistry); shape {a.shape}"
        )
    bad = ~np.isfinite(a)
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(f"{field}: value at index {at} is {a[at]}; allowed: finite numbers >= 0")
    neg = a < 0
    if neg.any():
        at = tuple(int(i) for i in np.argwhere(neg)[0])
        raise InputError(f"{field}: value at index {at} is {a[at]:g} GWh; allowed: >= 0")
    return a


def pack_t(
    gwh: object,
    chemistries: Sequence[str] = FLEET_CHEMISTRIES,
    preset: str = DEFAULT_PRESET,
    axis: int = -1,
) -> np.ndarray:
    """Tonnes of packs for ``gwh`` (GWh of packs, chemistry along ``axis``); same shape."""
    table = intensity(tuple(chemistries), ELEMENTS, preset)
    a = as_gwh("GWh", gwh, len(table.chemistries), axis)
    shape = [1] * a.ndim
    shape[axis] = -1
    return a * table.pack_t_per_GWh.reshape(shape)


def elements_t(
    gwh: object,
    chemistries: Sequence[str] = FLEET_CHEMISTRIES,
    elements: Sequence[str] = ELEMENTS,
    preset: str = DEFAULT_PRESET,
    axis: int = -1,
    basis: Basis = "pack",
) -> np.ndarray:
    """Tonnes of each element (and graphite) in ``gwh`` GWh of packs.

    ``gwh`` has any shape with the chemistry axis at ``axis``; the result has the same axes plus
    an element axis at the end (``result[..., c, e]`` is element ``elements[e]`` in the packs of
    chemistry ``chemistries[c]``; sum over the chemistry axis for totals).
    """
    table = intensity(tuple(chemistries), tuple(elements), preset)
    per = table.per_GWh(basis)
    a = as_gwh("GWh", gwh, len(table.chemistries), axis)
    moved = np.moveaxis(a, axis, -1)[..., None] * per
    return np.moveaxis(moved, -2, axis if axis >= 0 else axis - 1)
