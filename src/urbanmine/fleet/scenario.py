"""The ``[fleet]`` section of a scenario file, and the engine-ready arrays it gives.

A scenario names a built-in region (``europe``, the default, or ``china``; data in
``urbanmine/data/fleet/<region>.toml``, every number sourced) and a year window, and may override
any default. The same section is read by the scenario run of a later issue, so it lives here as a
pydantic model (``FleetSection``, ``extra="forbid"``) that ``scenario/`` can compose.

Year series (``pack_kwh``, ``collection``, ``exports``, ``scrap``, ``second_life.share``, sales
and chemistry overrides) are a number (every year) or a table ``{year = value}`` of anchors: from
the first anchor year on, values are linear between anchors and held after the last one; earlier
years keep the built-in values.

Bad input raises :class:`urbanmine.errors.InputError` naming the field path (``fleet.…``), the
value given and what is allowed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from urbanmine.errors import InputError, validation_message

REGIONS = ("europe", "china")
PARAMETERS = {
    "weibull": ("shape", "scale"),
    "normal": ("mean", "sd"),
    "lognormal": ("mean", "sd"),
    "logistic": ("mean", "sd"),
    "fixed": ("mean",),
}
"""The parameters each lifetime distribution needs (lognormal: mean and sd of the lifetime)."""

SHARE_TOLERANCE = 1e-6
YearSeries = float | dict[str, float]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Years(_Strict):
    """The modelled years, both ends included."""

    start: int = Field(default=2015, ge=2015, le=2060)
    end: int = Field(default=2050, ge=2015, le=2060)

    @model_validator(mode="after")
    def _ordered(self) -> Years:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}; need start <= end")
        return self


class Lifetime(_Strict):
    """A lifetime distribution in years; ``low``/``high`` bound its parameters for a sampler."""

    distribution: Literal["weibull", "normal", "lognormal", "logistic", "fixed"]
    mean: float | None = Field(None, gt=0)
    sd: float | None = Field(None, gt=0)
    shape: float | None = Field(None, gt=0)
    scale: float | None = Field(None, gt=0)
    max_age: int | None = Field(None, gt=0)
    low: dict[str, float] = {}
    high: dict[str, float] = {}

    @model_validator(mode="after")
    def _parameters(self) -> Lifetime:
        needed = PARAMETERS[self.distribution]
        given = [p for p in ("mean", "sd", "shape", "scale") if getattr(self, p) is not None]
        missing = [p for p in needed if p not in given]
        foreign = [p for p in given if p not in needed]
        bounds = [p for p in (*self.low, *self.high) if p not in needed]
        if missing or foreign or bounds:
            raise ValueError(
                f"distribution {self.distribution!r} takes exactly {', '.join(needed)} "
                f"(given: {', '.join(given) or 'none'}; low/high: "
                f"{', '.join([*self.low, *self.high]) or 'none'})"
            )
        return self

    def parameters(self) -> dict[str, float]:
        """The distribution's parameters by name."""
        return {p: float(getattr(self, p)) for p in PARAMETERS[self.distribution]}


class SecondLife(_Strict):
    """Share of packs repurposed for stationary storage, and their stationary lifetime."""

    share: YearSeries | None = None
    lifetime: Lifetime | None = None


class FleetSection(_Strict):
    """The ``[fleet]`` section: region, years and optional overrides of the built-in data."""

    region: Literal["europe", "china"] = "europe"
    years: Years = Field(default_factory=Years)
    countries: list[str] | None = None
    spatial: Literal["national", "province"] = "national"
    samples: int = Field(default=0, ge=0)
    sales: dict[str, dict[str, dict[str, float]]] = {}
    projection_scale: dict[str, float] = {}
    lifetime: dict[Literal["vehicle", "battery"], dict[str, Lifetime]] = {}
    chemistry: dict[str, dict[str, float]] = {}
    pack_kwh: dict[str, YearSeries] = {}
    second_life: SecondLife = SecondLife()
    collection: YearSeries | None = None
    exports: YearSeries | None = None
    scrap: YearSeries | None = None


@dataclass(frozen=True)
class FleetInputs:
    """Engine-ready arrays with their labels.

    ``inflow[y, c, s]`` vehicles sold in ``years[y]`` in ``countries[c]``, segment ``segments[s]``;
    ``chemistry[y, k]`` share of new-pack energy by ``chemistries[k]`` (rows sum to 1);
    ``pack_kwh[y, s]``; ``lifetimes[kind][segment]`` (kind ``vehicle``, ``battery``) and
    ``stationary``; per-year ``second_life``, ``collection``, ``exports``, ``scrap`` shares;
    ``bounds[name] = (low, high)`` for a sampler (``samples`` draws asked for).
    """

    region: str
    years: list[int]
    countries: list[str]
    segments: list[str]
    chemistries: list[str]
    inflow: np.ndarray
    chemistry: np.ndarray
    pack_kwh: np.ndarray
    lifetimes: dict[str, dict[str, Lifetime]]
    stationary: Lifetime
    second_life: np.ndarray
    collection: np.ndarray
    exports: np.ndarray
    scrap: np.ndarray
    samples: int
    bounds: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def region_data(region: str) -> dict[str, Any]:
    """The shipped TOML of a built-in region."""
    if region not in REGIONS:
        raise InputError(f"fleet.region: {region!r} is not a built-in region; use one of {REGIONS}")
    text = resources.files("urbanmine.data").joinpath("fleet", f"{region}.toml").read_text("utf-8")
    return tomllib.loads(text)


def fleet_section(raw: dict[str, Any] | None) -> FleetSection:
    """Validate a ``[fleet]`` table (``None``: the defaults)."""
    try:
        return FleetSection.model_validate(raw or {})
    except ValidationError as error:
        raise InputError(validation_message(error, "fleet")) from None


def read_scenario(path: Path) -> FleetSection:
    """The ``[fleet]`` section of a scenario TOML file (other sections are left to their pillars)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise InputError(f"{path}: cannot read the scenario as TOML ({error})") from None
    return fleet_section(data.get("fleet"))


def _year(key: str, where: str) -> int:
    try:
        return int(key)
    except ValueError:
        raise InputError(f'{where}: {key!r} is not a year; use keys such as "2030"') from None


def year_anchors(series: YearSeries, where: str) -> tuple[np.ndarray, np.ndarray]:
    """(years, values) of a year series; a number is one anchor held for every year."""
    if isinstance(series, int | float):
        return np.array([-1]), np.array([float(series)])
    if not series:
        raise InputError(f"{where}: an empty table; give a number or {{year = value}}")
    pairs = sorted((_year(k, where), float(v)) for k, v in series.items())
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


def _apply(base: np.ndarray, years: np.ndarray, series: YearSeries, where: str) -> np.ndarray:
    """``base`` (years first) with the anchors of ``series`` laid over it from the first anchor."""
    at, values = year_anchors(series, where)
    over = np.interp(years, at, values)
    keep = years < at[0]
    return np.where(keep.reshape((-1,) + (1,) * (base.ndim - 1)), base, over.reshape(base.shape))


def _share(
    series: YearSeries | None, where: str, default: np.ndarray, years: np.ndarray
) -> np.ndarray:
    if series is None:
        return default
    out = _apply(default, years, series, where)
    bad = (out < 0) | (out > 1)
    if bad.any():
        raise InputError(f"{where}: {series!r} gives shares outside 0..1; use values in 0..1")
    return out


def _held(table_years: list[int], values: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Values on ``table_years`` (first axis) at ``years``, held outside the table."""
    index = np.clip(np.searchsorted(table_years, years, side="right") - 1, 0, len(table_years) - 1)
    return values[index]


def _sales(
    data: dict[str, Any], segments: list[str], countries: list[str], every: np.ndarray
) -> np.ndarray:
    """Thousand vehicles (years x countries x segments) over ``every`` year: data, then the
    projection (each country keeps its base-year share of the region's sales)."""
    table = data["sales"]
    history = np.stack(
        [np.array([table[s][c] for c in countries], dtype=float).T for s in segments], axis=-1
    )
    proj = data["projection"]
    base_year = proj["base_year"]
    anchors = np.array([base_year, *proj["years"]])
    factor = np.stack(
        [
            np.interp(every, anchors, [1.0, *np.array(proj[s]["central"]) / proj["base"][s]])
            for s in segments
        ],
        axis=-1,
    )
    base = history[table["years"].index(base_year)]
    projected = base[None, :, :] * factor[:, None, :]
    past = _held(table["years"], history, every)
    return np.where((every <= base_year)[:, None, None], past, projected)


def _chemistry(data: dict[str, Any], every: np.ndarray) -> tuple[list[str], np.ndarray]:
    chem = data["chemistry"]
    names = list(chem["mwh"])
    library = sorted({chem["as_library"].get(n, n) for n in names})
    into = np.array([[chem["as_library"].get(n, n) == lib for lib in library] for n in names])
    mwh = np.array([chem["mwh"][n] for n in names], dtype=float).T @ into
    return library, _held(chem["years"], mwh / mwh.sum(axis=1, keepdims=True), every)


def _pack(data: dict[str, Any], segments: list[str], every: np.ndarray) -> np.ndarray:
    pack = data["pack_kwh"]
    cols = []
    for s in segments:
        if s in pack and isinstance(pack[s], list):
            cols.append(_held(pack["years"], np.array(pack[s], dtype=float), every))
        elif s in pack:
            cols.append(np.full(every.shape, float(pack[s])))
        else:
            commercial = pack["commercial"]
            cols.append(np.interp(every, commercial["years"], commercial[s]))
    return np.stack(cols, axis=-1)


def _lifetimes(
    data: dict[str, Any], section: FleetSection, segments: list[str]
) -> dict[str, dict[str, Lifetime]]:
    out: dict[str, dict[str, Lifetime]] = {}
    for kind in ("vehicle", "battery"):
        shipped = data["lifetime"][kind]
        chosen = {**shipped, **section.lifetime.get(kind, {})}
        for seg in section.lifetime.get(kind, {}):
            if seg != "default" and seg not in segments:
                raise InputError(
                    f"fleet.lifetime.{kind}.{seg}: unknown segment; use default or one of {segments}"
                )
        out[kind] = {}
        for seg in segments:
            spec = chosen.get(seg, chosen["default"])
            out[kind][seg] = spec if isinstance(spec, Lifetime) else _shipped_lifetime(spec)
    return out


def _shipped_lifetime(raw: dict[str, Any]) -> Lifetime:
    return Lifetime.model_validate({k: v for k, v in raw.items() if not k.endswith("source")})


def load(section: FleetSection | None = None) -> FleetInputs:
    """Engine-ready arrays for ``section`` (``None``: the built-in default, Europe 2015-2050)."""
    section = section or FleetSection()
    data = region_data(section.region)
    segments = list(data["meta"]["segments"])
    every = np.arange(section.years.start, section.years.end + 1)
    known = list(data["sales"][segments[0]])
    countries = section.countries or known
    unknown = [c for c in countries if c not in known]
    if unknown:
        raise InputError(
            f"fleet.countries: {unknown} not in the {section.region} data; use {', '.join(known)}"
        )
    sales = _sales(data, segments, countries, every)
    for s, scale in section.projection_scale.items():
        _segment(s, segments, "fleet.projection_scale")
        if scale < 0:
            raise InputError(f"fleet.projection_scale.{s}: {scale} is negative; use >= 0")
        after = every > data["projection"]["base_year"]
        sales[after, :, segments.index(s)] *= scale
    for s, by_country in section.sales.items():
        _segment(s, segments, "fleet.sales")
        for c, series in by_country.items():
            where = f"fleet.sales.{s}.{c}"
            if c not in countries:
                raise InputError(f"{where}: unknown country {c!r}; use one of {countries}")
            if min(series.values(), default=0.0) < 0:
                raise InputError(f"{where}: {series!r} has negative sales; use values >= 0")
            col = (slice(None), countries.index(c), segments.index(s))
            sales[col] = _apply(sales[col], every, series, where)
    if section.spatial == "province":
        countries, sales = _provinces(data, section, segments, sales)
    chemistries, chemistry = _chemistry(data, every)
    chemistry = _chemistry_override(section.chemistry, chemistries, chemistry, every)
    pack = _pack(data, segments, every)
    for s, kwh in section.pack_kwh.items():
        _segment(s, segments, "fleet.pack_kwh")
        where = f"fleet.pack_kwh.{s}"
        pack[:, segments.index(s)] = _apply(pack[:, segments.index(s)], every, kwh, where)
        if (pack <= 0).any():
            raise InputError(f"{where}: {kwh!r} is not positive; use kWh > 0")
    scrap = data["scrap"]
    second = section.second_life
    return FleetInputs(
        region=section.region,
        years=every.tolist(),
        countries=countries,
        segments=segments,
        chemistries=chemistries,
        inflow=sales * 1000.0,
        chemistry=chemistry,
        pack_kwh=pack,
        lifetimes=_lifetimes(data, section, segments),
        stationary=second.lifetime or _shipped_lifetime(data["second_life"]["lifetime"]),
        second_life=_share(
            second.share,
            "fleet.second_life.share",
            np.full(every.shape, data["second_life"]["share"]),
            every,
        ),
        collection=_share(
            section.collection,
            "fleet.collection",
            np.full(every.shape, data["collection"]["rate"]),
            every,
        ),
        exports=_share(
            section.exports, "fleet.exports", np.full(every.shape, data["exports"]["share"]), every
        ),
        scrap=_share(
            section.scrap, "fleet.scrap", np.interp(every, scrap["years"], scrap["share"]), every
        ),
        samples=section.samples,
        bounds=_bounds(data),
    )


def _segment(segment: str, segments: list[str], where: str) -> None:
    if segment not in segments:
        raise InputError(f"{where}.{segment}: unknown segment; use one of {segments}")


def _chemistry_override(
    anchors: dict[str, dict[str, float]], names: list[str], base: np.ndarray, every: np.ndarray
) -> np.ndarray:
    if not anchors:
        return base
    rows = {}
    for key, shares in anchors.items():
        where = f"fleet.chemistry.{key}"
        year = _year(key, where)
        foreign = [k for k in shares if k not in names]
        if foreign:
            raise InputError(f"{where}: unknown chemistry {foreign}; use {', '.join(names)}")
        row = np.array([shares.get(n, 0.0) for n in names])
        if (row < 0).any() or abs(row.sum() - 1.0) > SHARE_TOLERANCE:
            raise InputError(
                f"{where}: shares {shares} sum to {row.sum():.9g}; "
                f"need non-negative shares summing to 1 within {SHARE_TOLERANCE:g}"
            )
        rows[year] = row
    at = np.array(sorted(rows))
    table = np.array([rows[y] for y in at])
    over = np.stack([np.interp(every, at, table[:, k]) for k in range(len(names))], axis=-1)
    return np.where((every < at[0])[:, None], base, over)


def _provinces(
    data: dict[str, Any], section: FleetSection, segments: list[str], sales: np.ndarray
) -> tuple[list[str], np.ndarray]:
    if "provinces" not in data or section.countries:
        raise InputError(
            f"fleet.spatial: 'province' needs a region with a sourced province split "
            f"(china) and no countries list (given region {section.region!r})"
        )
    prov = data["provinces"]
    passenger = np.array(prov["passenger"]) / sum(prov["passenger"])
    commercial = np.array(prov["commercial"]) / sum(prov["commercial"])
    split = np.stack([passenger if s.endswith("_car") else commercial for s in segments], axis=-1)
    return list(prov["names"]), sales.sum(axis=1, keepdims=True) * split[None, :, :]


def _bounds(data: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """(low, high) of every parameter the data give a range for."""
    out: dict[str, tuple[Any, Any]] = {}
    for kind in ("vehicle", "battery"):
        for seg, spec in data["lifetime"][kind].items():
            if "low" in spec:
                out[f"lifetime.{kind}.{seg}"] = (spec["low"], spec["high"])
    for name in ("collection", "exports", "second_life"):
        out[name] = (data[name]["low"], data[name]["high"])
    out["second_life.lifetime"] = (
        data["second_life"]["lifetime"]["low"],
        data["second_life"]["lifetime"]["high"],
    )
    out["scrap"] = (data["scrap"]["low"], data["scrap"]["high"])
    pack = data["pack_kwh"]
    for seg in data["meta"]["segments"]:
        if f"{seg}_low" in pack:
            out[f"pack_kwh.{seg}"] = (pack[f"{seg}_low"], pack[f"{seg}_high"])
    if "projection" in pack:
        out["pack_kwh.projection"] = (pack["projection"]["low"], pack["projection"]["high"])
    chem = data["chemistry"]["projection"]
    out["chemistry.lfp"] = (chem["lfp_low"], chem["lfp_high"])
    for s in data["meta"]["segments"]:
        out[f"projection.{s}"] = (data["projection"][s]["low"], data["projection"][s]["high"])
    return out
