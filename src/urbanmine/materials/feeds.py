"""Feeds: a chemistry in a form (pack, module, cell, scrap, blackmass), from a preset's bill of
materials, scaled by mass or by energy capacity.

Bills of materials live in ``urbanmine/data/bom/<preset>.toml`` (cells as mass fractions, module
and pack hardware in kg, each with its EverBatt/BatPaC source). Scrap and black mass derive from
the cell by ``data/feed_forms.toml``. The capacity of scrap and black mass is that of the cells
they come from.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from urbanmine.data import load_toml
from urbanmine.errors import InputError
from urbanmine.materials.chemistry import CHEMISTRIES, cathode_species
from urbanmine.materials.presets import DEFAULT_PRESET, presets
from urbanmine.materials.species import SpeciesIndex

FORMS = ("pack", "module", "cell", "scrap", "blackmass")

HARDWARE_SPECIES = {"Cu": "Cu_parts", "Al": "Al_parts", "PP": "plastics", "PE": "plastics"}
"""Module and pack hardware made of a material that cells also contain is booked as a separate
species (wrought parts, not foils or separator film), so dismantling can tell them apart."""


@dataclass(frozen=True)
class Feed:
    """A feed of ``mass_kg`` with its species masses (kg) and the capacity it stands for (kWh)."""

    name: str
    chemistry: str
    form: str
    preset: str
    species_kg: MappingProxyType[str, float]
    capacity_kWh: float
    source: str
    requested_preset: str = DEFAULT_PRESET
    """The preset the feed was asked under (``preset`` is where its BOM came from: a preset
    may fall back to another one for a chemistry it lacks)."""

    @property
    def mass_kg(self) -> float:
        return float(sum(self.species_kg.values()))

    def elements_kg(self) -> dict[str, float]:
        idx = SpeciesIndex.of(list(self.species_kg))
        el = np.array([self.species_kg[n] for n in idx.names]) @ idx.E
        return {e: float(v) for e, v in zip(idx.elements, el, strict=True)}

    def scaled(self, mass_kg: float | None = None, kwh: float | None = None) -> Feed:
        """The same feed scaled to ``mass_kg`` or to ``kwh`` of capacity (not both)."""
        if mass_kg is not None and kwh is not None:
            raise InputError("give either a mass (--mass-kg) or a capacity (--kwh), not both")
        target = mass_kg if mass_kg is not None else kwh
        if target is None:
            return self
        if not np.isfinite(target) or target <= 0:
            what = "mass" if mass_kg is not None else "capacity"
            raise InputError(f"{what} must be a finite number > 0, got {target}")
        if kwh is not None and self.capacity_kWh <= 0:
            raise InputError(f"feed {self.name} stores no energy; give a mass (--mass-kg)")
        factor = target / (self.mass_kg if mass_kg is not None else self.capacity_kWh)
        return Feed(
            self.name,
            self.chemistry,
            self.form,
            self.preset,
            MappingProxyType({k: v * factor for k, v in self.species_kg.items()}),
            self.capacity_kWh * factor,
            self.source,
            self.requested_preset,
        )


def feed_names() -> list[str]:
    """Battery feeds (CHEMISTRY-FORM) and the composition feeds (:mod:`.compositions`)."""
    from urbanmine.materials.compositions import composition_feeds

    return [f"{c}-{f}" for c in CHEMISTRIES for f in FORMS] + list(composition_feeds())


def all_forms() -> tuple[str, ...]:
    """Every feed form a route may take: the battery forms and the composition feeds' forms."""
    from urbanmine.materials.compositions import composition_forms

    return FORMS + tuple(f for f in composition_forms() if f not in FORMS)


def _bom(preset: str, chemistry: str) -> tuple[dict[str, Any], str]:
    """The preset's BOM tables for ``chemistry`` (following a declared fallback) and its name."""
    if preset not in presets():
        raise InputError(f"unknown preset {preset!r}; allowed: {', '.join(presets())}")
    data = load_toml("bom", f"{preset}.toml")
    fallback = data.get("fallback", {})
    if chemistry not in data.get("cells", {}) and chemistry in fallback:
        return _bom(fallback[chemistry], chemistry)
    if chemistry not in data.get("cells", {}):
        having = [
            p for p in presets() if chemistry in load_toml("bom", f"{p}.toml").get("cells", {})
        ]
        raise InputError(
            f"preset {preset!r} has no {chemistry} bill of materials; presets with one: "
            f"{', '.join(having) or 'none'}"
        )
    return data, preset


def parse_feed_name(name: str) -> tuple[str, str]:
    chem, _, form = name.rpartition("-")
    if chem not in CHEMISTRIES or form not in FORMS:
        from urbanmine.materials.compositions import composition_feeds

        others = ", ".join(composition_feeds())
        raise InputError(
            f"unknown feed {name!r}; feeds are CHEMISTRY-FORM with chemistry in "
            f"{', '.join(CHEMISTRIES)} and form in {', '.join(FORMS)} (e.g. NMC811-pack)"
            + (f", or one of {others}" if others else "")
        )
    return chem, form


def get_feed(name: str, preset: str = DEFAULT_PRESET) -> Feed:
    """The feed ``name`` (e.g. ``"NMC811-pack"``) at its natural size: one pack, module or cell;
    1 kg of scrap or black mass; a composition feed's basis mass."""
    from urbanmine.materials.compositions import composition_feeds

    comp = composition_feeds().get(name)
    if comp is not None:
        if preset not in presets():
            raise InputError(f"unknown preset {preset!r}; allowed: {', '.join(presets())}")
        return Feed(
            name,
            comp.material,
            comp.form,
            preset,
            MappingProxyType(comp.species_kg()),
            comp.capacity_kWh(),
            comp.source,
            preset,
        )
    return battery_feed(name, preset)


def battery_feed(name: str, preset: str = DEFAULT_PRESET) -> Feed:
    """The battery feed ``name`` (CHEMISTRY-FORM) from the preset's bill of materials."""
    chemistry, form = parse_feed_name(name)
    data, used = _bom(preset, chemistry)
    cell = data["cells"][chemistry]
    cell_kg = {k: float(v) * float(cell["mass_kg"]) for k, v in cell["mass_fraction"].items()}
    cell_kwh = float(cell["capacity_kWh"])
    sources = [f"cell: {cell['source']}"]
    if form in ("scrap", "blackmass"):
        species, frac_of_cell, src = _derived(form, chemistry, cell_kg)
        kwh = cell_kwh / frac_of_cell
        sources.append(src)
    elif form == "cell":
        species, kwh = cell_kg, cell_kwh
    else:
        if chemistry not in data.get("modules", {}):
            raise InputError(
                f"preset {used!r} has no module or pack data for {chemistry}; use a cell feed "
                "or another preset"
            )
        module = data["modules"][chemistry]
        n_cells = int(module["cells_per_module"])
        species = {k: v * n_cells for k, v in cell_kg.items()}
        _add(species, module["hardware_kg"])
        kwh = cell_kwh * n_cells
        sources.append(f"module: {module['source']}")
        if form == "pack":
            pack = data["packs"][chemistry]
            n_mod = int(pack["modules_per_pack"])
            species = {k: v * n_mod for k, v in species.items()}
            _add(species, pack["hardware_kg"])
            kwh *= n_mod
            sources.append(f"pack: {pack['source']}")
    feed = Feed(
        name, chemistry, form, used, MappingProxyType(species), kwh, "; ".join(sources), preset
    )
    return feed.scaled(mass_kg=1.0) if form in ("scrap", "blackmass") else feed


def _add(species: dict[str, float], hardware: dict[str, float]) -> None:
    for k, v in hardware.items():
        name = HARDWARE_SPECIES.get(k, k)
        species[name] = species.get(name, 0.0) + float(v)


def _derived(
    form: str, chemistry: str, cell_kg: dict[str, float]
) -> tuple[dict[str, float], float, str]:
    """Species (kg per kg cell) of a derived form, its mass per kg cell, and its source."""
    spec = load_toml("feed_forms.toml")[form]
    cathode = cathode_species(chemistry)
    cell_mass = sum(cell_kg.values())
    if form == "scrap":
        keep = [cathode if c == "CATHODE" else c for c in spec["components"]]
        species = {k: v / cell_mass for k, v in cell_kg.items() if k in keep}
    else:
        transfer = {cathode if k == "CATHODE" else k: float(v) for k, v in spec["transfer"].items()}
        species = {k: v / cell_mass * transfer[k] for k, v in cell_kg.items() if k in transfer}
    return species, sum(species.values()), f"{form}: {spec['source']}"
