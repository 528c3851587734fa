"""Batteries under (EU) 2023/1542: categories (Art. 3), battery-passport scope (Art. 77(1)) and
minimum recycled content (Art. 8(2)-(3))."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from pydantic import BaseModel

from urbanmine.compliance.categories import CATEGORIES
from urbanmine.compliance.engine import judge
from urbanmine.compliance.findings import Findings
from urbanmine.compliance.model import RuleSet
from urbanmine.compliance.rules import load_ruleset
from urbanmine.errors import InputError
from urbanmine.materials.chemistry import CHEMISTRIES, cathode_species
from urbanmine.materials.species import get_species

_CATEGORY_ALIASES = {"stationary": "industrial", "bess": "industrial"}

RECYCLED_CONTENT_METALS = ("Co", "Li", "Ni", "Pb")
"""Metals of Art. 8 (copper is not one)."""

EU = "eu-2023-1542"


def normalise_category(category: str) -> str:
    """Canonical category name (case-insensitive; ``stationary`` is an industrial battery)."""
    key = category.strip().lower()
    key = _CATEGORY_ALIASES.get(key, key)
    if key not in CATEGORIES:
        raise InputError(
            f"unknown battery category {category!r}; allowed: {', '.join(CATEGORIES)} "
            "(and 'stationary', an industrial battery)"
        )
    return key


class PassportScope(BaseModel):
    """Whether a battery needs a battery passport, and why (Art. 77(1))."""

    required: bool
    reason: str
    rule: str
    applies_from: dt.date
    source: str


def passport_scope(category: str, capacity_kWh: float | None, on: dt.date) -> PassportScope:
    """Art. 77(1): each LMT battery, each industrial battery with a capacity greater than 2 kWh and
    each EV battery placed on the market or put into service from 18 Feb 2027 has a passport.

    ``on`` is the date the battery is placed on the market or put into service.
    """
    cat = normalise_category(category)
    rule = load_ruleset(EU).rule(f"{EU}/passport/scope")
    stage = rule.stages[0]
    limit = stage.threshold

    def answer(required: bool, reason: str) -> PassportScope:
        return PassportScope(
            required=required,
            reason=reason,
            rule=rule.id,
            applies_from=stage.applies_from,
            source=rule.source,
        )

    if capacity_kWh is not None and capacity_kWh < 0:
        raise InputError(f"capacity must not be negative, got {capacity_kWh} kWh")
    if cat not in rule.scope["categories"]:
        return answer(
            False,
            f"Art. 77(1) covers LMT, EV and industrial batteries above {limit:g} kWh; "
            f"a {cat} battery needs no passport",
        )
    if cat in rule.scope["capacity_limited"]:
        if capacity_kWh is None:
            raise InputError(
                f"the capacity (kWh) is needed for an {cat} battery: Art. 77(1) covers "
                f"industrial batteries with a capacity greater than {limit:g} kWh"
            )
        if capacity_kWh <= limit:
            return answer(
                False,
                f"Art. 77(1) covers industrial batteries with a capacity greater than {limit:g} "
                f"kWh; this one has {capacity_kWh:g} kWh",
            )
    label = {"lmt": "LMT", "ev": "EV", "industrial": "industrial"}[cat]
    if on < stage.applies_from:
        return answer(
            False,
            f"Art. 77(1) applies to {label} batteries placed on the market or put into service "
            f"from {stage.applies_from.isoformat()}; {on.isoformat()} is earlier",
        )
    return answer(
        True,
        f"Art. 77(1): each {label} battery placed on the market or put into service from "
        f"{stage.applies_from.isoformat()} has a battery passport",
    )


def active_metals(chemistry: str | None) -> set[str] | None:
    """Art. 8 metals in the active materials of a known chemistry (None if unknown).

    For the shipped cell chemistries the cathode species formula decides (the graphite anode holds
    none); a lead-acid battery holds lead.
    """
    if chemistry is None:
        return None
    key = chemistry.strip()
    if key.lower() == "lead-acid":
        return {"Pb"}
    match = [c for c in CHEMISTRIES if c.lower() == key.lower()]
    if not match:
        return None
    elements = get_species(cathode_species(match[0])).elements
    return {m for m in RECYCLED_CONTENT_METALS if elements.get(m, 0.0) > 0}


def check_category(ruleset: RuleSet, on: dt.date, category: str, mass_kg: float | None) -> Findings:
    """Mass limits of the declared category (portable <= 5 kg, LMT <= 25 kg)."""
    found = Findings()
    for rule in ruleset.rules:
        if rule.topic != "category" or rule.item != category:
            continue
        if mass_kg is None:
            found.skip(rule.id, "mass_kg")
        else:
            found.verdicts.append(judge(ruleset, rule, on, mass_kg))
    return found


def check_recycled_content(
    ruleset: RuleSet,
    on: dt.date,
    category: str,
    capacity_kWh: float | None,
    external_storage_only: bool,
    chemistry: str | None,
    shares: Mapping[str, float],
) -> Findings:
    """Art. 8(2)/(3) minimum recycled shares (Co, Li, Ni of the active material; Pb of the battery)."""
    found = Findings()
    metals = active_metals(chemistry)
    for rule in ruleset.rules:
        if rule.topic != "recycled-content":
            continue
        why = ""
        limit = float(rule.scope["industrial_more_than_kWh"])
        if category == "industrial" and external_storage_only:
            why = "industrial batteries with exclusively external storage are excluded"
        elif category == "industrial" and capacity_kWh is not None and capacity_kWh <= limit:
            why = f"Art. 8 covers industrial batteries with a capacity greater than {limit:g} kWh"
        elif metals is not None and rule.item not in metals:
            why = f"no {rule.item} in the active materials of {chemistry}"
        if why:
            found.verdicts.append(judge(ruleset, rule, on, None, out_of_scope=why))
        elif category == "industrial" and capacity_kWh is None:
            found.skip(rule.id, "capacity_kWh")
        elif rule.item not in shares:
            found.skip(rule.id, f"recycled_content_share.{rule.item}")
        else:
            found.verdicts.append(
                judge(
                    ruleset,
                    rule,
                    on,
                    shares[rule.item],
                    category=category,
                    note=f"basis: {rule.scope.get('basis', '')}",
                )
            )
    return found


def check_passport(
    ruleset: RuleSet, on: dt.date, category: str, capacity_kWh: float | None, has_passport: bool
) -> Findings:
    """Art. 77(1): pass when a battery in scope has a passport."""
    rule = ruleset.rule(f"{EU}/passport/scope")
    scope = passport_scope(category, capacity_kWh, on)
    covered = passport_scope(category, capacity_kWh, max(on, scope.applies_from)).required
    if covered:  # judge says not_yet_applicable before the date
        verdict = judge(ruleset, rule, on, has_passport, note=scope.reason)
    else:
        verdict = judge(ruleset, rule, on, has_passport, out_of_scope=scope.reason)
    return Findings(verdicts=[verdict])
