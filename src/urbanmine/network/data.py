"""The built-in network data of a region and its merge with a user's ``[network]`` section.

``builtin(region)`` is the shipped ``urbanmine/data/network/<region>.toml`` (facilities, candidate
sites, sources fed by the fleet model, transport factors and the ``[meta]`` defaults, every number
with its source). ``resolve(section)`` gives what the planner uses: the effective sites and sources
(the built-in ones extended by the user's, a user entry with a built-in name replacing it, or only
the user's with ``builtin_sites = false`` / ``builtin_sources = false``), the transport (the user's
commodity parameters override the built-in ones field by field), the options with their defaults
filled from ``[meta]``, the module sizes of each tier, and the source kept for each field.

Bad input raises :class:`urbanmine.errors.InputError` naming the field (``network.…``).
"""

from __future__ import annotations

import copy
import functools
import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pydantic import ValidationError

from urbanmine.errors import InputError
from urbanmine.fleet.scenario import REGIONS
from urbanmine.network.scenario import (
    COMMODITIES,
    Commodity,
    NetworkSection,
    Options,
    Site,
    Source,
    Transport,
)

BUILT = ("collection", "pretreatment", "refining")
"""Tiers with built-in module sizes (``[meta.sizes_t]``)."""
PENALISED = ("packs", "cells", "scrap", "blackmass")
"""Commodities that can be left unprocessed at a penalty (``[meta.penalty_eur_per_t]``)."""
NEED_CAPACITY = ("operating", "construction", "announced")
USER = "user input"


@dataclass(frozen=True)
class Resolved:
    """The network the planner uses, after the built-in data and the user's section are merged."""

    region: str
    sites: list[Site]
    sources: list[Source]
    transport: Transport
    """Circuity and the parameters of every commodity, built-in fields overridden by the user's."""
    options: Options
    """``years``, ``end``, ``discount_rate`` and ``penalty_eur_per_t`` (a dict by commodity) set."""
    sizes_t: dict[str, list[float]]
    """Module sizes (t/yr) of each tier that has built-in sizes."""
    provenance: dict[str, str]
    """Field path (``options.discount_rate``, ``transport.commodities.packs.payload_t`` ...) ->
    the source of its value (the built-in citation or ``"user input"``)."""


@functools.cache
def _text(region: str) -> str:
    return (
        resources.files("urbanmine.data").joinpath("network", f"{region}.toml").read_text("utf-8")
    )


def builtin(region: str) -> dict[str, Any]:
    """The shipped network data of ``region`` (a fresh copy: callers may change it)."""
    if region not in REGIONS:
        raise InputError(
            f"network.region: {region!r} is not a built-in region; use one of {REGIONS}"
        )
    return copy.deepcopy(tomllib.loads(_text(region)))


def _validated(model: type[Any], raw: dict[str, Any], where: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        path = ".".join([where, *(str(p) for p in first["loc"])])
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise InputError(f"{path}: {msg} (given: {first.get('input')!r})") from None


def _merged(builtins: list[Any], users: list[Any], keep: bool) -> list[Any]:
    """Built-in entries (if kept) with user entries of the same name replacing them, then the
    user's new entries, in order."""
    if not keep:
        return list(users)
    mine = {u.name: u for u in users}
    names = {b.name for b in builtins}
    return [mine.get(b.name, b) for b in builtins] + [u for u in users if u.name not in names]


def _check_site(site: Site, sizes: dict[str, list[float]]) -> None:
    where = f"network.sites.{site.name}"
    if site.status == "candidate" and site.sizes_t is None and site.tier not in sizes:
        raise InputError(
            f"{where}.sizes_t: a candidate {site.tier} site needs module sizes (the tier has no "
            "built-in sizes); give sizes_t = [t/yr, ...]"
        )
    if site.status in NEED_CAPACITY:
        for field in ("capacity_t", "start_year"):
            if getattr(site, field) is None:
                raise InputError(
                    f"{where}.{field}: an {site.status} site needs capacity_t (t/yr) and start_year;"
                    ' give both, or status = "candidate" with sizes_t'
                )


def _transport(
    user: Transport, meta: dict[str, Any], raw: dict[str, Any]
) -> tuple[Transport, dict]:
    provenance: dict[str, str] = {}
    base = dict(raw.get("commodities", {}))
    commodities: dict[str, Commodity] = {}
    for name in COMMODITIES:
        fields = dict(base.get(name, {}))
        cited = fields.pop("source", "")
        for key in fields:
            provenance[f"transport.commodities.{name}.{key}"] = cited
        own = user.commodities.get(name)  # type: ignore[call-overload]
        if own is not None:
            for key in own.model_fields_set - {"source"}:
                fields[key] = getattr(own, key)
                provenance[f"transport.commodities.{name}.{key}"] = own.source or USER
        if fields:
            commodities[name] = _validated(
                Commodity, fields, f"network.transport.commodities.{name}"
            )
    circuity = user.circuity if user.circuity is not None else meta["circuity"]
    provenance["transport.circuity"] = (
        user.source or USER if user.circuity is not None else meta["circuity_source"]
    )
    transport = Transport(circuity=circuity, commodities=commodities, source=user.source)  # type: ignore[arg-type]
    return transport, provenance


def _penalty(user: float | dict[str, float] | None, meta: dict[str, Any]) -> dict[str, float]:
    table = {k: v for k, v in meta["penalty_eur_per_t"].items() if k != "source"}
    if isinstance(user, int | float):
        table = dict.fromkeys(PENALISED, float(user))
    elif user is not None:
        table |= user
    for key, value in table.items():
        if key not in PENALISED:
            raise InputError(
                f"network.options.penalty_eur_per_t.{key}: unknown commodity; use one of {PENALISED}"
            )
        if not math.isfinite(value) or value < 0:
            raise InputError(
                f"network.options.penalty_eur_per_t.{key}: {value!r}; give a finite EUR/t >= 0"
            )
    return table


def _options(user: Options, meta: dict[str, Any]) -> tuple[Options, dict[str, str]]:
    provenance: dict[str, str] = {}
    filled: dict[str, Any] = {}
    for key in ("years", "end", "discount_rate"):
        mine = getattr(user, key)
        filled[key] = meta[key] if mine is None else mine
        provenance[f"options.{key}"] = meta.get(f"{key}_source", "") if mine is None else USER
    if user.years is not None and user.end is None:
        filled["end"] = None  # the user's periods: the last one as long as the one before it
    if filled["end"] is not None and filled["end"] < filled["years"][-1]:
        raise InputError(
            f"network.options.end: {filled['end']} is before the last period year "
            f"{filled['years'][-1]}; give end >= {filled['years'][-1]}"
        )
    filled["penalty_eur_per_t"] = _penalty(user.penalty_eur_per_t, meta)
    provenance["options.penalty_eur_per_t"] = (
        meta["penalty_eur_per_t"]["source"] if user.penalty_eur_per_t is None else USER
    )
    return user.model_copy(update=filled), provenance


def resolve(section: NetworkSection) -> Resolved:
    """The sites, sources, transport and options the planner uses for ``section``."""
    data = builtin(section.region)
    meta = data["meta"]
    sizes = {t: [float(s) for s in meta["sizes_t"][t]] for t in BUILT}
    sites = _merged(
        [_validated(Site, s, f"{section.region} built-in sites") for s in data["sites"]],
        section.sites,
        section.builtin_sites,
    )
    sources = _merged(
        [_validated(Source, s, f"{section.region} built-in sources") for s in data["sources"]],
        section.sources,
        section.builtin_sources,
    )
    if not sites:
        raise InputError("network.sites: no sites (builtin_sites = false and none given)")
    if not sources:
        raise InputError("network.sources: no sources (builtin_sources = false and none given)")
    for site in sites:
        _check_site(site, sizes)
    transport, moved = _transport(section.transport, meta, data["transport"])
    options, chosen = _options(section.options, meta)
    provenance = moved | chosen | {f"sizes_t.{t}": meta["sizes_t"]["source"] for t in BUILT}
    return Resolved(section.region, sites, sources, transport, options, sizes, provenance)
