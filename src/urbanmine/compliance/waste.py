"""WEEE (Directive 2012/19/EU, Annex V Part 3) and ELV (Directive 2000/53/EC, Art. 7(2)) targets.

The facts give achieved shares in ``recovery_rates``: for WEEE ``recovery``, ``reuse_recycling``
(prepared for re-use and recycled) or, for lamps, ``recycling``; for ELV ``reuse_recovery`` and
``reuse_recycling`` (by average weight per vehicle and year).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from urbanmine.compliance.engine import judge
from urbanmine.compliance.findings import Findings
from urbanmine.compliance.model import RuleSet
from urbanmine.errors import InputError

WEEE_CATEGORIES = (1, 2, 3, 4, 5, 6)
"""Annex III categories of Directive 2012/19/EU (from 15 Aug 2018)."""


def _key(topic_or_item: str) -> str:
    return topic_or_item.replace("-", "_")


def check_weee(
    ruleset: RuleSet, on: dt.date, category: int, rates: Mapping[str, float]
) -> Findings:
    """Recovery and re-use/recycling targets of one WEEE category."""
    if category not in WEEE_CATEGORIES:
        raise InputError(
            f"unknown WEEE category {category!r}; allowed: 1-6 (Annex III: 1 temperature "
            "exchange, 2 screens, 3 lamps, 4 large, 5 small, 6 small IT)"
        )
    found = Findings()
    for rule in ruleset.rules:
        if rule.scope.get("category") != category:
            continue
        key = _key(rule.topic)
        if key in rates:
            found.verdicts.append(judge(ruleset, rule, on, rates[key]))
        else:
            found.skip(rule.id, f"recovery_rates.{key}")
    return found


def check_elv(ruleset: RuleSet, on: dt.date, rates: Mapping[str, float]) -> Findings:
    """Reuse/recovery and reuse/recycling targets for end-of-life vehicles."""
    found = Findings()
    for rule in ruleset.rules:
        key = _key(rule.item)
        if key in rates:
            found.verdicts.append(judge(ruleset, rule, on, rates[key]))
        else:
            found.skip(rule.id, f"recovery_rates.{key}")
    return found
