"""The ``[network]`` section of a scenario file (or a network file's top level), validated.

A network file holds ``[[sources]]``, ``[[sites]]``, ``[transport]``, ``[options]`` and
``[routes]`` at its top level; in a scenario file the same tables sit under ``[network]``
(``[[network.sources]]`` ...), so the scenario run of a later issue reads the same model. The
built-in region (``europe``, the default, or ``china``; data in
``urbanmine/data/network/<region>.toml``, every number sourced) supplies facilities, candidate
sites and sources fed by the fleet model; a user's sites and sources extend it (a site or source
with the name of a built-in one replaces it) or, with ``builtin_sites = false`` /
``builtin_sources = false``, replace it. docs/network.md documents every field.

Bad input raises :class:`urbanmine.errors.InputError` naming the field path (``network.…``),
the value given and what is allowed.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from urbanmine.errors import InputError, validation_message

TIERS = ("collection", "pretreatment", "refining", "market")
"""Site tiers, upstream first. collection: packs to cells (discharge, dismantling);
pretreatment: packs, cells or production scrap to black mass (Cu, Al, steel sold at the gate);
refining: black mass to sulfates, lithium salt or precursor; market: takes products (optional)."""
COMMODITIES = ("packs", "cells", "scrap", "blackmass", "products")
"""What moves: end-of-life and second-life packs (dangerous goods), cells/modules from a hub,
production scrap, black mass, refined products."""
STATUSES = ("operating", "construction", "announced", "candidate", "suspended", "closed")
YearSeries = float | dict[str, float]
"""A number (every year) or ``{year = value}`` anchors, linear between, held outside."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _finite(value: float | None, what: str) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number")
    return value


class Costs(_Strict):
    """A site's own costs (EUR), replacing the impacts module's cost model for that site."""

    capital_eur: float = Field(ge=0)
    fixed_eur_per_year: float = Field(ge=0)
    variable_eur_per_t: float = Field(ge=0)


class Source(_Strict):
    """A feedstock region: supply by commodity (t/yr), or the fleet model's region ``fleet``."""

    name: str = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    supply_t: dict[Literal["packs", "cells", "scrap", "blackmass"], YearSeries] = {}
    fleet: str | None = None
    """Country (or province) code of the fleet model whose end-of-life packs, second-life
    returns and production scrap this source supplies."""
    source: str = ""

    @model_validator(mode="after")
    def _supplied(self) -> Source:
        if not self.supply_t and self.fleet is None:
            raise ValueError(
                f"source {self.name!r} has no supply; give supply_t = {{packs = ...}} or fleet = "
                '"<country code>"'
            )
        for commodity, series in self.supply_t.items():
            values = [series] if isinstance(series, int | float) else list(series.values())
            if not values or any(not math.isfinite(v) or v < 0 for v in values):
                raise ValueError(
                    f"supply_t.{commodity} = {series!r}: give finite tonnes >= 0 (a number or "
                    '{"2030" = t, ...})'
                )
        return self


class Site(_Strict):
    """A plant or a candidate site of a tier."""

    name: str = Field(min_length=1)
    tier: Literal["collection", "pretreatment", "refining", "market"]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    status: Literal["operating", "construction", "announced", "candidate", "suspended", "closed"]
    country: str | None = None
    operator: str = ""
    capacity_t: float | None = Field(default=None, ge=0)
    """Nameplate input capacity, t/yr (existing, under construction and announced sites)."""
    start_year: int | None = Field(default=None, ge=1990, le=2100)
    sizes_t: list[float] | None = None
    """Module sizes (t input/yr) the planner may build here; default: the tier's sizes."""
    costs: Costs | None = None
    location: str | None = None
    """Cost and grid location for the impacts module (default: ``country`` if the cost model
    knows it, else EU27 for Europe and CN for China; the result says which was used)."""
    source: str = ""

    @field_validator("sizes_t")
    @classmethod
    def _sizes(cls, sizes: list[float] | None) -> list[float] | None:
        if sizes is not None and any(not math.isfinite(s) or s <= 0 for s in sizes):
            raise ValueError(f"sizes_t {sizes!r}: every size must be a finite number > 0 (t/yr)")
        return sizes


class Commodity(_Strict):
    """Road transport of one commodity: cost and GHG per vehicle-km over the payload, or per
    tonne-km directly."""

    eur_per_vehicle_km: float | None = Field(default=None, gt=0)
    kg_co2e_per_vehicle_km: float | None = Field(default=None, gt=0)
    payload_t: float | None = Field(default=None, gt=0)
    eur_per_tkm: float | None = Field(default=None, ge=0)
    kg_co2e_per_tkm: float | None = Field(default=None, ge=0)
    kwh_per_t: float | None = Field(default=None, ge=0)
    """Energy content (kWh per tonne) for cost per kWh; default: the fleet model's packs and
    scrap."""
    source: str = ""


class Transport(_Strict):
    circuity: float | None = Field(default=None, ge=1, le=5)
    """Road distance over great-circle distance."""
    commodities: dict[Literal["packs", "cells", "scrap", "blackmass", "products"], Commodity] = {}
    source: str = ""


class Options(_Strict):
    years: list[int] | None = None
    """First year of each period (default: the region's)."""
    end: int | None = Field(default=None, ge=1990, le=2100)
    """Last year the last period stands for (default: as long as the period before it)."""
    discount_rate: float | None = Field(default=None, ge=0, le=1)
    carbon_price_eur_per_t: float = Field(default=0.0, ge=0)
    penalty_eur_per_t: float | dict[str, float] | None = None
    """Cost of leaving a tonne unprocessed (exported or stored), by commodity or one number."""
    announced: Literal["candidate", "fixed", "ignore"] = "candidate"
    """Announced sites: a candidate at its capacity from its start year (default), open from
    its start year, or left out."""
    max_modules: int = Field(default=10, ge=1, le=1000)
    """How many modules of each size a site may build (1: each size once). The default lets a
    site grow to ten times its largest size, past the largest single plants announced in Europe
    (Fortum's 200 kt/yr goal) without bounding the plan; a modelling bound, not data."""
    max_km: float | None = Field(default=None, gt=0)
    """Leave out shipments longer than this (road km) to shrink large instances."""
    time_limit_s: float = Field(default=60.0, gt=0, le=86_400)
    mip_gap: float = Field(default=0.01, ge=0, le=1)

    @field_validator("years")
    @classmethod
    def _increasing(cls, years: list[int] | None) -> list[int] | None:
        if years is not None and (
            not years
            or any(b <= a for a, b in itertools.pairwise(years))
            or not 1990 <= years[0] <= years[-1] <= 2100
        ):
            raise ValueError(f"years {years!r}: give increasing years within 1990-2100")
        return years


class Routes(_Strict):
    """The flowsheet route of each tier (names joined by '+', as ``flowsheet --route``)."""

    collection: str | None = None
    pretreatment: str | None = None
    refining: str | None = None


class NetworkSection(_Strict):
    """The ``[network]`` section."""

    region: Literal["europe", "china"] = "europe"
    builtin_sites: bool = True
    builtin_sources: bool = True
    sources: list[Source] = []
    sites: list[Site] = []
    transport: Transport = Field(default_factory=Transport)
    options: Options = Field(default_factory=Options)
    routes: Routes = Field(default_factory=Routes)

    @model_validator(mode="after")
    def _unique(self) -> NetworkSection:
        for kind, names in (
            ("sources", [s.name for s in self.sources]),
            ("sites", [s.name for s in self.sites]),
        ):
            seen = {n for n in names if names.count(n) > 1}
            if seen:
                raise ValueError(f"{kind}: names must be unique; repeated: {sorted(seen)}")
        return self


def network_section(raw: dict[str, Any] | None, prefix: str = "network") -> NetworkSection:
    """Validate a ``[network]`` table (``None``: the built-in defaults)."""
    try:
        return NetworkSection.model_validate(raw or {})
    except ValidationError as error:
        raise InputError(validation_message(error, prefix)) from None


def read_network(path: Path) -> NetworkSection:
    """The network of a TOML file: its ``[network]`` table if it has one (a scenario file),
    else its top level (a network file)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InputError(f"{path}: cannot read the file as UTF-8 TOML ({error})") from None
    if "network" in data:
        return network_section(data["network"], f"{path}: network")
    return network_section({k: v for k, v in data.items() if k != "fleet"}, str(path))
