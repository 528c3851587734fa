"""The scenario file, validated (docs/scenario.md documents every field).

``[scenario]`` names the scenario, its region and the years it reports; ``[fleet]`` and
``[network]`` are the fleet model's and the network planner's own sections
(:class:`urbanmine.fleet.scenario.FleetSection`,
:class:`urbanmine.network.scenario.NetworkSection`), validated by them; ``[feedstock]`` may replace
the fleet model by fixed tonnes; ``[collection]`` sets the collection rate the fleet model applies
and the Annex XI check reads; ``[routes]`` gives the flowsheet route of each tier (the network's
and the flowsheet's alike) and ``[[alternatives]]`` other route choices evaluated on the same
feedstock; ``[economics]``, ``[compliance]`` and ``[uncertainty]`` set the data preset, factor
set, allocation, rule sets and dates, and Monte Carlo samples.

The region is said once, in ``[scenario]``: a ``[fleet]`` or ``[network]`` section naming another
region is refused. Bad input raises :class:`urbanmine.errors.InputError` naming the file, the
field, the value given and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from urbanmine.errors import InputError, validation_message

TIERS = ("collection", "pretreatment", "refining")
Varying = Literal["fleet", "routes", "prices", "factors"]
UNCERTAIN: tuple[Varying, ...] = ("fleet", "routes", "prices", "factors")
"""What ``[uncertainty] parameters`` may vary: the fleet model's ranges, the route parameters'
distributions, the prices' and the life-cycle factors' (each where its data carry one)."""
YearSeries = float | dict[str, float]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _series(value: YearSeries, what: str, share: bool = False) -> YearSeries:
    values = [value] if isinstance(value, int | float) else list(value.values())
    keys = [] if isinstance(value, int | float) else list(value)
    bad_key = [k for k in keys if not re.fullmatch(r"\d{4}", k)]
    if bad_key:
        raise ValueError(f'{what}: {bad_key[0]!r} is not a year; use keys such as "2030"')
    top = 1.0 if share else math.inf
    if not values or any(not math.isfinite(v) or v < 0 or v > top for v in values):
        allowed = "shares from 0 to 1" if share else "finite tonnes >= 0"
        raise ValueError(f'{what}: {value!r}; give {allowed} (a number or {{"2030" = ...}})')
    return value


class Meta(_Strict):
    """``[scenario]``: what the run is called, where and when."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    """Also the default output folder ``out/<name>/``."""
    title: str = ""
    region: Literal["europe", "china"] = "europe"
    start: int = Field(default=2025, ge=2015, le=2060)
    end: int = Field(default=2050, ge=2015, le=2060)

    @model_validator(mode="after")
    def _ordered(self) -> Meta:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}; need start <= end")
        return self


class Feedstock(_Strict):
    """``[feedstock]``: fixed tonnes per year instead of the fleet model, by chemistry."""

    packs_t: dict[str, YearSeries] = {}
    scrap_t: dict[str, YearSeries] = {}
    source: str = ""

    @model_validator(mode="after")
    def _checked(self) -> Feedstock:
        from urbanmine.fleet.materials import FLEET_CHEMISTRIES

        if not self.packs_t and not self.scrap_t:
            raise ValueError("give packs_t and/or scrap_t = {<chemistry> = tonnes, ...}")
        for kind, table in (("packs_t", self.packs_t), ("scrap_t", self.scrap_t)):
            for chemistry, series in table.items():
                if chemistry not in FLEET_CHEMISTRIES:
                    raise ValueError(
                        f"{kind}.{chemistry}: unknown chemistry; use one of "
                        f"{', '.join(FLEET_CHEMISTRIES)}"
                    )
                _series(series, f"{kind}.{chemistry}")
        return self


class Collection(_Strict):
    """``[collection]``: the share of retired packs collected (overrides ``fleet.collection``)."""

    rate: YearSeries | None = None
    source: str = ""

    @field_validator("rate")
    @classmethod
    def _share(cls, rate: YearSeries | None) -> YearSeries | None:
        return None if rate is None else _series(rate, "the rate", share=True)


def _route(value: str | None, where: str) -> str | None:
    """A route choice: shipped route names joined by '+', or a route file (.toml)."""
    if value is None or value.endswith(".toml"):
        return value
    from urbanmine.routes.compose import route_names

    known = route_names()
    unknown = [part for part in value.split("+") if part not in known]
    if not value or unknown:
        raise ValueError(
            f"{where}: {value!r} names no shipped route ({', '.join(unknown) or 'empty'}); use "
            f"names joined by '+' from {', '.join(known)}, or a .toml route file"
        )
    return value


class Routes(_Strict):
    """``[routes]``: the flowsheet route of each tier."""

    collection: str | None = None
    pretreatment: str | None = None
    refining: str | None = None

    @model_validator(mode="after")
    def _known(self) -> Routes:
        for tier in TIERS:
            _route(getattr(self, tier), tier)
        return self


class Alternative(Routes):
    """``[[alternatives]]``: another route choice, evaluated on the same feedstock."""

    name: str = Field(min_length=1, max_length=64)


class OtherFeed(_Strict):
    """``[[feeds]]``: another feed the recycler takes beside the fleet's batteries (purchased
    black mass, circuit boards, carbide scrap...), through its own route, tonnes by year."""

    feed: str
    """A feed name of ``urbanmine feeds list``."""
    route: str
    """Shipped route names joined by '+', or a .toml route file."""
    tonnes: YearSeries
    """t/yr: a number or {"2030" = t, ...} anchors, interpolated between them."""
    source: str = ""

    @model_validator(mode="after")
    def _known(self) -> OtherFeed:
        from urbanmine.materials.feeds import feed_names

        names = feed_names()
        if self.feed not in names:
            raise ValueError(f"feed {self.feed!r} is unknown; use one of {', '.join(names)}")
        _route(self.route, "route")
        _series(self.tonnes, "tonnes")
        return self


class Economics(_Strict):
    """``[economics]``: data preset, factor set and allocation of the impacts module."""

    preset: Literal["everbatt2019", "everbatt2020", "everbatt2023", "batpac5"] = "everbatt2023"
    factor_set: Literal["greet2018", "greet2020", "greet2022"] = "greet2022"
    allocation: Literal[
        "none", "mass", "economic", "system_expansion", "system_expansion_coproducts"
    ] = "system_expansion"
    location: str | None = None
    """Cost and grid location of the route totals (default: EU27 for Europe, CN for China;
    the network prices each site at its own)."""


class Compliance(_Strict):
    """``[compliance]``: rule sets and the dates they are checked on."""

    rulesets: list[str] | None = None
    """Default: the region's (EU Battery Regulation for Europe; MIIT rules for China)."""
    on: list[dt.date] = Field(
        default_factory=lambda: [dt.date(2027, 12, 31), dt.date(2031, 12, 31)]
    )
    counting: Literal["battery_origin", "element_capped"] = "battery_origin"

    @field_validator("rulesets")
    @classmethod
    def _known(cls, names: list[str] | None) -> list[str] | None:
        from urbanmine.compliance.rules import ruleset_names

        known = ruleset_names()
        unknown = [n for n in names or [] if n not in known]
        if unknown:
            raise ValueError(f"unknown rule set(s) {unknown}; use {', '.join(known)}")
        return names


class Uncertainty(_Strict):
    """``[uncertainty]``: Monte Carlo samples (0: central values) and what varies."""

    samples: int = Field(default=0, ge=0, le=100_000)
    seed: int = Field(default=0, ge=0)
    parameters: list[Varying] = list(UNCERTAIN)


class Scenario(_Strict):
    """A whole scenario file."""

    scenario: Meta
    fleet: dict[str, Any] | None = None
    feedstock: Feedstock | None = None
    collection: Collection = Field(default_factory=Collection)
    network: dict[str, Any] | None = None
    routes: Routes = Field(default_factory=Routes)
    feeds: list[OtherFeed] = []
    alternatives: list[Alternative] = []
    economics: Economics = Field(default_factory=Economics)
    compliance: Compliance = Field(default_factory=Compliance)
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        region = self.scenario.region
        for section in ("fleet", "network"):
            table = getattr(self, section) or {}
            if "region" in table and table["region"] != region:
                raise ValueError(
                    f"{section}.region {table['region']!r} differs from scenario.region "
                    f"{region!r}; say the region once, in [scenario]"
                )
        if self.feedstock is not None and self.fleet is not None:
            raise ValueError("give [fleet] or [feedstock], not both")
        names = [a.name for a in self.alternatives]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"alternatives: names must be unique; repeated: {repeated}")
        return self


def validate(raw: dict[str, Any], where: str) -> Scenario:
    """A scenario from its parsed TOML; its [fleet] and [network] sections are validated by the
    pillars (with the scenario's region and collection rate applied)."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as error:
        raise InputError(validation_message(error, where, ": ")) from None
    try:
        fleet_section(scenario)
        network_section(scenario)
    except InputError as error:
        raise InputError(f"{where}: {error}") from None
    return scenario


def read(path: Path) -> Scenario:
    """The scenario in a TOML file (UTF-8)."""
    return validate(read_toml(path), str(path))


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML of a scenario file, not yet validated (a caller may override fields)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save the scenario as UTF-8") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the scenario ({error.strerror})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: not valid TOML ({error})") from None
    return raw


def fleet_section(scenario: Scenario) -> Any:
    """The fleet model's section: ``[fleet]`` with the scenario's region and collection rate."""
    from urbanmine.fleet.scenario import fleet_section as validated

    raw = dict(scenario.fleet or {})
    raw["region"] = scenario.scenario.region
    if scenario.collection.rate is not None:
        raw["collection"] = scenario.collection.rate
    return validated(raw)


def network_section(scenario: Scenario) -> Any:
    """The network planner's section: ``[network]`` with the scenario's region and routes."""
    from urbanmine.network.scenario import network_section as validated

    raw = dict(scenario.network or {})
    raw["region"] = scenario.scenario.region
    chosen = {k: v for k, v in scenario.routes.model_dump().items() if v is not None}
    if chosen:
        raw["routes"] = {**raw.get("routes", {}), **chosen}
    return validated(raw)
