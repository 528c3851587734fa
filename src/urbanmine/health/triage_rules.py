"""The triage rule set: a versioned, sourced TOML file (``data/health/triage.toml``), validated
with pydantic. ``load_rules(None)`` gives the shipped rules; ``load_rules(path)`` a user's file of
the same shape, bad ones raising :class:`urbanmine.errors.InputError` naming the field."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from urbanmine.data import data_text
from urbanmine.errors import InputError, validation_message

DECISIONS = ("reuse", "repurpose", "recycle", "insufficient_data")
"""Every decision a pack can get."""
RULES = {
    "safety_flag": ("recycle", ("safety_flags",)),
    "minimum_data": ("insufficient_data", ("rows", "stale_days")),
    "reuse": ("reuse", ("soh_share", "resistance_ratio")),
    "repurpose": ("repurpose", ("soh_share", "resistance_ratio")),
    "below_repurpose": ("recycle", ("soh_share", "resistance_ratio")),
}
"""Rule id -> (the decision it makes, the per-pack values it reads), in the order the rules are
tried: the first that holds decides; ``below_repurpose`` takes every pack left (SOH or resistance
outside the repurpose limits)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Meta(_Strict):
    version: str = Field(min_length=1)
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    source: str = Field(min_length=1)


class Safety(_Strict):
    flags_mask: int = Field(
        ge=1, le=2**31 - 1, description="fault_flags bits that are safety flags"
    )
    source: str = Field(min_length=1)


class MinimumData(_Strict):
    min_rows: int = Field(ge=1, description="fewest reporting periods (rows) a pack needs")
    max_stale_days: float = Field(gt=0, description="newest reading at most this old (days)")
    source: str = Field(min_length=1)


class Grade(_Strict):
    min_soh: float = Field(gt=0, le=1, description="state of health, share 0..1")
    max_resistance_ratio: float = Field(ge=1, description="latest / baseline DC resistance")
    source: str = Field(min_length=1)


class TriageRules(_Strict):
    """The rule set; reuse must ask at least what repurpose asks."""

    meta: Meta
    safety: Safety
    minimum_data: MinimumData
    reuse: Grade
    repurpose: Grade

    @model_validator(mode="after")
    def _ordered(self) -> TriageRules:
        if self.reuse.min_soh < self.repurpose.min_soh:
            raise ValueError(
                f"reuse.min_soh {self.reuse.min_soh} is below repurpose.min_soh "
                f"{self.repurpose.min_soh}; reuse needs at least the repurpose state of health"
            )
        return self


def load_rules(path: Path | None = None) -> TriageRules:
    """The shipped rules (``None``) or those of ``path``."""
    if path is None:
        text = data_text("health", "triage.toml")
        where = "triage.toml"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"--rules {path}: cannot read the file ({error})") from None
        where = f"--rules {path}"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{where}: not valid TOML ({error})") from None
    try:
        return TriageRules.model_validate(raw)
    except ValidationError as error:
        raise InputError(validation_message(error, where, sep=": ")) from None
