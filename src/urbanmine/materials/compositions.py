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

A feed may be made of *parts*, each another feed (a battery feed such as ``NMC622-pack`` or a
composition feed without parts of its own) at a given mass in the feed's basis::

    [feeds.BEV-medium.parts.traction_battery]
    feed = "NMC622-pack"
    mass_kg = 360.0           # of the basis_kg; the part's species at that mass
    source = "..."

The part brings its feed's species scaled to ``mass_kg`` (``get_feed("NMC622-pack").scaled(
mass_kg=360)``); the feed's own ``composition`` then covers the rest of the basis (``basis_kg``
minus the parts' masses, which must be less than ``basis_kg``), its shares still adding up to 1
of that rest. A part's species must not be among the feed's own species or another part's (a
named error): materials of the feed get species names of their own (``car_steel`` beside a
pack's ``steel``), so routes and results can tell the part from the rest. The feed stores the
parts' energy capacity (kWh, scaled with the feed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from types import MappingProxyType
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
class Part:
    """A feed inside a feed: ``mass_kg`` of feed ``feed`` in the outer feed's basis, with the
    part's species masses (kg) and energy capacity (kWh) at that mass."""

    name: str
    feed: str
    mass_kg: float
    source: str
    species_kg: Mapping[str, float]
    capacity_kWh: float = 0.0


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
    parts: tuple[Part, ...] = ()

    @property
    def own_kg(self) -> float:
        """Mass (kg) of the basis that the feed's own composition covers (basis minus parts)."""
        return self.basis_kg - sum(p.mass_kg for p in self.parts)

    def species_kg(self, mass_kg: float | None = None) -> dict[str, float]:
        """Species masses (kg) of ``mass_kg`` of the feed (default: its basis), parts included."""
        factor = (self.basis_kg if mass_kg is None else mass_kg) / self.basis_kg
        out = {c.species: c.share * self.own_kg * factor for c in self.components}
        for part in self.parts:
            out.update({sp: kg * factor for sp, kg in part.species_kg.items()})
        return out

    def capacity_kWh(self, mass_kg: float | None = None) -> float:
        """Energy capacity (kWh) of ``mass_kg`` of the feed: that of its parts."""
        factor = (self.basis_kg if mass_kg is None else mass_kg) / self.basis_kg
        return sum(p.capacity_kWh for p in self.parts) * factor


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
    allowed = {*required, "basis_kg", "price_usd_per_kg", "price_source", "parts"}
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
    declared = _parts(rec.get("parts", {}), f"{where}.parts")
    if sum(p.mass_kg for p in declared) >= basis:
        raise InputError(
            f"{where}.parts: the parts weigh {sum(p.mass_kg for p in declared):g} kg, not less "
            f"than basis_kg = {basis:g}; the feed's own composition covers the rest"
        )
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
        parts=declared,
    )


def _parts(table: Any, where: str) -> tuple[Part, ...]:
    """The ``[feeds.NAME.parts.PART]`` tables, checked for keys and numbers (their species are
    resolved once every feed is read: :func:`_resolve_parts`)."""
    if not isinstance(table, Mapping):
        raise InputError(f"{where}: expected [parts.PART] tables {{feed, mass_kg, source}}")
    out = []
    for name, rec in table.items():
        at = f"{where}.{name}"
        if not isinstance(rec, Mapping):
            raise InputError(f"{at}: expected a table {{feed, mass_kg, source}}")
        unknown = set(rec) - {"feed", "mass_kg", "source"}
        missing = {"feed", "mass_kg", "source"} - set(rec)
        if unknown or missing:
            raise InputError(
                f"{at}: unknown key(s) {', '.join(sorted(unknown)) or 'none'}, missing "
                f"{', '.join(sorted(missing)) or 'none'}; a part is {{feed, mass_kg, source}}"
            )
        if not str(rec["source"]).strip():
            raise InputError(f"{at}: every part needs its source")
        mass = _number(rec["mass_kg"], f"{at}.mass_kg")
        if mass <= 0:
            raise InputError(f"{at}.mass_kg: {mass} must be > 0")
        out.append(Part(str(name), str(rec["feed"]), mass, str(rec["source"]), {}))
    return tuple(out)


def _resolve_parts(feed: CompositionFeed, found: Mapping[str, CompositionFeed]) -> CompositionFeed:
    """``feed`` with its parts' species and capacity at their masses; a part's species that
    collide with the feed's own or another part's are an error naming them."""
    from urbanmine.materials.chemistry import CHEMISTRIES
    from urbanmine.materials.feeds import FORMS, battery_feed

    if not feed.parts:
        return feed
    where = f"feeds/{feed.group}.toml [feeds.{feed.name}.parts"
    owner = {c.species: "its own composition" for c in feed.components}
    resolved = []
    for part in feed.parts:
        inner = found.get(part.feed)
        if inner is not None and inner.parts:
            raise InputError(
                f"{where}.{part.name}]: feed {part.feed!r} has parts of its own; a part is a "
                "battery feed or a composition feed without parts"
            )
        chemistry, _, form = part.feed.rpartition("-")
        if inner is None and (chemistry not in CHEMISTRIES or form not in FORMS):
            raise InputError(
                f"{where}.{part.name}].feed: unknown feed {part.feed!r}; a part is a battery "
                f"feed (CHEMISTRY-FORM, e.g. NMC622-pack) or one of {', '.join(found)}"
            )
        try:
            if inner is not None:
                species, kwh = inner.species_kg(part.mass_kg), inner.capacity_kWh(part.mass_kg)
            else:
                battery = battery_feed(part.feed).scaled(mass_kg=part.mass_kg)
                species, kwh = dict(battery.species_kg), battery.capacity_kWh
        except InputError as error:
            raise InputError(f"{where}.{part.name}].feed: {error}") from None
        clash = sorted(set(species) & set(owner))
        if clash:
            raise InputError(
                f"{where}.{part.name}]: species {', '.join(clash)} of part feed {part.feed!r} "
                f"also in {owner[clash[0]]}; give the feed's materials species of their own "
                "(e.g. car_steel beside a pack's steel)"
            )
        owner.update({sp: f"part {part.name!r}" for sp in species})
        resolved.append(replace(part, species_kg=MappingProxyType(species), capacity_kWh=kwh))
    return replace(feed, parts=tuple(resolved))


@cache
def composition_feeds() -> dict[str, CompositionFeed]:
    """Every shipped composition feed by name (files under ``urbanmine/data/feeds``)."""
    from urbanmine.data import list_files, load_toml

    found: dict[str, CompositionFeed] = {}
    for group in list_files("feeds"):
        for name, rec in load_toml("feeds", f"{group}.toml").get("feeds", {}).items():
            if name in found:
                raise InputError(f"feed {name!r} is defined twice (feeds/{group}.toml)")
            found[name] = parse_feed(name, rec, group)
    return {name: _resolve_parts(feed, found) for name, feed in found.items()}


def composition_forms() -> tuple[str, ...]:
    """The forms of the composition feeds (what routes may name in ``accepts``)."""
    return tuple(sorted({f.form for f in composition_feeds().values()}))
