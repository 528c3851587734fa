"""Life-cycle factor sets: load, validate, convert exactly to per-kg / per-kWh / per-MJ, look up.

Shipped sets live in ``urbanmine/data/factors/``: ``greet2018``, ``greet2020`` and ``greet2022``
(GREET editions as used by EverBatt 2019, 2020 and 2023), ``grid`` (electricity by country),
``transport`` (per tonne-km) and ``species_map`` (which factor item stands for which species).
GREET numbers are stored in GREET's own units with their workbook cell; this module converts them
with exact constants: 1 short ton = 907.18474 kg, 1 mmBtu = 1055.05585262 MJ (International Table
Btu), 1 US gallon = 3.785411784 L, 1 kWh = 3.6 MJ.

A factor record may carry ``uncertainty = {kind = ..., source = ...}``: a distribution of a
multiplier on the factor (1 = as given), with the kinds of :mod:`urbanmine.flowsheet.params`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from urbanmine.data import list_files, load_toml
from urbanmine.errors import InputError
from urbanmine.flowsheet.errors import RouteError
from urbanmine.flowsheet.params import Parameter
from urbanmine.materials.formula import mass_fractions, parse_formula
from urbanmine.materials.species import get_species

SHORT_TON_KG = 907.18474
"""kg per US short ton (2000 lb x 0.45359237 kg/lb, exact)."""
MMBTU_MJ = 1055.05585262
"""MJ per mmBtu (10^6 International Table Btu of 1055.05585262 J, exact)."""
GALLON_L = 3.785411784
"""L per US liquid gallon (231 cubic inches, exact)."""
KWH_MJ = 3.6
"""MJ per kWh (exact)."""
BTU_PER_MMBTU = 1e6

FACTORS_DIR = "factors"
SUPPLEMENTS = ("primary_metals", "chemicals")
"""Supplement files, in order of precedence after the GREET edition's own items: each fills items
the edition lacks (``primary_metals``: Nuss & Eckelman 2014; ``chemicals``: reagents such as
hydrogen, nitric acid and salt), every item with its own source."""
AUXILIARY = ("grid", "transport", "species_map", "cell_manufacturing", *SUPPLEMENTS)
"""Data files in ``data/factors`` that are not GREET factor sets."""


# ---------------------------------------------------------------- file schemas (validation only)
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _GwpRecord(_Strict):
    CO2: float
    CH4: float
    N2O: float


class _CarbonRatio(_Strict):
    source: str
    VOC: float
    CO: float
    CO2: float


class _Meta(_Strict):
    name: str
    title: str
    source: str
    gwp: str
    gwp_source: str
    gwp_100: _GwpRecord
    carbon_ratio: _CarbonRatio


class _MaterialRecord(_Strict):
    label: str
    unit: Literal["short_ton"]
    ghg_g: float
    energy_mmBtu: float
    water_gal: float
    co2_voc_co_g: float
    ch4_g: float
    n2o_g: float
    source: str
    uncertainty: dict[str, Any] | None = None


class _ElectricityRecord(_Strict):
    label: str
    unit: Literal["mmBtu"]
    ghg_g: float
    energy_Btu: float
    water_gal: float
    co2_voc_co_g: float
    ch4_g: float
    n2o_g: float
    source: str
    uncertainty: dict[str, Any] | None = None


class _NaturalGasRecord(_Strict):
    label: str
    unit: Literal["mmBtu"]
    upstream_ghg_g: float
    upstream_energy_Btu: float
    upstream_water_gal: float
    combustion_co2_g: float
    combustion_voc_g: float
    combustion_co_g: float
    combustion_ch4_g: float
    combustion_n2o_g: float
    source: str
    uncertainty: dict[str, Any] | None = None


class _DieselRecord(_Strict):
    label: str
    unit: Literal["mmBtu"]
    upstream_energy_mmBtu: float
    upstream_water_gal: float
    upstream_co2_g: float
    upstream_voc_g: float
    upstream_co_g: float
    upstream_ch4_g: float
    upstream_n2o_g: float
    combustion_co2_g: float
    combustion_voc_g: float
    combustion_co_g: float
    combustion_ch4_g: float
    combustion_n2o_g: float
    source: str
    uncertainty: dict[str, Any] | None = None


class _FactorSetFile(_Strict):
    meta: _Meta
    materials: dict[str, _MaterialRecord]
    electricity: dict[str, _ElectricityRecord]
    natural_gas: _NaturalGasRecord
    diesel: _DieselRecord


class _GridMeta(_Strict):
    name: str
    year: int
    unit: str
    source: str


class _GridRecord(_Strict):
    label: str
    ghg_g_per_kWh: float
    source: str
    uncertainty: dict[str, Any] | None = None


class _GridFile(_Strict):
    meta: _GridMeta
    locations: dict[str, _GridRecord]


class _TransportMeta(_Strict):
    name: str
    unit: str
    source: str


class _TransportRecord(_Strict):
    label: str
    ghg_kg_co2e_per_tkm: float
    source: str
    uncertainty: dict[str, Any] | None = None


class _TransportFile(_Strict):
    meta: _TransportMeta
    modes: dict[str, _TransportRecord]


class _MapRecord(_Strict):
    item: str | None = None
    item_formula: str | None = None
    per: str | None = None
    exclude: str | None = None
    water: bool = False
    source: str | None = None


class _SupplementMeta(_Strict):
    name: str
    title: str
    source: str


class _SupplementRecord(_Strict):
    """One supplement item per kg, cradle to gate. ``energy_MJ`` and ``water_L`` may be missing
    (counted 0, said in the factor's note); ``n2o_kg`` is process N2O, counted at the factor set's
    own GWP; ``inputs`` are kg of other items of the set per kg (their factors are added)."""

    label: str
    ghg_kg_co2e: float = Field(ge=0)
    energy_MJ: float | None = Field(default=None, ge=0)
    water_L: float | None = Field(default=None, ge=0)
    n2o_kg: float = Field(default=0.0, ge=0)
    inputs: dict[str, float] = Field(default_factory=dict)
    source: str
    uncertainty: dict[str, Any] | None = None


class _SupplementFile(_Strict):
    meta: _SupplementMeta
    materials: dict[str, _SupplementRecord]


class _SpeciesMapFile(_Strict):
    inputs: dict[str, _MapRecord]
    displaced: dict[str, _MapRecord]


# ---------------------------------------------------------------- factors
@dataclass(frozen=True)
class Factor:
    """Impacts of one unit (``unit``: kg, kWh, MJ or t km) of an input, cradle to gate.

    ``ghg_kg_co2e`` in kg CO2e, ``energy_MJ`` total primary energy in MJ, ``water_L`` water
    consumption in L. ``uncertainty`` (if any) is a multiplier distribution on all three.
    """

    key: str
    unit: str
    ghg_kg_co2e: float
    energy_MJ: float
    water_L: float
    source: str
    uncertainty: Parameter | None = None
    note: str = ""

    def scaled(self, k: float, key: str, why: str) -> Factor:
        """The factor times ``k`` (a conversion to another basis), under a new key."""
        return replace(
            self,
            key=key,
            ghg_kg_co2e=self.ghg_kg_co2e * k,
            energy_MJ=self.energy_MJ * k,
            water_L=self.water_L * k,
            source=f"{self.source}; {why}",
        )


def _uncertainty(key: str, rec: Mapping[str, Any] | None) -> Parameter | None:
    if rec is None:
        return None
    dist = {k: v for k, v in rec.items() if k != "source"}
    try:
        return Parameter.from_record(
            key, {"value": 1.0, "source": rec.get("source", ""), "distribution": dist}
        )
    except RouteError as exc:
        raise InputError(f"factor {key!r}: bad uncertainty: {exc}") from None


def material_factor(key: str, rec: _MaterialRecord) -> Factor:
    """Per kg, from GREET's g / mmBtu / gal per short ton."""
    return Factor(
        key,
        "kg",
        rec.ghg_g / 1000.0 / SHORT_TON_KG,
        rec.energy_mmBtu * MMBTU_MJ / SHORT_TON_KG,
        rec.water_gal * GALLON_L / SHORT_TON_KG,
        rec.source,
        _uncertainty(key, rec.uncertainty),
    )


def electricity_factor(key: str, rec: _ElectricityRecord) -> Factor:
    """Per kWh at the wall outlet, from GREET's g / Btu / gal per mmBtu of electricity."""
    per_kwh = KWH_MJ / MMBTU_MJ  # mmBtu per kWh
    return Factor(
        key,
        "kWh",
        rec.ghg_g / 1000.0 * per_kwh,
        rec.energy_Btu / BTU_PER_MMBTU * KWH_MJ,
        rec.water_gal * GALLON_L * per_kwh,
        rec.source,
        _uncertainty(key, rec.uncertainty),
    )


def co2_with_carbon_of_voc_and_co(co2: float, voc: float, co: float, ratio: _CarbonRatio) -> float:
    """GREET's 'CO2 (w/ C in VOC & CO)': the carbon of VOC and CO counted as CO2 (GREET IO §6)."""
    return co2 + voc * ratio.VOC / ratio.CO2 + co * ratio.CO / ratio.CO2


def fuel_factors(data: _FactorSetFile) -> tuple[Factor, Factor]:
    """Natural gas and diesel per MJ burned: upstream plus combustion, GHGs summed as GREET does
    (CO2 with the carbon of VOC and CO, plus CH4 and N2O at the edition's GWP)."""
    gwp, ratio = data.meta.gwp_100, data.meta.carbon_ratio
    ng = data.natural_gas
    ng_ghg_g = ng.upstream_ghg_g + (
        co2_with_carbon_of_voc_and_co(
            ng.combustion_co2_g, ng.combustion_voc_g, ng.combustion_co_g, ratio
        )
        + gwp.CH4 * ng.combustion_ch4_g
        + gwp.N2O * ng.combustion_n2o_g
    )
    natural_gas = Factor(
        "natural_gas",
        "MJ",
        ng_ghg_g / 1000.0 / MMBTU_MJ,
        1.0 + ng.upstream_energy_Btu / BTU_PER_MMBTU,
        ng.upstream_water_gal * GALLON_L / MMBTU_MJ,
        ng.source,
        _uncertainty("natural_gas", ng.uncertainty),
    )
    d = data.diesel
    d_ghg_g = (
        co2_with_carbon_of_voc_and_co(d.upstream_co2_g, d.upstream_voc_g, d.upstream_co_g, ratio)
        + gwp.CH4 * d.upstream_ch4_g
        + gwp.N2O * d.upstream_n2o_g
        + co2_with_carbon_of_voc_and_co(
            d.combustion_co2_g, d.combustion_voc_g, d.combustion_co_g, ratio
        )
        + gwp.CH4 * d.combustion_ch4_g
        + gwp.N2O * d.combustion_n2o_g
    )
    diesel = Factor(
        "diesel",
        "MJ",
        d_ghg_g / 1000.0 / MMBTU_MJ,
        1.0 + d.upstream_energy_mmBtu,
        d.upstream_water_gal * GALLON_L / MMBTU_MJ,
        d.source,
        _uncertainty("diesel", d.uncertainty),
    )
    return natural_gas, diesel


@dataclass(frozen=True)
class FactorSet:
    """One GREET edition's factors, converted: materials per kg, electricity per kWh by region,
    natural gas and diesel per MJ burned; ``gwp_100`` the edition's 100-year GWPs."""

    name: str
    title: str
    source: str
    gwp: str
    gwp_source: str
    gwp_100: Mapping[str, float]
    materials: Mapping[str, Factor]
    electricity: Mapping[str, Factor]
    natural_gas: Factor
    diesel: Factor
    supplements: tuple[str, ...] = ()
    """Names of the supplement files whose items fill what this edition lacks (see
    :data:`SUPPLEMENTS`); their items keep their own source."""

    def material(self, item: str) -> Factor:
        try:
            return self.materials[item]
        except KeyError:
            raise InputError(
                f"factor set {self.name!r} has no material {item!r}; it has: "
                f"{', '.join(sorted(self.materials))}"
            ) from None

    def electricity_at(self, location: str) -> Factor:
        """Grid electricity per kWh: the edition's own regions (GREET, at the outlet) first, then
        ``grid.toml`` (per kWh generated, GHG only); ``grid:XX`` forces the grid.toml value."""
        if location in self.electricity:
            return self.electricity[location]
        code = location.removeprefix("grid:")
        grid = grid_factors()
        if code in grid:
            return grid[code]
        raise InputError(
            f"unknown location {location!r}; allowed: {', '.join(self.electricity)} "
            f"({self.name}) or {', '.join(grid)} (grid.toml)"
        )

    def input_factor(self, species: str) -> Factor | None:
        """Factor per kg of a reagent species; ``None`` for a documented exclusion."""
        rec = species_map().inputs.get(species)
        if rec is None:
            raise InputError(
                f"reagent {species!r} has no factor mapping in species_map.toml; mapped: "
                f"{', '.join(sorted(species_map().inputs))}"
            )
        return None if rec.item is None else self._converted(species, rec)

    def displaced_factor(self, species: str) -> Factor | None:
        """Primary-production factor per kg of a recovered species (system expansion); ``None`` if
        no displaced material is mapped or this edition lacks it."""
        rec = species_map().displaced.get(species)
        if rec is None or rec.item is None or rec.item not in self.materials:
            return None
        return self._converted(species, rec)

    def _converted(self, species: str, rec: _MapRecord) -> Factor:
        assert rec.item is not None
        base = self.material(rec.item)
        if rec.per is None:
            return replace(base, key=rec.item)
        w_species = get_species(species).elements.get(rec.per, 0.0)
        w_item = mass_fractions(parse_formula(rec.item_formula or species))[rec.per]
        return base.scaled(
            w_species / w_item,
            rec.item,
            f"per kg {rec.per}: x {w_species:.6g}/{w_item:.6g} ({species} vs {rec.item_formula})",
        )


@cache
def supplement_files() -> tuple[_SupplementFile, ...]:
    """The validated supplement files, in the order of :data:`SUPPLEMENTS`."""
    return tuple(
        _validated(_SupplementFile, load_toml(FACTORS_DIR, f"{n}.toml"), f"{n}.toml")
        for n in SUPPLEMENTS
    )


def supplement_factor(
    key: str,
    rec: _SupplementRecord,
    meta: _SupplementMeta,
    n2o_gwp: float,
    have: Mapping[str, Factor],
) -> Factor:
    """A supplement item per kg: its own GHG (+ process N2O at ``n2o_gwp``) plus ``inputs`` kg of
    items already in ``have`` (the edition's own and earlier supplements')."""
    notes = [
        f"{what} not given by {meta.name}: counted as 0"
        for what, v in (("energy", rec.energy_MJ), ("water consumption", rec.water_L))
        if v is None
    ]
    ghg = rec.ghg_kg_co2e + rec.n2o_kg * n2o_gwp
    energy, water = rec.energy_MJ or 0.0, rec.water_L or 0.0
    source = rec.source
    for item, kg in rec.inputs.items():
        if item not in have:
            raise InputError(
                f"{meta.name}: {key}.inputs names {item!r}, which is not an item of the factor set "
                f"(nor of an earlier supplement); items: {', '.join(sorted(have))}"
            )
        f = have[item]
        ghg, energy, water = (
            ghg + kg * f.ghg_kg_co2e,
            energy + kg * f.energy_MJ,
            water + kg * f.water_L,
        )
        source = f"{source}; plus {kg:g} kg {item} per kg ({f.source})"
    return Factor(
        key, "kg", ghg, energy, water, source, _uncertainty(key, rec.uncertainty), "; ".join(notes)
    )


def _build(data: _FactorSetFile) -> FactorSet:
    ng, diesel = fuel_factors(data)
    m = data.meta
    materials: dict[str, Factor] = {k: material_factor(k, r) for k, r in data.materials.items()}
    for sup in supplement_files():
        for k, r in sup.materials.items():
            if k not in materials:
                materials[k] = supplement_factor(k, r, sup.meta, m.gwp_100.N2O, materials)
    return FactorSet(
        name=m.name,
        title=m.title,
        source=m.source,
        gwp=m.gwp,
        gwp_source=m.gwp_source,
        gwp_100=MappingProxyType(m.gwp_100.model_dump()),
        materials=MappingProxyType(materials),
        supplements=tuple(sup.meta.name for sup in supplement_files()),
        electricity=MappingProxyType(
            {k: electricity_factor(f"electricity.{k}", r) for k, r in data.electricity.items()}
        ),
        natural_gas=ng,
        diesel=diesel,
    )


def _validated(model: type[BaseModel], raw: Mapping[str, Any], where: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise InputError(f"{where}: {loc}: {first['msg']}") from None


def factor_set_names() -> list[str]:
    """Names of the shipped GREET factor sets."""
    return [n for n in list_files(FACTORS_DIR) if n not in AUXILIARY]


@cache
def _shipped(name: str) -> FactorSet:
    return _build(_validated(_FactorSetFile, load_toml(FACTORS_DIR, f"{name}.toml"), name))


def load_factor_set(name: str) -> FactorSet:
    """A shipped factor set by name, or a user's TOML file of the same layout by path."""
    if name in factor_set_names():
        return _shipped(name)
    path = Path(name)
    if path.suffix == ".toml" and path.is_file():
        with path.open("rb") as fh:
            return _build(_validated(_FactorSetFile, tomllib.load(fh), str(path)))
    raise InputError(
        f"unknown factor set {name!r}; shipped: {', '.join(factor_set_names())} "
        "(or a path to a .toml file of the same layout)"
    )


@cache
def grid_factors() -> Mapping[str, Factor]:
    """Electricity per kWh generated by country (grid.toml): GHG from the source; energy counts
    only the 3.6 MJ delivered and water 0, since the source gives neither."""
    data = _validated(_GridFile, load_toml(FACTORS_DIR, "grid.toml"), "grid.toml")
    return MappingProxyType(
        {
            code: Factor(
                f"electricity.grid:{code}",
                "kWh",
                rec.ghg_g_per_kWh / 1000.0,
                KWH_MJ,
                0.0,
                f"{rec.source}; {data.meta.source}",
                _uncertainty(f"electricity.grid:{code}", rec.uncertainty),
                note="grid.toml gives GHG per kWh generated only: energy counts the 3.6 MJ "
                "delivered, water 0",
            )
            for code, rec in data.locations.items()
        }
    )


@cache
def transport_factors() -> Mapping[str, Factor]:
    """Freight GHG per tonne-km by mode (transport.toml); energy and water not in the source."""
    data = _validated(_TransportFile, load_toml(FACTORS_DIR, "transport.toml"), "transport.toml")
    return MappingProxyType(
        {
            mode: Factor(
                f"transport.{mode}",
                "t km",
                rec.ghg_kg_co2e_per_tkm,
                0.0,
                0.0,
                rec.source,
                _uncertainty(f"transport.{mode}", rec.uncertainty),
                note="energy and water per t km not in the source",
            )
            for mode, rec in data.modes.items()
        }
    )


@cache
def species_map() -> _SpeciesMapFile:
    """Species -> factor item for reagents (``inputs``) and recovered products (``displaced``)."""
    data = _validated(_SpeciesMapFile, load_toml(FACTORS_DIR, "species_map.toml"), "species_map")
    for table in (data.inputs, data.displaced):
        for sp, rec in table.items():
            get_species(sp)  # every mapped species must exist
            if (rec.item is None) == (rec.exclude is None):
                raise InputError(f"species_map.toml {sp!r}: give exactly one of item or exclude")
    return data


def excluded_inputs() -> dict[str, str]:
    """Reagent species deliberately without a factor, with the reason."""
    return {sp: rec.exclude for sp, rec in species_map().inputs.items() if rec.exclude}


def counts_as_water(species: str) -> bool:
    rec = species_map().inputs.get(species)
    return bool(rec and rec.water)
