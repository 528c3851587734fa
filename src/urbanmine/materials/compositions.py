"""Feeds given by their composition: waste that has no bill of materials of ours (circuit boards,
carbide scrap, metal solutions, vehicles...), as mass fractions of species of the materials
library, each fraction with its source and its published range.

Files: ``urbanmine/data/feeds/<group>.toml``, one table per feed::

    [feeds.PCB-computer]
    label = "Computer circuit boards (medium grade)"
    material = "PCB"          # what the feed is made of: the feed's "chemistry" for costs and rules
    form = "boards"           # what routes take it: a route's `accepts` names it
    basis_kg = 1.0            # the feed's natural size (feeds show, flowsheet without --mass-kg)
    source = "..."
    [feeds.PCB-computer.composition]
    Cu = { share = 0.20, low = 0.065, high = 0.287, source = "..." }

Shares are mass fractions of the whole feed and add up to 1 (to 1e-9); ``low``/``high`` bound
the share where the literature gives a range (optional, ``low <= share <= high``). A feed may also
give ``price_usd_per_kg`` with ``price_source`` (what a recycler pays for it; negative: is paid).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from urbanmine.errors import InputError, UnknownSpeciesError

SUM_TOLERANCE = 1e-9
"""How far the shares of a composition may add up away from 1 (rounding of typed fractions)."""


@dataclass(frozen=True)
class Component:
    """One species of a composition: its mass fraction, optional range, and source."""

    species: str
    share: float
    low: float | None
    high: float | None
    source: str


@dataclass(frozen=True)
class CompositionFeed:
    """A feed defined by its composition (see the module docstring)."""

    name: str
    label: str
    material: str
    form: str
    basis_kg: float
    source: str
    components: tuple[Component, ...]
    price_usd_per_kg: float | None = None
    price_source: str = ""
    group: str = ""

    def species_kg(self, mass_kg: float | None = None) -> dict[str, float]:
        """Species masses (kg) of ``mass_kg`` of the feed (default: its basis)."""
        mass = self.basis_kg if mass_kg is None else mass_kg
        return {c.species: c.share * mass for c in self.components}


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: {value!r} is not a number")
    x = float(value)
    if x != x or x in (float("inf"), float("-inf")):
        raise InputError(f"{where}: {value!r} is not a finite number")
    return x


def _component(species: str, rec: Any, where: str) -> Component:
    from urbanmine.materials.species import get_species

    if not isinstance(rec, Mapping):
        raise InputError(f"{where}: expected a table {{share, source, low?, high?}}")
    unknown = set(rec) - {"share", "low", "high", "source"}
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if not str(rec.get("source", "")).strip():
        raise InputError(f"{where}: every share needs its source")
    try:
        get_species(species)
    except UnknownSpeciesError as error:
        raise InputError(f"{where}: {error}; add it to data/species.toml") from None
    share = _number(rec.get("share"), f"{where}.share")
    low = _number(rec["low"], f"{where}.low") if "low" in rec else None
    high = _number(rec["high"], f"{where}.high") if "high" in rec else None
    if not 0.0 <= share <= 1.0:
        raise InputError(f"{where}.share: {share} is not a mass fraction in [0, 1]")
    if (low is not None and low > share) or (high is not None and high < share):
        raise InputError(f"{where}: share {share} lies outside its range [{low}, {high}]")
    return Component(species, share, low, high, str(rec["source"]))


def parse_feed(name: str, rec: Mapping[str, Any], group: str) -> CompositionFeed:
    """One ``[feeds.NAME]`` table of a group file, checked."""
    where = f"feeds/{group}.toml [feeds.{name}]"
    required = ("label", "material", "form", "source", "composition")
    missing = [k for k in required if k not in rec]
    if missing:
        raise InputError(f"{where}: missing {', '.join(missing)}")
    allowed = {*required, "basis_kg", "price_usd_per_kg", "price_source"}
    unknown = set(rec) - allowed
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    comp = rec["composition"]
    if not isinstance(comp, Mapping) or not comp:
        raise InputError(f"{where}.composition: expected species = {{share, source}} entries")
    parts = tuple(_component(s, r, f"{where}.composition.{s}") for s, r in comp.items())
    total = sum(c.share for c in parts)
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise InputError(f"{where}.composition: shares add up to {total:.12g}, not 1")
    basis = _number(rec.get("basis_kg", 1.0), f"{where}.basis_kg")
    if basis <= 0:
        raise InputError(f"{where}.basis_kg: {basis} must be > 0")
    price = rec.get("price_usd_per_kg")
    if price is not None and not str(rec.get("price_source", "")).strip():
        raise InputError(f"{where}: price_usd_per_kg needs its price_source")
    return CompositionFeed(
        name=name,
        label=str(rec["label"]),
        material=str(rec["material"]),
        form=str(rec["form"]),
        basis_kg=basis,
        source=str(rec["source"]),
        components=parts,
        price_usd_per_kg=None if price is None else _number(price, f"{where}.price_usd_per_kg"),
        price_source=str(rec.get("price_source", "")),
        group=group,
    )


@cache
def composition_feeds() -> dict[str, CompositionFeed]:
    """Every shipped composition feed by name (files under ``urbanmine/data/feeds``)."""
    import tomllib

    folder = resources.files("urbanmine.data").joinpath("feeds")
    found: dict[str, CompositionFeed] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".toml"):
            continue
        group = path.name[: -len(".toml")]
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for name, rec in data.get("feeds", {}).items():
            if name in found:
                raise InputError(f"feed {name!r} is defined twice (feeds/{group}.toml)")
            found[name] = parse_feed(name, rec, group)
    return found


def composition_forms() -> tuple[str, ...]:
    """The forms of the composition feeds (what routes may name in ``accepts``)."""
    return tuple(sorted({f.form for f in composition_feeds().values()}))
