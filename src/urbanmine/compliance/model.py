"""Rule sets, rules and verdicts as pydantic models; the dated comparison every check shares.

A rule has one or more *stages* (a threshold that applies from a date); the stage in force on the
``on`` date is the last one whose ``applies_from`` is on or before it. Comparisons named
``at_least``/``at_most`` are inclusive ("at least 65 %" passes at exactly 65 %); ``more_than``/
``less_than`` are strict. Equality is judged with a relative tolerance of 1e-9 so that a value
computed as 650/1000 meets a 65 % target whatever the floating-point rounding.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

VerdictKind = Literal["pass", "fail", "not_yet_applicable", "pending", "not_applicable"]
Comparison = Literal["at_least", "at_most", "more_than", "less_than"]

REL_TOL = 1e-9
"""Relative tolerance for the equality part of a comparison."""


class Stage(BaseModel):
    """A threshold that applies from a date (and, optionally, only to some categories)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    applies_from: dt.date = Field(alias="from")
    threshold: float
    categories: tuple[str, ...] = ()
    source: str = ""


class Act(BaseModel):
    """A delegated or implementing act some rules depend on; no ``in_force`` date = not adopted."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str
    in_force: dt.date | None = None
    source: str


class Notice(BaseModel):
    """A caveat added to the note of every verdict of the rule set from a date on."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    applies_from: dt.date = Field(alias="from")
    text: str
    source: str


class Rule(BaseModel):
    """One requirement: id ``<ruleset>/<topic>/<item>``, legal basis, staged thresholds, source."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    title: str
    legal: str
    comparison: Comparison
    unit: str
    stages: tuple[Stage, ...]
    source: str
    confidence: Literal["V", "S", "M"]
    applies_until: dt.date | None = None
    superseded_by: str = ""
    requires_act: str = ""
    scope: dict[str, Any] = Field(default_factory=dict)

    @property
    def topic(self) -> str:
        return self.id.split("/")[1]

    @property
    def item(self) -> str:
        return self.id.split("/")[2]

    def stages_for(self, category: str | None = None) -> list[Stage]:
        """Stages in date order, only those covering ``category`` when one is given."""
        chosen = [
            s
            for s in self.stages
            if category is None or not s.categories or category in s.categories
        ]
        return sorted(chosen, key=lambda s: s.applies_from)

    def stage_on(self, on: dt.date, category: str | None = None) -> Stage | None:
        """The stage in force on ``on`` (inclusive of its first day), or None before the first."""
        current = None
        for stage in self.stages_for(category):
            if stage.applies_from <= on:
                current = stage
        return current


class RuleSet(BaseModel):
    """A versioned rule set: its legal text, the status date of the data, acts, rules.

    ``act`` is the official citation of the legal act the rules come from (for EU acts with their
    Official Journal reference; for Chinese measures their official name and issuer); every
    verdict's ``legal`` starts with it, so a printed verdict names the act, not only an article.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    title: str
    act: str
    version: str
    status_as_of: dt.date
    source: str
    acts: dict[str, Act] = Field(default_factory=dict)
    notices: tuple[Notice, ...] = ()
    rules: tuple[Rule, ...]

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


class Verdict(BaseModel):
    """The outcome of one rule on one date, with the numbers behind it."""

    model_config = ConfigDict(frozen=True)
    rule: str
    verdict: VerdictKind
    value: float | str | bool | None = None
    threshold: float | None = None
    comparison: Comparison | None = None
    unit: str = ""
    applies_from: dt.date | None = None
    period: str | None = None
    legal: str = ""
    source: str = ""
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def meets(value: float, comparison: Comparison, threshold: float) -> bool:
    """Whether ``value`` satisfies ``comparison`` against ``threshold`` (see module doc)."""
    equal = math.isclose(value, threshold, rel_tol=REL_TOL, abs_tol=0.0)
    if comparison == "at_least":
        return equal or value > threshold
    if comparison == "at_most":
        return equal or value < threshold
    if comparison == "more_than":
        return not equal and value > threshold
    return not equal and value < threshold
