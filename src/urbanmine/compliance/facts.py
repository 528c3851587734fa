"""Facts files for ``urbanmine comply``: what a process, battery, producer or operator declares.

Keys (all optional except ``kind``; shares are fractions 0..1, masses in kg or t as the key says):

- ``kind``: ``recycling_process``, ``battery``, ``producer``, ``traceability``,
  ``weee_treatment`` or ``elv_treatment``.
- ``category``: battery category (``portable``, ``lmt``, ``sli``, ``industrial``, ``ev``) or the
  WEEE category (1-6).
- ``chemistry``: ``lithium``, ``lead-acid``, ``nickel-cadmium``, ``other`` or a cell chemistry
  (NMC622, LFP...).
- ``capacity_kWh``, ``mass_kg``, ``external_storage_only`` (bool), ``has_passport`` (bool).
- ``input_kg``, ``recycled_output_kg``: recycling-efficiency input and counted output (kg).
- ``elements_in_kg``, ``elements_recovered_kg``: element -> kg in the input / in counted outputs.
  A metal missing from ``elements_in_kg`` counts as absent from the input.
- ``recycled_content_share``: metal (Co, Li, Ni vs active material; Pb vs battery) -> share.
- ``recovery_rates``: element or item -> share (MIIT: Li, Ni, Co, Mn, ``electrode-powder``,
  ``material-repair``; WEEE: ``recovery``, ``reuse_recycling``, ``recycling``; ELV:
  ``reuse_recovery``, ``reuse_recycling``).
- ``impurities``: Al, Cu -> mass fraction in the electrode powder.
- ``collected_t``, ``placed_on_market_t``: year -> tonnes.
- ``reports``: list of ``{actor, event, event_date, reported_on}`` (traceability);
  ``calendar`` (``cn`` or ``weekends``), ``holidays`` and ``workdays`` (extra dates).
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from urbanmine.errors import InputError

Kind = Literal[
    "recycling_process", "battery", "producer", "traceability", "weee_treatment", "elv_treatment"
]
KINDS: tuple[str, ...] = get_args(Kind)


class Report(BaseModel):
    """One traceability event and the date it was reported (None: not reported)."""

    model_config = ConfigDict(extra="forbid")
    actor: str
    event: str
    event_date: dt.date
    reported_on: dt.date | None = None


class Facts(BaseModel):
    """A facts file, validated (unknown keys are refused)."""

    model_config = ConfigDict(extra="forbid")
    kind: Kind
    category: str | int | None = None
    chemistry: str | None = None
    capacity_kWh: float | None = Field(default=None, ge=0)
    mass_kg: float | None = Field(default=None, ge=0)
    external_storage_only: bool = False
    has_passport: bool | None = None
    input_kg: float | None = Field(default=None, gt=0)
    recycled_output_kg: float | None = Field(default=None, ge=0)
    elements_in_kg: dict[str, float] = Field(default_factory=dict)
    elements_recovered_kg: dict[str, float] = Field(default_factory=dict)
    recycled_content_share: dict[str, float] = Field(default_factory=dict)
    recovery_rates: dict[str, float] = Field(default_factory=dict)
    impurities: dict[str, float] = Field(default_factory=dict)
    collected_t: dict[int, float] = Field(default_factory=dict)
    placed_on_market_t: dict[int, float] = Field(default_factory=dict)
    reports: list[Report] = Field(default_factory=list)
    calendar: Literal["cn", "weekends"] = "cn"
    holidays: list[dt.date] = Field(default_factory=list)
    workdays: list[dt.date] = Field(default_factory=list)
    counting: str = ""  # how input and counted output were counted (a note verdicts carry)

    @field_validator("recycled_content_share", "recovery_rates", "impurities")
    @classmethod
    def _fractions(cls, shares: dict[str, float]) -> dict[str, float]:
        for key, v in shares.items():
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{key} = {v}: shares are fractions between 0 and 1")
        return shares

    @field_validator("elements_in_kg", "elements_recovered_kg", "collected_t", "placed_on_market_t")
    @classmethod
    def _non_negative(cls, masses: dict[Any, float]) -> dict[Any, float]:
        for key, v in masses.items():
            if v < 0:
                raise ValueError(f"{key} = {v}: masses must not be negative")
        return masses


def parse_facts(data: dict[str, Any], where: str = "facts") -> Facts:
    """Validate a facts mapping; one message naming the bad key and what is allowed."""
    try:
        return Facts.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
        msg = first["msg"]
        if first["type"] == "extra_forbidden":
            msg = f"unknown key; allowed keys: {', '.join(Facts.model_fields)}"
        elif loc == "kind":
            msg = f"{msg}; kind is one of {', '.join(KINDS)}"
        raise InputError(f"{where}: {loc}: {msg}") from None


def read_document(path: Path) -> dict[str, Any]:
    """A JSON or TOML file (by suffix; JSON tried first otherwise) as a mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                data = tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path} is neither valid JSON nor TOML: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a table/object at the top level")
    return data


def is_flowsheet_result(data: dict[str, Any]) -> bool:
    """A document printed by ``urbanmine flowsheet ... --json`` (it has feed and outputs)."""
    return "feed" in data and "outputs" in data and "kind" not in data
