"""The Battery Pass data model v1.2 field catalogue (``data/passport/battery-pass-v1.2.toml``).

Each field is one SAMM property with its human label and unit (from the SAMM model, see
``tools/samm_labels.py``), aspect, JSON path, longlist rows, Annex XIII point of Regulation (EU)
2023/1542, longlist access code and requirement per battery category.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from urbanmine.data import load_toml
from urbanmine.errors import InputError

CATALOGUE_FILE = ("passport", "battery-pass-v1.2.toml")
CATEGORIES = ("ev", "lmt", "industrial", "stationary")
REQUIREMENTS = ("mandatory", "voluntary", "conditional", "not_applicable", "pending")
ACCESS_CODES = ("P", "L", "L+C", "A")
ANNEX_POINT = re.compile(r"^[1-4](\([a-t]\))?$")


@dataclass(frozen=True)
class Field:
    """One SAMM property of the Battery Pass model."""

    name: str
    label: str
    """Human label: the model's ``samm:preferredName`` in words ("Battery mass")."""
    unit: str
    """Unit symbol of the model's characteristic ("kg", "kg CO2e/kWh"); empty when it has none."""
    aspect: str
    path: tuple[str, ...]
    """Keys from the aspect object down to the value; a key ending in ``[]`` maps over a list."""
    longlist: tuple[int, ...]
    annex_xiii: str
    """Annex XIII point, e.g. ``"1(c)"`` or ``"3"``; empty when the field is not Annex XIII data."""
    access_code: str
    kind: str
    requirement: dict[str, str]
    source: tuple[str, ...]
    names: str = ""
    """For a true/false flag inside a list (``a[].flag``): the key of the item's name, shown with
    the flag where it is true; items where it is false are not part of the field."""


@dataclass(frozen=True)
class Catalogue:
    """All fields by name, with the data model's identifier pattern and the source texts."""

    model: str
    fields: dict[str, Field]
    identifier_regex: re.Pattern[str]
    sources: dict[str, str]
    absent: tuple[dict[str, Any], ...]


def _build_field(raw: dict[str, Any], sources: dict[str, str]) -> Field:
    name = raw["name"]
    problems = []
    if not isinstance(raw.get("label"), str) or not raw["label"].strip():
        problems.append("label must be a non-empty string (the model's preferred name)")
    if not isinstance(raw.get("unit"), str):
        problems.append('unit must be a string (the unit symbol, "" when the field has none)')
    if raw["access"] not in ACCESS_CODES:
        problems.append(f"access {raw['access']!r} not one of {ACCESS_CODES}")
    if raw["annex_xiii"] and not ANNEX_POINT.match(raw["annex_xiii"]):
        problems.append(f"annex_xiii {raw['annex_xiii']!r} is not a point like 1(c) or 3")
    if set(raw["requirement"]) != set(CATEGORIES):
        problems.append(f"requirement must name exactly {CATEGORIES}")
    if any(v not in REQUIREMENTS for v in raw["requirement"].values()):
        problems.append(f"requirement values must be among {REQUIREMENTS}")
    if raw["kind"] not in ("static", "dynamic"):
        problems.append("kind must be static or dynamic")
    if raw.get("names") and "[]" not in raw["path"]:
        problems.append("names applies to a flag inside a list (a path with [])")
    unknown = [s for s in raw["source"] if s not in sources]
    if unknown or not raw["source"]:
        problems.append(f"source keys {unknown} not in [sources]")
    if problems:
        raise ValueError(f"passport catalogue field {name}: " + "; ".join(problems))
    return Field(
        name=name,
        label=raw["label"],
        unit=raw["unit"],
        aspect=raw["aspect"],
        path=tuple(raw["path"].split(".")),
        longlist=tuple(raw["longlist"]),
        annex_xiii=raw["annex_xiii"],
        access_code=raw["access"],
        kind=raw["kind"],
        requirement=dict(raw["requirement"]),
        source=tuple(raw["source"]),
        names=raw.get("names", ""),
    )


@cache
def catalogue() -> Catalogue:
    """Load and check the shipped catalogue once (a malformed file is a bug: ``ValueError``)."""
    raw = load_toml(*CATALOGUE_FILE)
    sources = dict(raw["sources"])
    fields: dict[str, Field] = {}
    for entry in raw["field"]:
        f = _build_field(entry, sources)
        if f.name in fields:
            raise ValueError(f"passport catalogue: field {f.name} listed twice")
        fields[f.name] = f
    return Catalogue(
        model=raw["meta"]["model"],
        fields=fields,
        identifier_regex=re.compile(raw["meta"]["identifier_regex"]),
        sources=sources,
        absent=tuple(raw.get("absent", ())),
    )


def field(name: str) -> Field:
    """The catalogue entry for a SAMM property name; ``InputError`` if there is none."""
    fields = catalogue().fields
    if name not in fields:
        raise InputError(
            f"unknown passport field {name!r}; allowed: Battery Pass v1.2 SAMM property names "
            f"such as {', '.join(sorted(fields)[:5])} ({len(fields)} in all; "
            "see data/passport/battery-pass-v1.2.toml)"
        )
    return fields[name]
