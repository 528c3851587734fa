"""Recycling-plant cost parameters by location: EverBatt's four regions and EU countries.

EverBatt's U.S., California, China and Korea come per preset from ``locations.toml`` (Geographic
Par rows 28-34). EU countries and the EU-27 come from ``locations_eu.toml``, one table per
country that applies to every preset. The fallback is per parameter: a country gives, in euro,
the parameters a cited EU source was found for (electricity and natural gas from Eurostat
nrg_pc_205 / nrg_pc_203, 2023-S2, X_VAT; hourly labour cost from Eurostat lc_lci_lev 2023),
converted here at the ECB 2023 annual EUR/USD rate; every parameter it does not give (today the
equipment cost adjustment, water, wastewater and landfill for all of them) is the preset's
``fallback`` location's (U.S.), and the country's ``source`` says which.
Units: USD/kWh, USD/MMBtu, USD/h, USD/gal, USD per short ton; equipment adjustment is a factor.
"""

from __future__ import annotations

from typing import Any

from urbanmine.data import load_toml
from urbanmine.errors import InputError
from urbanmine.impacts.prices import cost_preset

EVERBATT_CODES = {"US-CA": "California", "CN": "China", "KR": "Korea"}
"""Location codes the life-cycle side uses (GREET regions, ISO countries) for EverBatt's cost
regions, so one code drives both ``assess`` and ``costs``; EverBatt's own names work too."""


def _everbatt(preset: str | None) -> dict[str, Any]:
    return load_toml("economics", "locations.toml")[cost_preset(preset)]


def _eu() -> dict[str, Any]:
    return load_toml("economics", "locations_eu.toml")


def eu_locations() -> list[str]:
    """EU country codes (and EU27) with cost parameters."""
    return sorted(k for k in _eu() if k != "meta")


def locations(preset: str | None = None) -> list[str]:
    """Locations with recycling cost parameters under ``preset``: codes, then EverBatt's names."""
    return ["US", *EVERBATT_CODES, *eu_locations(), *sorted(set(_everbatt(preset)) - {"US"})]


def eu_in_usd(country: dict[str, Any], meta: dict[str, Any]) -> dict[str, float]:
    """The euro prices a ``locations_eu.toml`` country gives, in the units of ``locations.toml``.

    Only the parameters present in ``country`` are returned; the caller fills the rest from the
    fallback location. Electricity EUR/kWh and labour EUR/h are multiplied by ``eur_usd``; gas
    EUR/kWh (gross calorific value) by ``kWh_per_MMBtu`` and ``eur_usd`` to give USD/MMBtu.
    """
    rate = float(meta["eur_usd"])
    factors = {
        "electricity_eur_per_kWh": ("electricity_usd_per_kWh", rate),
        "natural_gas_eur_per_kWh_gcv": (
            "natural_gas_usd_per_MMBtu",
            float(meta["kWh_per_MMBtu"]) * rate,
        ),
        "labour_eur_per_h": ("labour_usd_per_h", rate),
    }
    return {
        usd: float(country[eur]) * factor
        for eur, (usd, factor) in factors.items()
        if eur in country
    }


def with_fallback(
    country: dict[str, Any], meta: dict[str, Any], fallback: dict[str, float]
) -> dict[str, float]:
    """``fallback``'s parameters, replaced by those ``country`` gives (see :func:`eu_in_usd`)."""
    return {**fallback, **eu_in_usd(country, meta)}


def location_parameters(location: str, preset: str | None = None) -> dict[str, float]:
    """Equipment adjustment, labour and utility prices of a location (see the module docstring).
    ``location`` is a code (US, US-CA, CN, KR, DE, ...) or EverBatt's region name (California)."""
    location = EVERBATT_CODES.get(location, location)
    table = _everbatt(preset)
    if location in table:
        return {k: float(v) for k, v in table[location].items() if k != "source"}
    eu = _eu()
    if location not in eu or location == "meta":
        allowed = ", ".join(locations(preset))
        raise InputError(f"unknown location {location!r}; allowed: {allowed}")
    meta = eu["meta"]
    return with_fallback(eu[location], meta, location_parameters(meta["fallback"], preset))


def eu_country(location: str) -> dict[str, Any] | None:
    """The ``locations_eu.toml`` table of ``location``, or None for EverBatt's own locations."""
    location = EVERBATT_CODES.get(location, location)
    eu = _eu()
    return eu[location] if location in eu and location != "meta" else None


def eu_meta() -> dict[str, Any]:
    """The ``[meta]`` table of ``locations_eu.toml``: exchange rate, its year and source."""
    return dict(_eu()["meta"])


def fallback_to_us(location: str, preset: str | None = None) -> list[str]:
    """Parameters of ``location`` taken from the U.S. because no cited value was found for the
    location (EU countries: see ``locations_eu.toml``); empty for EverBatt's locations."""
    country = eu_country(location)
    if country is None:
        return []
    given = eu_in_usd(country, eu_meta())
    return sorted(set(location_parameters(location, preset)) - set(given))


def eur_per_usd() -> float:
    """EUR per USD: the inverse of the EUR/USD rate shipped with the EU cost locations."""
    return 1.0 / float(eu_meta()["eur_usd"])
